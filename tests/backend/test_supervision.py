"""Supervision (migration 1160): overdue levels at 1 minute before and after each deadline (the pass
takes its time as an argument), again after a reopen, never while waiting for the resident; the
supervisor's order supervise_report, allowed and denied, and its escalation when overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import people  # noqa: F401 - fixtures
from tests.backend.core_support import GRID_POINTS, People, file_report, item
from tests.backend.test_core_case_rpcs import call, refused
from tests.conftest import TestUser

MINUTE = dt.timedelta(minutes=1)
SPAN = dt.timedelta(hours=2)


@pytest.fixture(scope="module")
def admin(make_user) -> TestUser:
    return make_user(app_metadata={"role": "admin"})


def new_case(people: People, db, grid: int = 0) -> tuple[str, dt.datetime, dt.datetime]:
    """A case whose deadline is two hours after its filing, both in the future of the real clock
    (so the gateway's own passes leave it alone): (id, start of its clock, deadline)."""
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[grid])["id"]
    start = db.execute("update public.reports set created_at = now() + interval '1 day',"
                       " due_at = now() + interval '1 day' + %s where id = %s returning created_at",
                       (SPAN, rid)).fetchone()[0]
    return rid, start, start + SPAN


def run_pass(db, at: dt.datetime) -> dict:
    return db.execute("select private.run_escalations(%s)", (at,)).fetchone()[0]


def steps(db, rid: str) -> list[tuple]:
    return db.execute("select kind, note from public.case_events where report_id = %s"
                      " and kind in ('escalated', 'supervision_escalated') order by id", (rid,)).fetchall()


def told(db, rid: str, kind: str) -> list[str]:
    return [r[0] for r in db.execute("select user_id::text from public.notifications where report_id = %s and kind = %s",
                                     (rid, kind)).fetchall()]


LEVEL_1 = ("escalated", "overdue: escalated to the supervisor")
LEVEL_2 = ("escalated", "overdue twice over: escalated to the admins")


def test_levels_at_a_minute_before_and_after_each_deadline(people, admin, db) -> None:
    rid, start, due = new_case(people, db)
    run_pass(db, due - MINUTE)
    assert steps(db, rid) == []
    run_pass(db, due + MINUTE)
    assert steps(db, rid) == [LEVEL_1]
    assert people.supervisor.id in told(db, rid, "case_overdue") and admin.id not in told(db, rid, "case_overdue_admin")
    run_pass(db, due + MINUTE)  # idempotent
    second = due + SPAN  # the same time again
    run_pass(db, second - MINUTE)
    assert steps(db, rid) == [LEVEL_1]
    run_pass(db, second + MINUTE)
    assert steps(db, rid) == [LEVEL_1, LEVEL_2]
    assert admin.id in told(db, rid, "case_overdue_admin")
    assert people.supervisor.id not in told(db, rid, "case_overdue_admin")
    run_pass(db, second + SPAN * 10)  # level 2 is the last
    assert steps(db, rid) == [LEVEL_1, LEVEL_2]
    assert len(told(db, rid, "case_overdue")) == len(set(told(db, rid, "case_overdue")))
    # Each step left the status alone and was written by the system.
    assert db.execute("select bool_and(actor_role = 'system' and from_status = to_status) from public.case_events"
                      " where report_id = %s and kind = 'escalated'", (rid,)).fetchone()[0]


def test_a_reopened_case_climbs_the_levels_again(people, admin, db) -> None:
    rid, start, due = new_case(people, db)
    run_pass(db, due + SPAN + MINUTE)
    assert steps(db, rid) == [LEVEL_1]  # one level per pass
    run_pass(db, due + SPAN + MINUTE)
    assert steps(db, rid) == [LEVEL_1, LEVEL_2]
    call(people.worker_1, "accept_report", report=rid)
    call(people.worker_1, "resolve_report", report=rid, note="done")
    call(people.citizen_a, "reopen_report", report=rid, note="又坏了 broken again")
    reopened = db.execute("select created_at from public.case_events where report_id = %s and to_status = 'reopened'",
                          (rid,)).fetchone()[0]
    new_due = reopened + SPAN
    db.execute("update public.reports set due_at = %s where id = %s", (new_due, rid))
    run_pass(db, new_due - MINUTE)
    assert steps(db, rid) == [LEVEL_1, LEVEL_2]
    run_pass(db, new_due + MINUTE)
    assert steps(db, rid) == [LEVEL_1, LEVEL_2, LEVEL_1]
    run_pass(db, new_due + SPAN - MINUTE)
    assert steps(db, rid) == [LEVEL_1, LEVEL_2, LEVEL_1]
    run_pass(db, new_due + SPAN + MINUTE)
    assert steps(db, rid) == [LEVEL_1, LEVEL_2, LEVEL_1, LEVEL_2]


