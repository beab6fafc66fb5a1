"""Escalations: an SOS unanswered for 60 s goes to the next worker, then the supervisor; overdue cases once.

The local stack's composed scheduler (backend/functions/host.py) runs the same pass every 5 s beside these tests: every assertion
holds whoever ran the pass, and a pass run twice changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import pytest
from postgrest.exceptions import APIError

from backend.cli import main as cityloop
from backend.functions.config import FunctionsSettings
from backend.functions.local import functions_for
from backend.jobs.escalations import EscalationService, run_escalations
from backend.local_supabase.config import Settings, load_secrets
from tests.backend.core_support import GRID_POINTS, GRIDS, People, file_report, item, make_people, only_workers

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


@pytest.fixture(scope="module")
def next_worker(db, make_user, people) -> TestUser:
    """The only on-duty worker of the street's other grids: level 1 of an SOS in GRIDS[0]."""
    worker = make_user(app_metadata={"role": "grid_worker"})
    only_workers(db, GRIDS[1], (worker.id, True))
    only_workers(db, GRIDS[2])
    only_workers(db, GRIDS[3])
    return worker


@pytest.fixture()
def caller(make_user) -> TestUser:
    return make_user(app_metadata={"role": "citizen"})


def raise_sos(user: TestUser) -> str:
    lat, lon = GRID_POINTS[0]
    return user.client.rpc("raise_sos", {"lat": lat, "lon": lon}).execute().data["id"]


def state(db, alert: str) -> tuple:
    return db.execute("select escalation_level, assigned_to::text, (select count(*) from public.sos_events e"
                      " where e.alert_id = a.id) from public.sos_alerts a where id = %s", (alert,)).fetchone()


def told(db, alert: str, kind: str) -> set[str]:
    return {r[0] for r in db.execute("select user_id::text from public.notifications where sos_alert_id = %s and kind = %s",
                                     (alert, kind)).fetchall()}


def backdate(db, alert: str) -> None:
    """As if 61 s had passed since the SOS was raised or last escalated."""
    db.execute("update public.sos_alerts set created_at = created_at - interval '61 seconds',"
               " escalated_at = escalated_at - interval '61 seconds' where id = %s", (alert,))


def test_an_unanswered_sos_goes_to_the_next_worker_then_the_supervisor(people, next_worker, caller, db, service) -> None:
    alert = raise_sos(caller)
    assert told(db, alert, "sos_raised") == {people.worker_1.id}
    summary = run_escalations(service)
    assert set(summary) == {"sos_escalated", "tasks_escalated", "orders_escalated"}
    assert state(db, alert) == (0, None, 1)  # not yet 60 s old
    with pytest.raises(APIError) as err:  # not theirs until it escalates
        next_worker.client.rpc("acknowledge_sos", {"alert_id": alert}).execute()
    assert err.value.code == "PT404"

    backdate(db, alert)
    run_escalations(service)
    assert state(db, alert) == (1, next_worker.id, 2)
    assert told(db, alert, "sos_escalated") == {next_worker.id}
    event = db.execute("select actor_id, actor_role, from_status::text, to_status::text, escalation_level, payload"
                       " from public.sos_events where alert_id = %s order by id desc limit 1", (alert,)).fetchone()
    assert event == (None, "system", "sent", "sent", 1, {"notified": [next_worker.id]})
    run_escalations(service)  # idempotent: within 60 s of the last step nothing more happens
    assert state(db, alert) == (1, next_worker.id, 2)

    backdate(db, alert)
    run_escalations(service)
    assert state(db, alert)[0::2] == (2, 3)
    assert people.supervisor.id in told(db, alert, "sos_escalated")
    # One notification each: worker 1 at the raise, then the next worker and the supervisors.
    assert db.execute("select count(*) from public.notifications where sos_alert_id = %s", (alert,)).fetchone()[0] == \
        1 + len(told(db, alert, "sos_escalated"))
    backdate(db, alert)
    run_escalations(service)  # level 2 is the last step
    assert state(db, alert)[0::2] == (2, 3)

    # The one it was escalated to may now see and acknowledge it; the caller sees who.
    assert next_worker.client.rpc("acknowledge_sos", {"alert_id": alert}).execute().data["status"] == "acknowledged"
    assert caller.client.table("sos_alerts").select("acknowledged_by").eq("id", alert).execute().data == \
        [{"acknowledged_by": next_worker.id}]


