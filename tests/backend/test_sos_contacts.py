"""SOS to emergency contacts: only accounts with a VERIFIED phone are told and may read the SOS; never change it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS, GRIDS, make_people, only_workers

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser


@pytest.fixture(scope="module")
def people(db, make_user):
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


def fresh_mobile() -> str:
    """An 11-digit mainland mobile number nobody else in this stack has."""
    return "139" + str(uuid.uuid4().int % 10**8).zfill(8)


def verify_phone(service, user: TestUser, mobile: str) -> None:
    """The phone is confirmed by Auth (as after an SMS code), through the admin API."""
    service.auth.admin.update_user_by_id(user.id, {"phone": "+86" + mobile, "phone_confirm": True})


def call(user: TestUser, name: str, **args):
    return user.client.rpc(name, args).execute().data


def raise_sos(user: TestUser) -> dict:
    lat, lon = GRID_POINTS[0]
    return call(user, "raise_sos", lat=lat, lon=lon, note="摔倒了 I fell")


def readable(user: TestUser, alert: str) -> tuple[int, int, int]:
    """How many rows of the alert, its trail and its timeline this user's API client can read."""
    rows = lambda table, column: len(user.client.table(table).select("*").eq(column, alert).execute().data)  # noqa: E731
    return rows("sos_alerts", "id"), rows("sos_locations", "alert_id"), rows("sos_events", "alert_id")


def my_sos_notifications(user: TestUser, alert: str) -> list[dict]:
    return user.client.table("notifications").select("kind,title_zh,title_en,payload") \
        .eq("sos_alert_id", alert).order("created_at").execute().data


@pytest.fixture()
def family(make_user, service) -> tuple[TestUser, str]:
    """A son with an account whose phone number Auth verified."""
    son = make_user(app_metadata={"role": "citizen"}, display_name="李小明")
    mobile = fresh_mobile()
    verify_phone(service, son, mobile)
    return son, mobile


def make_caller(make_user, contacts: list[dict]) -> TestUser:
    user = make_user(app_metadata={"role": "citizen"}, display_name="王奶奶")
    user.client.table("profiles").update({"emergency_contacts": contacts}).eq("id", user.id).execute()
    return user


def test_only_contacts_with_a_verified_phone_are_told_and_may_read(people, family, make_user, service, db) -> None:
    son, son_mobile = family
    # Claims a listed number in the unchecked profile phone only.
    claimer = make_user(app_metadata={"role": "citizen"})
    claimed = fresh_mobile()
    claimer.client.table("profiles").update({"phone": claimed}).eq("id", claimer.id).execute()
    # Has the listed number on the account, but never confirmed it.
    unconfirmed = make_user(app_metadata={"role": "citizen"})
    unconfirmed_mobile = fresh_mobile()
    verify_phone(service, unconfirmed, unconfirmed_mobile)
    db.execute("update auth.users set phone_confirmed_at = null where id = %s", (unconfirmed.id,))
    stranger = people.citizen_b
    caller_mobile = fresh_mobile()
    contacts = [
        # Written as people type it: +86, spaces and dashes.
        {"name": "李小明", "phone": f"+86 {son_mobile[:3]}-{son_mobile[3:7]}-{son_mobile[7:]}", "relation": "儿子"},
        {"name": "冒充者", "phone": claimed, "relation": "邻居"},
        {"name": "未验证", "phone": unconfirmed_mobile, "relation": "女儿"},
        {"name": "没有账号", "phone": fresh_mobile(), "relation": "侄子"},
        {"name": "我自己", "phone": caller_mobile, "relation": "本人"},
    ]
    caller = make_caller(make_user, contacts)
    verify_phone(service, caller, caller_mobile)  # the caller is never their own contact

    sos = raise_sos(caller)
    alert = sos["id"]
    assert sos["contact_ids"] == [son.id]
    assert sos["emergency_contacts"] == contacts
    # The son is told, with the caller's name, in both languages; the location is in the app.
    [told] = my_sos_notifications(son, alert)
    assert told["kind"] == "sos_contact_raised"
    assert "王奶奶" in told["title_zh"] and "应用" in told["title_zh"]
    assert "王奶奶" in told["title_en"] and "in the app" in told["title_en"]
    assert told["payload"]["sos_alert_id"] == alert and told["payload"]["caller_name"] == "王奶奶"
    everyone_told = {r[0] for r in db.execute(
        "select user_id::text from public.notifications where sos_alert_id = %s", (alert,)).fetchall()}
    assert everyone_told == {son.id, people.worker_1.id}  # the worker as before; nobody else
    # One timeline row counts them: the two unverified and the one without an account are not messaged.
    timeline = caller.client.table("sos_events").select("actor_role,from_status,to_status,note,payload") \
        .eq("alert_id", alert).order("id").execute().data
    assert [(e["actor_role"], e["to_status"]) for e in timeline] == [("citizen", "sent"), ("system", "sent")]
    counted = timeline[1]
    assert counted["note"].startswith("contacts notified: 1 of 5") and "SMS" in counted["note"]
    assert (counted["payload"]["contacts_notified"], counted["payload"]["contacts_listed"]) == (1, 5)

    # The son reads the alert, the whole trail and the timeline through the API.
    call(caller, "update_sos_location", alert_id=alert, lat=39.1251, lon=117.1938, accuracy_m=10)
    assert readable(son, alert) == (1, 2, 2)
    # The claimers and a stranger read nothing and were told nothing.
    for other in (claimer, unconfirmed, stranger):
        assert readable(other, alert) == (0, 0, 0)
        assert my_sos_notifications(other, alert) == []
    call(caller, "cancel_sos", alert_id=alert)


