"""SOS: raise -> workers told -> location trail -> acknowledged -> on the way -> resolved; every wrong move refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import people  # noqa: F401 - fixtures
from tests.backend.core_support import GRID_POINTS, GRIDS, OUTSIDE, STREETS
from tests.backend.realtime_support import binding, subscribe

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser

CONTACTS = [{"name": "李小明", "phone": "13800000001", "relation": "son"}]


@pytest.fixture()
def caller(make_user) -> TestUser:
    """A fresh citizen with an emergency contact (one open SOS per person)."""
    user = make_user(app_metadata={"role": "citizen"}, display_name="王奶奶")
    user.client.table("profiles").update({"emergency_contacts": CONTACTS}).eq("id", user.id).execute()
    return user


def call(user: TestUser, name: str, **args) -> dict:
    return user.client.rpc(name, args).execute().data


def raise_sos(user: TestUser, point: tuple[float, float] = GRID_POINTS[0], **extra) -> dict:
    lat, lon = point
    return call(user, "raise_sos", lat=lat, lon=lon, **extra)


def snapshot(db, alert: str) -> tuple:
    return db.execute(
        """select (select a::text from public.sos_alerts a where id = %(a)s),
                  (select count(*) from public.sos_events where alert_id = %(a)s),
                  (select count(*) from public.sos_locations where alert_id = %(a)s),
                  (select count(*) from public.notifications where sos_alert_id = %(a)s)""", {"a": alert}).fetchone()


def refused(db, alert: str, code: str, action: Callable[[], object]) -> None:
    before = snapshot(db, alert)
    with pytest.raises(APIError) as err:
        action()
    assert err.value.code == code, err.value.message
    assert snapshot(db, alert) == before


def told(db, alert: str, kind: str) -> set[str]:
    return {r[0] for r in db.execute("select user_id::text from public.notifications where sos_alert_id = %s and kind = %s",
                                     (alert, kind)).fetchall()}


def seen_by(user: TestUser, alert: str) -> dict | None:
    rows = user.client.table("sos_alerts").select("*").eq("id", alert).execute().data
    return rows[0] if rows else None


def test_the_whole_flow_as_the_caller_sees_it(people, caller, db) -> None:
    w1 = people.worker_1
    sos = raise_sos(caller, note="摔倒了 I fell")
    alert = sos["id"]
    assert (sos["status"], sos["grid_id"], sos["street_id"], sos["escalation_level"]) == ("sent", GRIDS[0], STREETS[0], 0)
    assert sos["emergency_contacts"] == CONTACTS and sos["caller_id"] == caller.id
    assert raise_sos(caller, GRID_POINTS[1])["id"] == alert  # one open SOS: pressing again returns it
    assert db.execute("select count(*) from public.sos_alerts where caller_id = %s", (caller.id,)).fetchone()[0] == 1
    # The grid's on-duty worker is told, with the emergency contacts; the raise event records them.
    assert told(db, alert, "sos_raised") == {w1.id}
    payload = db.execute("select payload from public.notifications where sos_alert_id = %s and kind = 'sos_raised'",
                         (alert,)).fetchone()[0]
    assert payload["emergency_contacts"] == CONTACTS and payload["caller_name"] == "王奶奶"
    first = db.execute("select actor_id::text, actor_role, to_status::text, payload from public.sos_events"
                       " where alert_id = %s order by id limit 1", (alert,)).fetchone()
    assert first[:3] == (caller.id, "citizen", "sent") and first[3]["emergency_contacts"] == CONTACTS
    assert w1.id in first[3]["notified"]
    # The location trail grows while the SOS is open; the alert keeps the latest fix.
    call(caller, "update_sos_location", alert_id=alert, lat=39.1251, lon=117.1938, accuracy_m=12.5)
    moved = call(caller, "update_sos_location", alert_id=alert, lat=39.1252, lon=117.1939, accuracy_m=8)
    assert (moved["lat"], moved["lon"], moved["accuracy_m"]) == (39.1252, 117.1939, 8)
    trail = caller.client.table("sos_locations").select("lat,accuracy_m").eq("alert_id", alert).order("id").execute().data
    assert [(r["lat"], r["accuracy_m"]) for r in trail] == [(GRID_POINTS[0][0], None), (39.1251, 12.5), (39.1252, 8)]
    assert len(w1.client.table("sos_locations").select("id").eq("alert_id", alert).execute().data) == 3
    # Acknowledged by whom, on the way, resolved: the caller sees each state.
    assert seen_by(caller, alert)["status"] == "sent"
    assert seen_by(w1, alert)["status"] == "sent"
    w1.client.table("profiles").update({"display_name": "网格员小张"}).eq("id", w1.id).execute()
    call(w1, "acknowledge_sos", alert_id=alert)
    now = seen_by(caller, alert)
    assert (now["status"], now["acknowledged_by"], now["acknowledged_by_name"]) == ("acknowledged", w1.id, "网格员小张")
    assert now["acknowledged_at"] is not None
    call(w1, "mark_sos_on_the_way", alert_id=alert)
    assert seen_by(caller, alert)["status"] == "on_the_way"
    done = call(w1, "resolve_sos", alert_id=alert, note="已送医 taken to hospital")
    assert (done["status"], done["resolved_by"], done["resolution_note"]) == ("resolved", w1.id, "已送医 taken to hospital")
    assert seen_by(caller, alert)["status"] == "resolved"
    timeline = caller.client.table("sos_events").select("to_status,actor_role").eq("alert_id", alert).order("id").execute()
    assert [(r["to_status"], r["actor_role"]) for r in timeline.data] == [
        ("sent", "citizen"), ("sent", "system"),  # the second: the emergency contacts counted
        ("acknowledged", "grid_worker"), ("on_the_way", "grid_worker"), ("resolved", "grid_worker")]
    kinds = [r[0] for r in db.execute("select kind from public.notifications where sos_alert_id = %s and user_id = %s"
                                      " order by created_at", (alert, caller.id)).fetchall()]
    assert kinds == ["sos_acknowledged", "sos_on_the_way", "sos_resolved"]
    # Closed: the next press is a new SOS.
    again = raise_sos(caller)
    assert again["id"] != alert and again["status"] == "sent"
    call(caller, "cancel_sos", alert_id=again["id"])


def test_cancel_as_a_false_alarm(people, caller, db) -> None:
    alert = raise_sos(caller)["id"]
    cancelled = call(caller, "cancel_sos", alert_id=alert, reason="误触 pressed by mistake")
    assert (cancelled["status"], cancelled["cancelled_at"] is not None) == ("cancelled", True)
    assert told(db, alert, "sos_cancelled") == {people.worker_1.id}
    last = db.execute("select from_status::text, to_status::text, note from public.sos_events where alert_id = %s"
                      " order by id desc limit 1", (alert,)).fetchone()
    assert last == ("sent", "cancelled", "误触 pressed by mistake")
    refused(db, alert, "PT409", lambda: call(caller, "cancel_sos", alert_id=alert))
    refused(db, alert, "PT409", lambda: call(people.worker_1, "acknowledge_sos", alert_id=alert))
    refused(db, alert, "PT409", lambda: call(caller, "update_sos_location", alert_id=alert, lat=39.12, lon=117.19))
    # Long after the cancel (see test_raised_again_soon_after_the_cancel_reopens_the_alert), a raise is a new alert.
    db.execute("update public.sos_alerts set cancelled_at = now() - interval '3 minutes' where id = %s", (alert,))
    fresh = raise_sos(caller)
    assert fresh["id"] != alert
    assert call(caller, "cancel_sos", alert_id=fresh["id"])["status"] == "cancelled"  # reason is optional
    assert db.execute("select note from public.sos_events where alert_id = %s and to_status = 'cancelled'",
                      (fresh["id"],)).fetchone()[0] == "false alarm"


def test_raised_again_soon_after_the_cancel_reopens_the_alert(people, caller, db) -> None:
    """A raise-cancel flood is one alert (one banner, one alarm), never a refused or silenced SOS."""
    first = raise_sos(caller)["id"]
    for _ in range(3):
        assert call(caller, "cancel_sos", alert_id=first)["status"] == "cancelled"
        again = raise_sos(caller, GRID_POINTS[1], note="真的需要帮助 really need help")
        assert (again["id"], again["status"], again["cancelled_at"]) == (first, "sent", None)
        assert (again["lat"], again["lon"]) == GRID_POINTS[1]  # the new location
    assert db.execute("select count(*) from public.sos_alerts where caller_id = %s", (caller.id,)).fetchone()[0] == 1
    reopened = db.execute("select from_status::text, to_status::text, payload ->> 'reopened' from public.sos_events"
                          " where alert_id = %s and from_status = 'cancelled' order by id", (first,)).fetchall()
    assert reopened == [("cancelled", "sent", "true")] * 3
    assert told(db, first, "sos_reopened") == {people.worker_1.id}  # the responders are told it is back
    # It is an open SOS like any other: acknowledged as usual (and the contacts' trail goes on).
    assert call(people.worker_1, "acknowledge_sos", alert_id=first)["status"] == "acknowledged"
    assert call(caller, "cancel_sos", alert_id=first)["status"] == "cancelled"
    assert raise_sos(caller)["acknowledged_by"] is None  # reopened: waiting for a responder again
    call(caller, "cancel_sos", alert_id=first)
    # Past the window (2 minutes, private.limits sos_reopen_seconds), a raise is a new alert.
    db.execute("update public.sos_alerts set cancelled_at = now() - interval '121 seconds' where id = %s", (first,))
    fresh = raise_sos(caller)
    assert fresh["id"] != first and fresh["status"] == "sent"
    assert db.execute("select status::text from public.sos_alerts where id = %s", (first,)).fetchone()[0] == "cancelled"


def test_illegal_calls_are_refused_and_change_nothing(people, caller, db, anon) -> None:
    b, w1, w2 = people.citizen_b, people.worker_1, people.worker_2
    alert = raise_sos(caller)["id"]
    refused(db, alert, "PT404", lambda: call(b, "acknowledge_sos", alert_id=alert))  # another citizen: not visible
    refused(db, alert, "PT404", lambda: call(w2, "acknowledge_sos", alert_id=alert))  # worker of another grid
    refused(db, alert, "PT403", lambda: call(caller, "acknowledge_sos", alert_id=alert))
    refused(db, alert, "PT404", lambda: call(b, "update_sos_location", alert_id=alert, lat=39.12, lon=117.19))
    refused(db, alert, "PT403", lambda: call(w1, "update_sos_location", alert_id=alert, lat=39.12, lon=117.19))
    refused(db, alert, "PT400", lambda: call(caller, "update_sos_location", alert_id=alert, lat=91, lon=117.19))
    refused(db, alert, "PT400", lambda: call(caller, "update_sos_location", alert_id=alert, lat=39.1, lon=117.1,
                                             accuracy_m=-1))
    refused(db, alert, "PT409", lambda: call(w1, "mark_sos_on_the_way", alert_id=alert))
    refused(db, alert, "PT409", lambda: call(w1, "resolve_sos", alert_id=alert, note="done"))
    refused(db, alert, "PT403", lambda: call(w1, "cancel_sos", alert_id=alert))
    refused(db, alert, "PT404", lambda: call(b, "cancel_sos", alert_id=alert))
    call(w1, "acknowledge_sos", alert_id=alert)
    refused(db, alert, "PT409", lambda: call(w1, "acknowledge_sos", alert_id=alert))
    refused(db, alert, "PT403", lambda: call(caller, "mark_sos_on_the_way", alert_id=alert))
    refused(db, alert, "PT400", lambda: call(w1, "resolve_sos", alert_id=alert, note="  "))
    call(w1, "resolve_sos", alert_id=alert, note="没事了 all fine")
    refused(db, alert, "PT409", lambda: call(w1, "resolve_sos", alert_id=alert, note="again"))
    refused(db, alert, "PT409", lambda: call(caller, "cancel_sos", alert_id=alert))
    refused(db, alert, "PT409", lambda: call(caller, "update_sos_location", alert_id=alert, lat=39.12, lon=117.19))
    # Anon cannot call for help through the API (sign in first); bad points are refused.
    with pytest.raises(APIError) as err:
        anon.rpc("raise_sos", {"lat": 39.12, "lon": 117.19}).execute()
    assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        raise_sos(b, (95.0, 117.19))
    assert err.value.code == "PT400"
    with pytest.raises(APIError) as err:
        raise_sos(b, note="x" * 501)
    assert err.value.code == "PT400"
    assert db.execute("select count(*) from public.sos_alerts where caller_id = %s", (b.id,)).fetchone()[0] == 0


def test_who_reads_an_sos_and_nobody_writes_directly(people, caller, make_user, db, anon, service) -> None:
    other_supervisor = make_user(app_metadata={"role": "supervisor"})
    db.execute("insert into public.supervisor_streets (user_id, street_id) values (%s, %s)",
               (other_supervisor.id, STREETS[1]))
    alert = raise_sos(caller)["id"]
    call(caller, "update_sos_location", alert_id=alert, lat=39.1251, lon=117.1938)
    allowed = {"caller": caller.client, "worker of the grid": people.worker_1.client,
               "supervisor of the street": people.supervisor.client, "service": service}
    denied = {"anon": anon, "citizen B": people.citizen_b.client, "worker of another grid": people.worker_2.client,
              "supervisor of another street": other_supervisor.client, "department staff": people.staff.client}
    for table, column in (("sos_alerts", "id"), ("sos_locations", "alert_id"), ("sos_events", "alert_id")):
        for who, client in allowed.items():
            assert client.table(table).select("*").eq(column, alert).execute().data, f"{who} should read {table}"
        for who, client in denied.items():
            assert client.table(table).select("*").eq(column, alert).execute().data == [], f"{who} read {table}"
    before = snapshot(db, alert)
    attempts = [
        lambda: caller.client.table("sos_alerts").update({"status": "resolved"}).eq("id", alert).execute(),
        lambda: people.worker_1.client.table("sos_alerts").update({"status": "acknowledged"}).eq("id", alert).execute(),
        lambda: caller.client.table("sos_alerts").insert({"lat": 39.12, "lon": 117.19}).execute(),
        lambda: caller.client.table("sos_locations").insert({"alert_id": alert, "lat": 39.1, "lon": 117.1}).execute(),
        lambda: caller.client.table("sos_events").insert({"alert_id": alert, "actor_role": "citizen",
                                                          "to_status": "resolved"}).execute(),
        lambda: caller.client.table("sos_alerts").delete().eq("id", alert).execute(),
        lambda: anon.table("sos_alerts").update({"status": "resolved"}).eq("id", alert).execute(),
    ]
    for attempt in attempts:
        with pytest.raises(APIError) as err:
            attempt()
        assert err.value.code == "42501"
    assert snapshot(db, alert) == before
    call(caller, "cancel_sos", alert_id=alert)


def test_outside_every_grid_every_supervisor_is_told(people, caller, db) -> None:
    sos = raise_sos(caller, OUTSIDE)
    assert (sos["grid_id"], sos["street_id"]) == (None, None)
    supervisors = {r[0] for r in db.execute("select distinct user_id::text from public.supervisor_streets").fetchall()}
    assert people.supervisor.id in told(db, sos["id"], "sos_raised") == supervisors
    assert seen_by(people.supervisor, sos["id"])["status"] == "sent"
    call(people.supervisor, "acknowledge_sos", alert_id=sos["id"])
    assert call(people.supervisor, "resolve_sos", alert_id=sos["id"], note="已联系 reached")["status"] == "resolved"


async def test_the_caller_and_the_workers_see_it_live(rt, people, caller) -> None:
    w1, b = people.worker_1, people.citizen_b
    _, worker_inbox = await subscribe(await rt(w1.access_token), binding("sos_alerts", "INSERT", schema="public"),
                                      binding("sos_locations", "INSERT", schema="public"))
    _, caller_inbox = await subscribe(await rt(caller.access_token), binding("sos_alerts", "UPDATE", schema="public"))
    _, other_inbox = await subscribe(await rt(b.access_token), binding("sos_alerts", "*", schema="public"))
    alert = raise_sos(caller)["id"]
    await worker_inbox.wait_for(lambda d: d["table"] == "sos_alerts" and d["record"]["id"] == alert)
    call(caller, "update_sos_location", alert_id=alert, lat=39.1251, lon=117.1938)
    await worker_inbox.wait_for(lambda d: d["table"] == "sos_locations" and d["record"]["lat"] == 39.1251)
    call(w1, "acknowledge_sos", alert_id=alert)
    _, change = await caller_inbox.wait_for(lambda d: d["record"]["status"] == "acknowledged")
    assert change["data"]["record"]["acknowledged_by"] == w1.id
    # B's sentinel: B's own SOS arrives after A's changes, and nothing of the caller's came before it.
    own = raise_sos(b)["id"]
    await other_inbox.wait_for(lambda d: d["record"]["id"] == own)
    assert [d["data"]["record"]["id"] for _, d in other_inbox.changes] == [own]
    call(b, "cancel_sos", alert_id=own)
    call(w1, "resolve_sos", alert_id=alert, note="ok")
