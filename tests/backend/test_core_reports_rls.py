"""Who sees and changes reports, tasks, case_events, notifications: a matrix of callers, allowed and denied.

Three reports: R1 by citizen A in grid 1 (a city-management item, so a grid worker's task),
R2 by A in grid 1 (a department item, so the department's queue), R3 by citizen B in
grid 5 (the other street). Denied reads answer empty; denied writes are 42501 and change nothing.
"""

from __future__ import annotations

import psycopg
import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import (GRID_POINTS, GRIDS, STAFF_DEPARTMENT, People, file_report, item, make_people,
                                        only_workers)

READ_AT = "2026-11-21T09:00:00+00:00"
# Which of R1, R2, R3 each caller may read.
VISIBLE = {
    "anon": set(),
    "citizen_a": {"r1", "r2"},
    "citizen_b": {"r3"},
    "worker_1": {"r1", "r2"},
    "worker_2": {"r3"},
    "staff": {"r2"},
    "supervisor": {"r1", "r2"},
    "service": {"r1", "r2", "r3"},
}


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


@pytest.fixture(scope="module")
def cases(people, db) -> dict[str, str]:
    only_workers(db, GRIDS[0], (people.worker_1.id, True))
    only_workers(db, GRIDS[4], (people.worker_2.id, True))
    city, dept = item(db, "city_mgmt")["code"], item(db, STAFF_DEPARTMENT)["code"]
    return {"r1": file_report(people.citizen_a, city, GRID_POINTS[0])["id"],
            "r2": file_report(people.citizen_a, dept, GRID_POINTS[0])["id"],
            "r3": file_report(people.citizen_b, city, GRID_POINTS[4])["id"]}


@pytest.fixture()
def callers(people, anon, service) -> dict:
    clients = {name: getattr(people, name).client for name in
               ("citizen_a", "citizen_b", "worker_1", "worker_2", "staff", "supervisor")}
    return {"anon": anon, "service": service, **clients}


def visible(client, table: str, column: str, cases: dict[str, str]) -> set[str]:
    rows = client.table(table).select(column).in_(column, list(cases.values())).execute().data
    names = {v: k for k, v in cases.items()}
    return {names[r[column]] for r in rows}


@pytest.mark.parametrize("table,column", [("reports", "id"), ("tasks", "report_id"), ("case_events", "report_id")])
def test_read_matrix(cases, callers, table, column) -> None:
    seen = {name: visible(client, table, column, cases) for name, client in callers.items()}
    assert seen == VISIBLE


def test_a_follower_does_not_read_the_report_they_follow(cases, people, db) -> None:
    b = people.citizen_b
    assert visible(b.client, "reports", "id", cases) == {"r3"}
    db.execute("insert into public.report_followers (report_id, user_id) values (%s, %s)", (cases["r1"], b.id))
    try:  # following gives status (followed_report_status), not the case
        assert visible(b.client, "reports", "id", cases) == {"r3"}
        assert visible(b.client, "case_events", "report_id", cases) == {"r3"}
        assert visible(b.client, "tasks", "report_id", cases) == {"r3"}
        assert [r["report_id"] for r in b.client.table("report_followers").select("report_id").execute().data] \
            == [cases["r1"]]
        assert people.citizen_a.client.table("report_followers").select("*").execute().data == []
    finally:
        db.execute("delete from public.report_followers where user_id = %s", (b.id,))


def test_a_worker_keeps_seeing_a_case_given_to_them_outside_their_grids(cases, people, db) -> None:
    w2 = people.worker_2
    db.execute("update public.tasks set status = 'cancelled' where report_id = %s", (cases["r1"],))
    db.execute("insert into public.tasks (report_id, queue, assignee_id) values (%s, 'worker', %s)", (cases["r1"], w2.id))
    try:
        assert visible(w2.client, "reports", "id", cases) == {"r1", "r3"}
    finally:
        db.execute("delete from public.tasks where report_id = %s and assignee_id = %s", (cases["r1"], w2.id))
        db.execute("update public.tasks set status = 'open' where report_id = %s", (cases["r1"],))


def test_an_admin_reads_every_report(cases, make_user) -> None:
    admin = make_user(app_metadata={"role": "admin"})
    assert visible(admin.client, "reports", "id", cases) == {"r1", "r2", "r3"}


