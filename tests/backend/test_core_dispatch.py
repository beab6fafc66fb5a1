"""Dispatch: filing a report routes it in the same transaction, to a grid worker, a department or a supervisor."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import (GRID_POINTS, GRIDS, OUTSIDE, STAFF_DEPARTMENT, STREETS, People, file_report,
                                        item, make_people, only_workers)


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


@pytest.fixture(scope="module")
def city_item(db) -> dict:
    return item(db, "city_mgmt")


@pytest.fixture(scope="module")
def dept_item(db) -> dict:
    return item(db, STAFF_DEPARTMENT)


def tasks_of(db, report_id: str) -> list[dict]:
    rows = db.execute("select queue::text, assignee_id::text, department_code, street_id::text, status::text"
                      " from public.tasks where report_id = %s", (report_id,)).fetchall()
    return [dict(zip(("queue", "assignee_id", "department_code", "street_id", "status"), r)) for r in rows]


def events_of(db, report_id: str) -> list[tuple]:
    return db.execute("select actor_id::text, actor_role, from_status::text, to_status::text from public.case_events"
                      " where report_id = %s order by id", (report_id,)).fetchall()


def notified(db, report_id: str) -> dict[str, str]:
    return dict(db.execute("select user_id::text, kind from public.notifications where report_id = %s",
                           (report_id,)).fetchall())


def test_a_report_goes_to_the_grid_worker_on_duty(people, city_item, db) -> None:
    a, grid, point = people.citizen_a, GRIDS[1], GRID_POINTS[1]
    only_workers(db, grid, (people.worker_1.id, True))
    report = file_report(a, city_item["code"], point)
    assert report["status"] == "dispatched"
    assert (report["grid_id"], report["street_id"], report["department_code"], report["priority"]) \
        == (grid, STREETS[0], "city_mgmt", city_item["priority"])
    assert report["reporter_id"] == a.id
    # The item's clock (hours or working days, migration 1130; tests/backend/test_case_clocks.py).
    assert db.execute("select r.due_at = private.case_deadline(c, r.created_at) from public.reports r"
                      " join public.categories c on c.code = r.category_code where r.id = %s",
                      (report["id"],)).fetchone()[0]
    assert tasks_of(db, report["id"]) == [{"queue": "worker", "assignee_id": people.worker_1.id, "department_code": None,
                                           "street_id": None, "status": "open"}]
    assert events_of(db, report["id"]) == [(a.id, "citizen", None, "submitted"), (None, "system", "submitted", "dispatched")]
    assert notified(db, report["id"]) == {a.id: "report_dispatched", people.worker_1.id: "task_assigned"}


def test_the_on_duty_worker_with_the_fewest_open_tasks_gets_it(make_user, people, city_item, db) -> None:
    grid, point = GRIDS[2], GRID_POINTS[2]
    busy, idle, off = (make_user(app_metadata={"role": "grid_worker"}) for _ in range(3))
    only_workers(db, grid, (busy.id, True), (idle.id, False), (off.id, False))
    first = file_report(people.citizen_a, city_item["code"], point)
    assert tasks_of(db, first["id"])[0]["assignee_id"] == busy.id
    db.execute("update public.worker_duty set on_duty = true where worker_id = %s", (idle.id,))
    second = file_report(people.citizen_b, city_item["code"], point)
    assert tasks_of(db, second["id"])[0]["assignee_id"] == idle.id
    # Now 1 and 1: either on-duty worker, never the one off duty (who has none).
    third = file_report(people.citizen_b, city_item["code"], point)
    assert tasks_of(db, third["id"])[0]["assignee_id"] in (busy.id, idle.id)
    assert db.execute("select count(*) from public.tasks where assignee_id = %s", (off.id,)).fetchone()[0] == 0
    # Finished tasks do not count as load.
    db.execute("update public.tasks set status = 'done' where assignee_id = %s", (busy.id,))
    fourth = file_report(people.citizen_b, city_item["code"], point)
    assert tasks_of(db, fourth["id"])[0]["assignee_id"] == busy.id


def test_a_department_item_goes_to_the_department_queue(people, dept_item, db) -> None:
    only_workers(db, GRIDS[3], (people.worker_1.id, True))
    report = file_report(people.citizen_a, dept_item["code"], GRID_POINTS[3])
    assert (report["department_code"], report["grid_id"], report["status"]) == (STAFF_DEPARTMENT, GRIDS[3], "dispatched")
    assert tasks_of(db, report["id"]) == [{"queue": "department", "assignee_id": None, "department_code": STAFF_DEPARTMENT,
                                           "street_id": None, "status": "open"}]
    got = notified(db, report["id"])
    assert got[people.staff.id] == "task_assigned" and got[people.citizen_a.id] == "report_dispatched"
    assert people.worker_1.id not in got


def test_a_grid_without_a_worker_on_duty_goes_to_its_supervisor(people, city_item, db) -> None:
    only_workers(db, GRIDS[3], (people.worker_1.id, False))
    report = file_report(people.citizen_a, city_item["code"], GRID_POINTS[3])
    assert tasks_of(db, report["id"]) == [{"queue": "supervisor", "assignee_id": None, "department_code": None,
                                           "street_id": STREETS[0], "status": "open"}]
    got = notified(db, report["id"])
    assert got[people.supervisor.id] == "task_assigned" and people.worker_1.id not in got


def test_a_report_outside_every_grid_is_accepted_for_the_supervisors(people, city_item, db) -> None:
    report = file_report(people.citizen_a, city_item["code"], OUTSIDE)
    assert (report["status"], report["grid_id"], report["street_id"]) == ("dispatched", None, None)
    assert tasks_of(db, report["id"]) == [{"queue": "supervisor", "assignee_id": None, "department_code": None,
                                           "street_id": None, "status": "open"}]
    assert notified(db, report["id"])[people.supervisor.id] == "task_assigned"
    assert [r["id"] for r in people.supervisor.client.table("reports").select("id").eq("id", report["id"])
            .execute().data] == [report["id"]]


def test_dispatch_is_all_or_nothing(people, city_item, db) -> None:
    """A failure in the last step (the worker's notification) leaves no report, task, event or notification."""
    only_workers(db, GRIDS[1], (people.worker_1.id, True))
    rid = str(uuid.uuid4())
    db.execute("alter table public.notifications add constraint test_refuse_tasks check (kind <> 'task_assigned') not valid")
    try:
        with pytest.raises(APIError) as err:
            file_report(people.citizen_a, city_item["code"], GRID_POINTS[1], id=rid)
        assert err.value.code == "23514"
    finally:
        db.execute("alter table public.notifications drop constraint test_refuse_tasks")
    for table, column in (("reports", "id"), ("tasks", "report_id"), ("case_events", "report_id"),
                          ("notifications", "report_id")):
        assert db.execute(f"select count(*) from public.{table} where {column} = %s", (rid,)).fetchone()[0] == 0


def test_a_retried_submission_is_filed_once(people, city_item, db) -> None:
    rid = str(uuid.uuid4())
    file_report(people.citizen_a, city_item["code"], GRID_POINTS[1], id=rid)
    with pytest.raises(APIError) as err:
        file_report(people.citizen_a, city_item["code"], GRID_POINTS[1], id=rid)
    assert err.value.code == "23505"
    again = people.citizen_a.client.table("reports").upsert(
        {"id": rid, "category_code": city_item["code"], "description": "again", "lat": GRID_POINTS[1][0],
         "lon": GRID_POINTS[1][1]}, ignore_duplicates=True).execute().data
    assert again == []
    assert db.execute("select count(*) from public.tasks where report_id = %s", (rid,)).fetchone()[0] == 1
    assert db.execute("select description from public.reports where id = %s", (rid,)).fetchone()[0] == "测试上报 test report"


def test_a_grid_worker_files_what_residents_tell_them(people, city_item, db) -> None:
    only_workers(db, GRIDS[1], (people.worker_1.id, True))
    report = file_report(people.worker_1, city_item["code"], GRID_POINTS[1], source="grid_app")
    assert (report["reporter_id"], report["source"], report["status"]) == (people.worker_1.id, "grid_app", "dispatched")
    assert events_of(db, report["id"])[0] == (people.worker_1.id, "grid_worker", None, "submitted")


def test_reporters_cannot_forge_routing_or_identity(people, city_item, db, anon) -> None:
    a = people.citizen_a
    forged = ({"status": "closed"}, {"grid_id": GRIDS[5]}, {"department_code": "water"}, {"priority": 1},
              {"reporter_id": people.citizen_b.id}, {"due_at": "2000-01-01T00:00:00Z"}, {"source": "hotline"},
              {"duplicate_of": str(uuid.uuid4())})
    before = db.execute("select count(*) from public.reports").fetchone()[0]
    for extra in forged:
        with pytest.raises(APIError) as err:
            file_report(a, city_item["code"], GRID_POINTS[1], **extra)
        assert err.value.code == "42501", extra
    for user in (people.staff, people.supervisor):
        with pytest.raises(APIError) as err:
            file_report(user, city_item["code"], GRID_POINTS[1])
        assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        anon.table("reports").insert({"category_code": city_item["code"], "description": "x", "lat": 39.12,
                                      "lon": 117.2}).execute()
    assert err.value.code == "42501"
    assert db.execute("select count(*) from public.reports").fetchone()[0] == before


def test_bad_reports_are_refused_with_nothing_written(people, city_item, db) -> None:
    a = people.citizen_a
    group = db.execute("select code from public.categories where level = 2 limit 1").fetchone()[0]
    before = db.execute("select count(*) from public.reports").fetchone()[0]
    for category, point, extra, code in ((group, GRID_POINTS[1], {}, "23514"),
                                         ("99.99.999", GRID_POINTS[1], {}, "23514"),
                                         (city_item["code"], (91.0, 117.2), {}, "23514"),
                                         (city_item["code"], GRID_POINTS[1], {"description": ""}, "23514"),
                                         (city_item["code"], GRID_POINTS[1], {"photos": [f"p{i}" for i in range(10)]},
                                          "23514")):
        with pytest.raises(APIError) as err:
            file_report(a, category, point, **extra)
        assert err.value.code == code, (category, point, extra)
    assert db.execute("select count(*) from public.reports").fetchone()[0] == before


def test_the_service_role_files_for_the_hotline(service, city_item, db) -> None:
    report = service.table("reports").insert({"category_code": city_item["code"], "description": "12345 热线",
                                              "lat": OUTSIDE[0], "lon": OUTSIDE[1], "source": "hotline",
                                              "reporter_id": None}).execute().data[0]
    assert (report["source"], report["status"], report["reporter_id"]) == ("hotline", "dispatched", None)
    assert events_of(db, report["id"])[0] == (None, "service", None, "submitted")


def test_a_report_inserted_without_claims_is_routed_too(db, city_item) -> None:
    """Inserted by a superuser without claims (imports, jobs): routed the same way, actor `system`."""
    rid = db.execute("insert into public.reports (category_code, description, lat, lon) values (%s, 'import', %s, %s)"
                     " returning id::text", (city_item["code"], *GRID_POINTS[6])).fetchone()[0]
    assert events_of(db, rid)[0] == (None, "system", None, "submitted")
    with pytest.raises(psycopg.errors.CheckViolation, match="not an item"):
        db.execute("insert into public.reports (category_code, description, lat, lon) values ('nope', 'x', 1, 1)")


def test_a_deleted_account_leaves_its_reports_and_history(make_user, people, city_item, service, db) -> None:
    """Account deletion: the profile goes, the report stays without a reporter, and its timeline keeps every step
    with the person anonymised (no actor id; the role stays so the step still reads "the resident filed it")."""
    leaving = make_user(app_metadata={"role": "citizen"})
    report = file_report(leaving, city_item["code"], OUTSIDE)
    service.auth.admin.delete_user(leaving.id)
    assert db.execute("select count(*) from public.profiles where id = %s", (leaving.id,)).fetchone()[0] == 0
    assert db.execute("select reporter_id from public.reports where id = %s", (report["id"],)).fetchone()[0] is None
    assert events_of(db, report["id"])[0] == (None, "citizen", None, "submitted")