def test_no_escalation_while_the_case_waits_for_the_resident(people, db) -> None:
    rid, start, due = new_case(people, db)
    call(people.worker_1, "accept_report", report=rid)
    call(people.worker_1, "request_report_info", report=rid, note="几号楼？ which building?")
    run_pass(db, due + MINUTE)
    assert steps(db, rid) == []
    call(people.citizen_a, "answer_report_info", report=rid, note="3号楼")
    run_pass(db, due + dt.timedelta(days=1))  # the clock runs again (its deadline moved by the wait)
    assert steps(db, rid) == [LEVEL_1]


def order(people: People, db) -> tuple[str, dict]:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    due = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    made = call(people.supervisor, "supervise_report", report=rid, due_at=due, note="今天下班前处理 by end of day")
    return rid, made


def test_a_supervisor_opens_an_order_and_the_handler_sees_it(people, db) -> None:
    rid, made = order(people, db)
    assert made["report_id"] == rid and made["supervisor_id"] == people.supervisor.id and made["escalated_at"] is None
    event = db.execute("select kind, from_status = to_status, actor_id::text, note from public.case_events"
                       " where report_id = %s order by id desc limit 1", (rid,)).fetchone()
    assert event == ("supervised", True, people.supervisor.id, "今天下班前处理 by end of day")
    assert people.worker_1.id in told(db, rid, "case_supervised")
    # The handler and the supervisor read the order; the reporter, another street's worker, anon do not.
    for reader in (people.worker_1, people.supervisor):
        assert [o["id"] for o in reader.client.table("supervision_orders").select("id").eq("report_id", rid)
                .execute().data] == [made["id"]]
    for outsider in (people.citizen_a, people.citizen_b, people.worker_2, people.staff):
        assert outsider.client.table("supervision_orders").select("id").eq("report_id", rid).execute().data == []


def test_an_overdue_order_goes_one_level_up(people, admin, db) -> None:
    rid, made = order(people, db)
    due = dt.datetime.fromisoformat(made["due_at"])
    run_pass(db, due - MINUTE)
    assert steps(db, rid) == []
    run_pass(db, due + MINUTE)
    assert steps(db, rid) == [("supervision_escalated", "supervision order overdue: escalated to the admins")]
    assert admin.id in told(db, rid, "supervision_overdue")
    run_pass(db, due + 2 * MINUTE)
    assert len(steps(db, rid)) == 1
    assert db.execute("select escalated_at from public.supervision_orders where id = %s", (made["id"],)).fetchone()[0] \
        == due + MINUTE


def orders_of(db, rid: str) -> int:
    return db.execute("select count(*) from public.supervision_orders where report_id = %s", (rid,)).fetchone()[0]


def test_who_may_open_an_order(people, admin, db, anon) -> None:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    east = file_report(people.citizen_b, item(db, "city_mgmt")["code"], GRID_POINTS[4])["id"]
    due = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)).isoformat()
    args = {"due_at": due, "note": "请加快 hurry"}
    refused(db, rid, "PT403", lambda: call(people.worker_1, "supervise_report", report=rid, **args))  # the handler
    refused(db, rid, "PT403", lambda: call(people.citizen_a, "supervise_report", report=rid, **args))  # the reporter
    refused(db, east, "PT404", lambda: call(people.supervisor, "supervise_report", report=east, **args))  # other street
    with pytest.raises(APIError) as err:
        anon.rpc("supervise_report", {"report": rid, **args}).execute()
    assert err.value.code == "42501"
    past = (dt.datetime.now(dt.timezone.utc) - MINUTE).isoformat()
    refused(db, rid, "PT400", lambda: call(people.supervisor, "supervise_report", report=rid, due_at=past, note="x"))
    refused(db, rid, "PT400", lambda: call(people.supervisor, "supervise_report", report=rid, due_at=due, note=" "))
    assert orders_of(db, rid) == 0 and orders_of(db, east) == 0
    assert call(admin, "supervise_report", report=east, **args)["supervisor_id"] == admin.id  # admins: the city
    call(people.worker_1, "accept_report", report=rid)
    call(people.worker_1, "resolve_report", report=rid, note="done")
    refused(db, rid, "PT409", lambda: call(people.supervisor, "supervise_report", report=rid, **args))
    assert orders_of(db, rid) == 0


def test_asking_for_help_is_no_longer_labelled_supervision() -> None:
    from grid_app.strings import STRINGS

    assert STRINGS["act.escalate"][0] == "上报" and "督办" not in STRINGS["act.escalate"][0]