def test_nobody_updates_or_deletes_reports_or_tasks_directly(cases, callers, db) -> None:
    before = db.execute("select md5(string_agg(r::text, '|' order by r.id)) from public.reports r"
                        " where id = any(%s::uuid[])", (list(cases.values()),)).fetchone()[0]
    tasks_before = db.execute("select md5(string_agg(t::text, '|' order by t.id)) from public.tasks t"
                              " where report_id = any(%s::uuid[])", (list(cases.values()),)).fetchone()[0]
    for name, client in callers.items():
        if name == "service":
            continue
        for table, change in (("reports", {"status": "closed"}), ("reports", {"description": "edited"}),
                              ("tasks", {"status": "done"})):
            column = "id" if table == "reports" else "report_id"
            with pytest.raises(APIError) as err:
                client.table(table).update(change).in_(column, list(cases.values())).execute()
            assert err.value.code == "42501", (name, table)
            with pytest.raises(APIError) as err:
                client.table(table).delete().in_(column, list(cases.values())).execute()
            assert err.value.code == "42501", (name, table)
    assert db.execute("select md5(string_agg(r::text, '|' order by r.id)) from public.reports r"
                      " where id = any(%s::uuid[])", (list(cases.values()),)).fetchone()[0] == before
    assert db.execute("select md5(string_agg(t::text, '|' order by t.id)) from public.tasks t"
                      " where report_id = any(%s::uuid[])", (list(cases.values()),)).fetchone()[0] == tasks_before


def test_nobody_forges_or_rewrites_case_events(cases, callers, service, db) -> None:
    count = db.execute("select count(*) from public.case_events where report_id = any(%s::uuid[])",
                       (list(cases.values()),)).fetchone()[0]
    forged = {"report_id": cases["r1"], "actor_role": "supervisor", "from_status": "dispatched", "to_status": "closed"}
    for name, client in callers.items():
        if name == "service":
            continue
        with pytest.raises(APIError) as err:
            client.table("case_events").insert(forged).execute()
        assert err.value.code == "42501", name
        with pytest.raises(APIError) as err:
            client.table("case_events").update({"note": "x"}).eq("report_id", cases["r1"]).execute()
        assert err.value.code == "42501", name
    # Not even the service role or a superuser rewrites history.
    with pytest.raises(APIError) as err:
        service.table("case_events").update({"note": "x"}).eq("report_id", cases["r1"]).execute()
    assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        service.table("case_events").delete().eq("report_id", cases["r1"]).execute()
    assert err.value.code == "42501"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("delete from public.case_events where report_id = %s", (cases["r1"],))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("truncate public.case_events")
    assert db.execute("select count(*) from public.case_events where report_id = any(%s::uuid[])",
                      (list(cases.values()),)).fetchone()[0] == count


def test_people_read_and_mark_only_their_own_notifications(cases, callers, people, db) -> None:
    ids = list(cases.values())
    for name, client in callers.items():
        rows = client.table("notifications").select("user_id,report_id").in_("report_id", ids).execute().data
        if name == "service":
            assert len(rows) >= 6
            continue
        expected = db.execute("select count(*) from public.notifications where report_id = any(%s::uuid[])"
                              " and user_id = %s", (ids, getattr(people, name).id if name != "anon" else None)
                              ).fetchone()[0]
        assert len(rows) == expected, name
        assert {r["user_id"] for r in rows} <= ({getattr(people, name).id} if name != "anon" else set())
    a, b = people.citizen_a, people.citizen_b
    assert len(a.client.table("notifications").select("id").in_("report_id", ids).execute().data) == 2
    marked = a.client.table("notifications").update({"read_at": READ_AT}).eq("report_id", cases["r1"]).execute().data
    assert [r["user_id"] for r in marked] == [a.id] and marked[0]["read_at"]
    assert b.client.table("notifications").update({"read_at": READ_AT}).eq("report_id", cases["r2"]).execute().data == []
    assert db.execute("select count(*) from public.notifications where report_id = %s and read_at is not null",
                      (cases["r2"],)).fetchone()[0] == 0
    for change in ({"kind": "x"}, {"user_id": b.id}, {"title_en": "x"}):
        with pytest.raises(APIError) as err:
            a.client.table("notifications").update(change).eq("report_id", cases["r1"]).execute()
        assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        a.client.table("notifications").insert({"user_id": b.id, "kind": "spam", "title_zh": "x", "title_en": "x"}
                                               ).execute()
    assert err.value.code == "42501"
