"""Live channels at city size: tasks carry their report's grid (migration 1410) and case steps their
reporter (1430), so a grid worker's channel is filtered to their grids and own tasks and a resident's
to their own cases; RLS still decides every row.

Through the real stack: supabase-py for the rows, `CityClient.worker.subscribe_tasks` and
`CityClient.reports.subscribe_my_reports` for the channels the apps open."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from postgrest.exceptions import APIError

from shared.client import CityClient
from shared.models import CaseEventPublic, TaskPublic
from tests.backend.core_support import GRID_POINTS, GRIDS, People, item, make_people, only_workers

WEST, EAST = 1, 5  # indexes into GRIDS: worker_1's grid is GRIDS[0]; these are the test's own grids


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[WEST], (p.worker_1.id, True))
    only_workers(db, GRIDS[EAST], (p.worker_2.id, True))
    return p


@pytest.fixture(scope="module")
def city(db) -> str:
    return item(db, "city_mgmt")["code"]


@pytest.fixture()
async def connect(stack):
    clients: list[CityClient] = []

    async def make(user) -> CityClient:
        client = await CityClient.connect(url=stack.url, key=stack.anon_key, timeout=5)
        clients.append(client)
        await client.auth.sign_in(user.email, user.password)
        return client

    yield make
    for client in clients:
        await client.aclose()


def near(point: tuple[float, float]) -> tuple[float, float]:
    """Inside the grid, ~300 m from the point the other modules use (their 50 m nearby checks)."""
    return point[0] - 0.002, point[1] + 0.0025


def file(user, city: str, grid: int) -> dict:
    lat, lon = near(GRID_POINTS[grid])
    return user.client.table("reports").insert({"category_code": city, "description": "路面塌陷 road caved in",
                                                "lat": lat, "lon": lon}).execute().data[0]


def task_grid(db: psycopg.Connection, report_id: str) -> list:
    return [r[0] for r in db.execute("select grid_id::text from public.tasks where report_id = %s order by created_at",
                                     (report_id,)).fetchall()]


def test_a_task_carries_its_reports_grid_and_follows_it(people, city, db) -> None:
    report = file(people.citizen_a, city, WEST)
    assert report["grid_id"] == GRIDS[WEST] and task_grid(db, report["id"]) == [GRIDS[WEST]]
    db.execute("update public.reports set grid_id = %s where id = %s", (GRIDS[EAST], report["id"]))
    assert task_grid(db, report["id"]) == [GRIDS[EAST]]
    # A direct write of the column is overruled: it is the report's grid, never the writer's.
    db.execute("update public.tasks set grid_id = %s where report_id = %s", (GRIDS[WEST], report["id"]))
    assert task_grid(db, report["id"]) == [GRIDS[EAST]]


def test_nobody_but_the_database_writes_the_column(people, city) -> None:
    report = file(people.citizen_a, city, WEST)
    for user in (people.worker_1, people.supervisor, people.citizen_a):
        with pytest.raises(APIError) as err:
            user.client.table("tasks").update({"grid_id": GRIDS[EAST]}).eq("report_id", report["id"]).execute()
        assert err.value.code == "42501"


def test_the_columns_show_only_what_the_rows_already_showed(people, city, anon) -> None:
    """Readers of a task or a step read its report, which names the grid and the reporter; a stranger
    who knows the report's id (another grid's worker, another resident) and anon see no row at all."""
    report = file(people.citizen_a, city, WEST)
    seen = people.worker_1.client.table("tasks").select("grid_id, report:reports(grid_id)") \
        .eq("report_id", report["id"]).execute().data
    assert seen == [{"grid_id": GRIDS[WEST], "report": {"grid_id": GRIDS[WEST]}}]
    steps = people.citizen_a.client.table("case_events").select("reporter_id").eq("report_id", report["id"]) \
        .execute().data
    assert steps and {s["reporter_id"] for s in steps} == {people.citizen_a.id}
    for stranger in (people.worker_2.client, people.citizen_b.client, anon):
        assert stranger.table("tasks").select("grid_id").eq("report_id", report["id"]).execute().data == []
        assert stranger.table("case_events").select("reporter_id").eq("report_id", report["id"]).execute().data == []


async def test_a_workers_channel_names_their_grids_and_their_own_tasks(connect, people) -> None:
    worker = await connect(people.worker_1)
    subscription = await worker.worker.subscribe_tasks(lambda _task: None)
    filters = sorted(c.binding_filter.get("filter") for c in subscription.channel.postgres_changes_callbacks)
    assert filters == [f"assignee_id=eq.{people.worker_1.id}", f"grid_id=in.({GRIDS[0]},{GRIDS[WEST]})"]  # both their grids


async def test_the_filtered_channel_brings_the_grids_tasks_and_those_handed_over(connect, people, city) -> None:
    west, east = await connect(people.worker_1), await connect(people.worker_2)
    west_inbox: asyncio.Queue = asyncio.Queue()
    east_inbox: asyncio.Queue = asyncio.Queue()
    await west.worker.subscribe_tasks(west_inbox.put_nowait)
    await east.worker.subscribe_tasks(east_inbox.put_nowait)

    report = file(people.citizen_a, city, WEST)
    task = await asyncio.wait_for(west_inbox.get(), 10)
    assert isinstance(task, TaskPublic) and str(task.report_id) == report["id"]
    assert str(task.grid_id) == GRIDS[WEST] and str(task.assignee_id) == people.worker_1.id
    # Matched by both bindings (their grid, their task): handed over once.
    await asyncio.sleep(1.0)
    assert west_inbox.empty()

    # Handed to the east worker: they hear it through their own-task binding, the west worker
    # through the grid binding (the task stays in their grid, with another holder).
    await west.reports.transfer_report(report["id"], "东边同事更近 closer colleague", to_worker=people.worker_2.id)
    handed = await asyncio.wait_for(east_inbox.get(), 10)
    assert str(handed.report_id) == report["id"] and str(handed.assignee_id) == people.worker_2.id
    west_saw = [await asyncio.wait_for(west_inbox.get(), 10) for _ in range(2)]  # their task ended, the new one
    assert {(str(t.report_id), str(t.assignee_id), t.status.value) for t in west_saw} == {
        (report["id"], people.worker_1.id, "cancelled"), (report["id"], people.worker_2.id, "open")}

    # A report of the west grid that nobody hands over never reaches the east worker.
    other = file(people.citizen_b, city, WEST)
    assert str((await asyncio.wait_for(west_inbox.get(), 10)).report_id) == other["id"]
    await asyncio.sleep(1.0)
    while not east_inbox.empty():
        assert str(east_inbox.get_nowait().report_id) == report["id"]  # only the handed-over case's steps


# --- residents: case steps name their reporter (migration 1430) ------------------------------------

def test_every_new_step_names_its_reporter(people, city, db) -> None:
    report = file(people.citizen_a, city, WEST)
    people.worker_1.client.rpc("accept_report", {"report": report["id"]}).execute()
    steps = db.execute("select to_status::text, reporter_id::text from public.case_events where report_id = %s"
                       " order by id", (report["id"],)).fetchall()
    assert [s for s, _ in steps] == ["submitted", "dispatched", "accepted"]
    assert {r for _, r in steps} == {people.citizen_a.id}


async def test_a_residents_channel_filters_their_steps(connect, people, city) -> None:
    a, b = await connect(people.citizen_a), await connect(people.citizen_b)
    a_seen: asyncio.Queue = asyncio.Queue()
    b_seen: asyncio.Queue = asyncio.Queue()
    subscription = await a.reports.subscribe_my_reports(a_seen.put_nowait)
    await b.reports.subscribe_my_reports(b_seen.put_nowait)
    filters = {c.binding_filter["table"]: c.binding_filter.get("filter")
               for c in subscription.channel.postgres_changes_callbacks}
    assert filters == {"reports": f"reporter_id=eq.{people.citizen_a.id}",
                       "case_events": f"reporter_id=eq.{people.citizen_a.id}"}

    report = file(people.citizen_a, city, WEST)
    people.worker_1.client.rpc("accept_report", {"report": report["id"]}).execute()
    steps = []
    while len(steps) < 3:  # submitted, dispatched, accepted, with the report's own changes between
        item = await asyncio.wait_for(a_seen.get(), 10)
        if isinstance(item, CaseEventPublic):
            assert str(item.report_id) == report["id"] and str(item.reporter_id) == people.citizen_a.id
            steps.append(item.to_status.value)
    assert steps == ["submitted", "dispatched", "accepted"]
    # B's sentinel: their own report's first step, and nothing of A's before it.
    own = file(people.citizen_b, city, WEST)
    first = await asyncio.wait_for(b_seen.get(), 10)
    assert str(first.id if not isinstance(first, CaseEventPublic) else first.report_id) == own["id"]
