"""A scan on real readings: the alert goes to the grid's on-duty worker with a notification, is
not repeated, is followed up through CityClient, and escalates to the supervisor after 30 min."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from postgrest.exceptions import APIError

from backend.cli import main as cityloop
from backend.jobs.care_watch import run_care_escalations, run_scan
from shared import errors
from shared.client import CityClient
from tests.backend.care_support import add_month_of_readings, make_subject
from tests.backend.core_support import GRIDS, People, make_people, only_workers


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


@pytest.fixture()
def fallen(db, people) -> dict:
    """A subject of GRIDS[0] silent for the last 20 hours."""
    only_workers(db, GRIDS[0], (people.worker_1.id, True))
    s = make_subject(db, GRIDS[0], name="跌倒测试")
    add_month_of_readings(db, s["id"], silent_hours=20)
    return s


def alerts_of(db, subject: str) -> list[dict]:
    cur = db.execute("select id, kind, status, assigned_to, escalated_at, evidence from public.care_alerts"
                     " where subject_id = %s order by created_at", (subject,))
    names = [c.name for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def notifications(db, user: str, alert_id) -> list[str]:
    return [k for (k,) in db.execute("select kind from public.notifications where user_id = %s"
                                     " and payload ->> 'care_alert_id' = %s order by created_at",
                                     (user, str(alert_id))).fetchall()]


def test_a_scan_routes_the_alert_to_the_on_duty_worker_once(service, db, people, fallen):
    summary = run_scan(service)
    assert summary["households"] >= 1 and summary["alerts"] >= 1
    [alert] = alerts_of(db, fallen["id"])
    assert alert["kind"] == "inactivity" and alert["status"] == "open"
    assert str(alert["assigned_to"]) == people.worker_1.id
    assert notifications(db, people.worker_1.id, alert["id"]) == ["care_alert"]
    ev = alert["evidence"]
    assert ev["meter_kind"] == "water" and len(ev["observed"]) == len(ev["band_high"]) == 24
    # The next scan finds the same silence: no second alert, no second notification.
    run_scan(service)
    assert len(alerts_of(db, fallen["id"])) == 1
    assert notifications(db, people.worker_1.id, alert["id"]) == ["care_alert"]


def test_without_a_follow_up_in_30_minutes_the_supervisor_is_told(service, db, people, fallen):
    run_scan(service)
    [alert] = alerts_of(db, fallen["id"])
    now = datetime.now(timezone.utc)
    # Judged on this alert alone: other tests' older alerts may escalate in the same passes.
    run_care_escalations(service, now + timedelta(minutes=29))
    assert alerts_of(db, fallen["id"])[0]["status"] == "open"
    assert notifications(db, people.supervisor.id, alert["id"]) == []
    assert run_care_escalations(service, now + timedelta(minutes=31))["care_alerts_escalated"] >= 1
    [alert] = alerts_of(db, fallen["id"])
    assert alert["status"] == "escalated" and alert["escalated_at"] is not None
    assert notifications(db, people.supervisor.id, alert["id"]) == ["care_alert_escalated"]
    run_care_escalations(service, now + timedelta(minutes=40))
    assert notifications(db, people.supervisor.id, alert["id"]) == ["care_alert_escalated"]  # told once


def test_an_alert_followed_up_in_time_does_not_escalate(service, db, people, fallen):
    run_scan(service)
    [alert] = alerts_of(db, fallen["id"])
    people.worker_1.client.rpc("record_care_followup", {"alert": str(alert["id"]), "action": "called_person",
                                                        "outcome": "unreachable", "resolution": "keep"}).execute()
    now = datetime.now(timezone.utc)
    run_care_escalations(service, now + timedelta(minutes=45))
    assert alerts_of(db, fallen["id"])[0]["status"] == "open"


def test_with_nobody_on_duty_the_alert_goes_straight_to_the_supervisor(service, db, people):
    s = make_subject(db, GRIDS[0], name="无人值班")
    add_month_of_readings(db, s["id"], gas_on_hours=3)
    only_workers(db, GRIDS[0], (people.worker_1.id, False))
    try:
        run_scan(service)
    finally:
        only_workers(db, GRIDS[0], (people.worker_1.id, True))
    [alert] = alerts_of(db, s["id"])
    assert alert["kind"] == "continuous_use" and alert["status"] == "escalated" and alert["assigned_to"] is None
    assert notifications(db, people.supervisor.id, alert["id"]) == ["care_alert_escalated"]


async def test_the_worker_follows_up_through_city_client(stack, db, service, people, fallen):
    run_scan(service)
    client = await CityClient.connect(url=stack.url, key=stack.anon_key, timeout=5)
    try:
        await client.auth.sign_in(people.worker_1.email, people.worker_1.password)
        mine = [a for a in await client.care.list_care_alerts() if str(a.subject_id) == fallen["id"]]
        assert len(mine) == 1 and mine[0].subject.name == "跌倒测试" and len(mine[0].evidence.hours) == 24
        assert mine[0].subject.family_contacts[0].phone == "13900009999"
        done = await client.care.record_care_followup(mine[0].id, "visited", "safe", note="已上门，老人安好")
        assert done.status == "closed"
        with pytest.raises(errors.CityError):
            await client.care.record_care_followup(mine[0].id, "visited", "safe")
        follow = await client.care.list_care_followups(fallen["id"])
        assert [(f.action, f.outcome, f.note) for f in follow] == [("visited", "safe", "已上门，老人安好")]
        subjects = {str(s.id): s for s in await client.care.list_care_subjects()}
        assert subjects[fallen["id"]].last_visit_at is not None
        visited = await client.care.log_care_visit(fallen["id"], "safe", "例行走访")
        assert visited.last_visit_at is not None
        assert await client.care.list_care_alerts() is not None
    finally:
        await client.aclose()
    # Closed: the next scan may raise a new alert for a new silence, never the same one again.
    run_scan(service)
    assert [a["status"] for a in alerts_of(db, fallen["id"])] == ["closed"]


def test_cli_scan_prints_its_summary(stack, monkeypatch, capsys, db, people, fallen):
    monkeypatch.setenv("SUPABASE_URL", stack.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", stack.service_key)
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    assert cityloop(["care", "scan"]) == 0
    assert '"households"' in capsys.readouterr().out
    assert len(alerts_of(db, fallen["id"])) == 1


def test_the_local_scheduler_reads_its_intervals():
    from backend.functions.config import FunctionsSettings
    from backend.functions.host import Functions

    def watch(**env: str):
        return Functions(FunctionsSettings.from_environ({"SUPABASE_URL": "http://x", "SUPABASE_SERVICE_ROLE_KEY": "k",
                                                         "CITYLOOP_HOME": "/nonexistent", **env})).care_watch

    service = watch(CITYLOOP_CARE_SCAN_INTERVAL="0", CITYLOOP_CARE_ESCALATION_INTERVAL="7")
    assert (service.scan_interval_s, service.escalation_interval_s) == (0.0, 7.0)
    assert watch().scan_interval_s == 900.0


def test_bad_alerts_are_refused_whole(service):
    with pytest.raises(APIError) as err:
        service.rpc("record_care_alerts", {"alerts": {"not": "a list"}}).execute()
    assert err.value.code == "PT400"