def test_a_worker_of_the_same_grid_who_came_on_duty_since_comes_first(people, next_worker, caller, make_user, db,
                                                                      service) -> None:
    alert = raise_sos(caller)
    late = make_user(app_metadata={"role": "grid_worker"})
    only_workers(db, GRIDS[0], (people.worker_1.id, True), (late.id, True))
    try:
        backdate(db, alert)
        run_escalations(service)
        assert state(db, alert)[:2] == (1, late.id)
        assert told(db, alert, "sos_escalated") == {late.id}
    finally:
        only_workers(db, GRIDS[0], (people.worker_1.id, True))
    caller.client.rpc("cancel_sos", {"alert_id": alert}).execute()


def test_an_acknowledged_sos_does_not_escalate(people, next_worker, caller, db, service) -> None:
    alert = raise_sos(caller)
    people.worker_1.client.rpc("acknowledge_sos", {"alert_id": alert}).execute()
    backdate(db, alert)
    run_escalations(service)
    assert state(db, alert) == (0, None, 2)


def test_only_the_service_role_runs_escalations(people, anon) -> None:
    for client in (anon, people.citizen_a.client, people.supervisor.client):
        with pytest.raises(APIError) as err:
            client.rpc("run_escalations", {}).execute()
        assert err.value.code == "42501"


def test_an_overdue_case_goes_to_the_supervisor_once(people, db, service) -> None:
    report = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    db.execute("update public.reports set due_at = now() - interval '1 minute' where id = %s", (report,))
    assert run_escalations(service)["tasks_escalated"] >= 0
    run_escalations(service)
    escalated = db.execute("select count(*) from public.tasks where report_id = %s and escalated_at is not null",
                           (report,)).fetchone()[0]
    events = db.execute("select actor_role, from_status::text, to_status::text, note from public.case_events"
                        " where report_id = %s and actor_role = 'system' and note like 'overdue%%'", (report,)).fetchall()
    assert escalated == 1
    assert events == [("system", "dispatched", "dispatched", "overdue: escalated to the supervisor")]
    overdue = db.execute("select user_id::text from public.notifications where report_id = %s and kind = 'case_overdue'",
                         (report,)).fetchall()
    assert people.supervisor.id in [r[0] for r in overdue] and len(overdue) == len({r[0] for r in overdue})
    assert people.supervisor.client.table("reports").select("status").eq("id", report).execute().data == \
        [{"status": "dispatched"}]


def test_the_cli_runs_one_pass(stack, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SUPABASE_URL", stack.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", stack.service_key)
    assert cityloop(["jobs", "escalate"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"sos_escalated", "tasks_escalated", "orders_escalated"}
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", stack.anon_key)
    assert cityloop(["jobs", "escalate"]) == 1
    assert "escalate failed" in capsys.readouterr().err


def test_the_gateway_runs_escalations_on_its_own(people, next_worker, caller, db) -> None:
    settings = Settings.from_environ()
    service = functions_for(settings, load_secrets(settings, create=False)).escalations
    assert isinstance(service, EscalationService) and service.interval_s == 5
    assert FunctionsSettings.from_environ({"SUPABASE_URL": "http://x", "SUPABASE_SERVICE_ROLE_KEY": "k",
                                           "CITYLOOP_ESCALATION_INTERVAL": "0"}).escalation_interval_s == 0
    alert = raise_sos(caller)
    backdate(db, alert)
    deadline = time.monotonic() + 15
    while state(db, alert)[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert state(db, alert)[:2] == (1, next_worker.id)


async def _broken_rpc(name: str, args: dict) -> dict:
    raise RuntimeError("database down")


async def test_a_failed_pass_is_logged_and_the_scheduler_goes_on(caplog) -> None:
    scheduler = EscalationService(0.01)
    assert await scheduler.run_once(_broken_rpc) is None
    assert await scheduler.run_once(_broken_rpc) is None
    assert (scheduler.runs, scheduler.failures) == (0, 2)
    assert [r.getMessage() for r in caplog.records] == ["escalation pass failed: RuntimeError: database down"]
    await scheduler.start(_broken_rpc)  # the loop outlives its failures
    await asyncio.sleep(0.1)
    assert scheduler.failures > 4
    await scheduler.stop()
    stopped = scheduler.failures
    await asyncio.sleep(0.05)
    assert scheduler.failures == stopped