def test_a_contact_may_read_but_never_change_the_sos(people, family, make_user, db) -> None:
    son, son_mobile = family
    caller = make_caller(make_user, [{"name": "李小明", "phone": son_mobile, "relation": "儿子"}])
    alert = raise_sos(caller)["id"]
    before = db.execute("select a::text from public.sos_alerts a where id = %s", (alert,)).fetchone()
    for name, args in (("acknowledge_sos", {}), ("cancel_sos", {}), ("resolve_sos", {"note": "done"}),
                       ("update_sos_location", {"lat": 39.2, "lon": 117.3})):
        with pytest.raises(APIError) as err:
            call(son, name, alert_id=alert, **args)
        assert err.value.code == "PT404", name  # as if it did not exist: only reading is allowed
    with pytest.raises(APIError) as err:
        son.client.table("sos_alerts").update({"note": "changed"}).eq("id", alert).execute()
    assert err.value.code == "42501"
    with pytest.raises(APIError):
        son.client.table("sos_events").insert({"alert_id": alert, "actor_role": "citizen", "to_status": "resolved"}).execute()
    assert db.execute("select a::text from public.sos_alerts a where id = %s", (alert,)).fetchone() == before
    call(caller, "cancel_sos", alert_id=alert)


def test_every_later_status_reaches_the_contact(people, family, make_user) -> None:
    son, son_mobile = family
    w1 = people.worker_1
    w1.client.table("profiles").update({"display_name": "网格员小张"}).eq("id", w1.id).execute()
    caller = make_caller(make_user, [{"name": "李小明", "phone": son_mobile, "relation": "儿子"}])
    alert = raise_sos(caller)["id"]
    call(w1, "acknowledge_sos", alert_id=alert)
    call(w1, "mark_sos_on_the_way", alert_id=alert)
    call(w1, "resolve_sos", alert_id=alert, note="已送医 taken to hospital")
    told = my_sos_notifications(son, alert)
    assert [n["kind"] for n in told] == [
        "sos_contact_raised", "sos_contact_acknowledged", "sos_contact_on_the_way", "sos_contact_resolved"]
    acknowledged = told[1]
    assert "网格员小张" in acknowledged["title_zh"] and "王奶奶" in acknowledged["title_zh"]
    assert "acknowledged by 网格员小张" in acknowledged["title_en"]
    assert acknowledged["payload"]["by_name"] == "网格员小张"
    assert "网格员小张" in told[2]["title_zh"] and "resolved" in told[3]["title_en"]
    # The caller still gets exactly their own notices.
    assert [n["kind"] for n in my_sos_notifications(caller, alert)] == [
        "sos_acknowledged", "sos_on_the_way", "sos_resolved"]
    assert readable(son, alert)[0] == 1  # still readable once closed

    # A false alarm cancelled by the caller reaches the son too.
    again = raise_sos(caller)["id"]
    call(caller, "cancel_sos", alert_id=again)
    assert [n["kind"] for n in my_sos_notifications(son, again)] == ["sos_contact_raised", "sos_contact_cancelled"]


def test_contacts_without_an_account_are_counted_not_messaged(people, make_user, db) -> None:
    caller = make_caller(make_user, [{"name": "张三", "phone": fresh_mobile(), "relation": "朋友"},
                                     {"name": "李四", "phone": "010-1234 5678", "relation": "同事"}])
    sos = raise_sos(caller)
    assert sos["contact_ids"] == []
    note = db.execute("select note from public.sos_events where alert_id = %s and actor_role = 'system'",
                      (sos["id"],)).fetchone()[0]
    assert note.startswith("contacts notified: 0 of 2")
    kinds = {r[0] for r in db.execute("select kind from public.notifications where sos_alert_id = %s",
                                      (sos["id"],)).fetchall()}
    assert kinds == {"sos_raised"}  # only the grid's worker
    call(caller, "cancel_sos", alert_id=sos["id"])
    # Nobody listed: no count in the timeline, the raise stays the only event before the cancel.
    lonely = make_caller(make_user, [])
    alone = raise_sos(lonely)["id"]
    events = [r[0] for r in db.execute("select actor_role from public.sos_events where alert_id = %s order by id",
                                       (alone,)).fetchall()]
    assert events == ["citizen"]
    call(lonely, "cancel_sos", alert_id=alone)
