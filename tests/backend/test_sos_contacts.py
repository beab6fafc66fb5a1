"""SOS to emergency contacts: only contacts who ACCEPTED the caller's invitation (as owners of the verified
phone) are told and may read the SOS, never change it; pending contacts get an SMS without a location."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS, GRIDS, make_people, only_workers

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser

MIGRATION = Path(__file__).parents[2] / "backend/supabase/migrations/20261201000100_emergency_contact_invitations.sql"


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


def call(user: TestUser, rpc: str, **args):
    return user.client.rpc(rpc, args).execute().data


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


def invite(caller: TestUser, phone: str, name: str = "李小明", relation: str | None = "儿子") -> dict:
    return call(caller, "invite_emergency_contact", phone=phone, name=name, relation=relation)


def answer(user: TestUser, invitation: str, accept: bool = True) -> dict:
    return call(user, "answer_contact_invitation", invitation=invitation, accept=accept)


def status_in_sql(db, invitation: str) -> tuple:
    return db.execute("select status::text, invitee_id::text from public.emergency_contact_invitations where id = %s",
                      (invitation,)).fetchone()


def outbox(db, alert: str) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in db.execute(
        "select kind, phone, body from public.sms_outbox where sos_id = %s order by id", (alert,)).fetchall()]


@pytest.fixture()
def family(make_user, service) -> tuple[TestUser, str]:
    """A son with an account whose phone number Auth verified."""
    son = make_user(app_metadata={"role": "citizen"}, display_name="李小明")
    mobile = fresh_mobile()
    verify_phone(service, son, mobile)
    return son, mobile


def make_caller(make_user) -> TestUser:
    user = make_user(app_metadata={"role": "citizen"})
    user.client.table("profiles").update({"display_name": "王奶奶"}).eq("id", user.id).execute()
    return user


def accepted_son(make_user, family) -> tuple[TestUser, TestUser, str]:
    son, mobile = family
    caller = make_caller(make_user)
    link = invite(caller, f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}")  # as people type it
    answer(son, link["id"])
    return caller, son, link["id"]


def test_the_invitee_sees_the_invitation_with_the_inviters_name_only(people, family, make_user, service, db) -> None:
    son, mobile = family
    caller = make_caller(make_user)
    caller.client.table("profiles").update({"phone": "13700001111", "emergency_contacts": []}).eq("id", caller.id).execute()
    link = invite(caller, mobile)
    assert link["status"] == "pending" and link["phone"] == mobile and link["name"] == "李小明"
    assert set(link) == {"id", "phone", "name", "relation", "status", "created_at", "answered_at", "ended_at"}
    # The son is told in the app and lists it: the inviter's display name, nothing else of her.
    [told] = son.client.table("notifications").select("kind,title_zh,payload").eq("kind", "contact_invitation") \
        .execute().data
    assert "王奶奶" in told["title_zh"] and told["payload"]["invitation_id"] == link["id"]
    [listed] = call(son, "my_contact_invitations")
    assert listed["id"] == link["id"] and listed["inviter_name"] == "王奶奶" and listed["status"] == "pending"
    assert set(listed) == {"id", "inviter_name", "name", "relation", "status", "created_at", "answered_at"}
    assert son.client.table("profiles").select("*").eq("id", caller.id).execute().data == []
    # A stranger (verified phone of their own) and anon see nothing of it.
    stranger = people.citizen_b
    verify_phone(service, stranger, fresh_mobile())
    assert call(stranger, "my_contact_invitations") == []
    assert stranger.client.table("emergency_contact_invitations").select("*").eq("id", link["id"]).execute().data == []
    # Before the son verified, the number alone showed nothing: unverify and look again.
    db.execute("update auth.users set phone_confirmed_at = null where id = %s", (son.id,))
    try:
        assert call(son, "my_contact_invitations") == []
    finally:
        db.execute("update auth.users set phone_confirmed_at = now() where id = %s", (son.id,))


def test_inviting_answers_the_same_whether_or_not_the_number_has_an_account(family, make_user) -> None:
    _, mobile = family
    caller = make_caller(make_user)
    with_account, without = invite(caller, mobile), invite(caller, fresh_mobile())
    strip = lambda row: {k: v for k, v in row.items() if k not in ("id", "phone", "created_at")}  # noqa: E731
    assert strip(with_account) == strip(without)
    assert invite(caller, mobile)["id"] == with_account["id"]  # inviting again: the same invitation


def test_only_the_owner_of_the_verified_phone_answers(people, family, make_user, service, db) -> None:
    son, mobile = family
    caller = make_caller(make_user)
    link = invite(caller, mobile)["id"]
    # Claims the number in the unchecked profile phone; has it on the account unconfirmed; a stranger; the caller.
    claimer = make_user(app_metadata={"role": "citizen"})
    claimer.client.table("profiles").update({"phone": mobile}).eq("id", claimer.id).execute()
    unconfirmed = make_user(app_metadata={"role": "citizen"})
    # The same number, stored without 86, never confirmed.
    db.execute("update auth.users set phone = %s, phone_confirmed_at = null where id = %s", (mobile, unconfirmed.id))
    for other in (claimer, unconfirmed, people.citizen_b, caller):
        for accept in (True, False):
            with pytest.raises(APIError) as err:
                answer(other, link, accept)
            assert err.value.code == "PT404"
    assert status_in_sql(db, link) == ("pending", None)
    with pytest.raises(APIError) as err:
        answer(son, str(uuid.uuid4()))
    assert err.value.code == "PT404"
    with pytest.raises(APIError) as err:  # nobody writes the table directly
        son.client.table("emergency_contact_invitations").update({"status": "accepted"}).eq("id", link).execute()
    assert err.value.code == "42501"
    assert answer(son, link)["status"] == "accepted"
    assert status_in_sql(db, link) == ("accepted", son.id)
    with pytest.raises(APIError) as err:
        answer(son, link, False)
    assert err.value.code == "PT409"
    # The caller sees who accepted, and was told.
    [mine] = caller.client.table("emergency_contact_invitations").select("status,name").execute().data
    assert mine == {"status": "accepted", "name": "李小明"}
    kinds = [n["kind"] for n in caller.client.table("notifications").select("kind").execute().data]
    assert "contact_accepted" in kinds


def test_an_accepted_contact_is_told_and_reads_the_alert_and_trail(people, family, make_user, db) -> None:
    caller, son, _ = accepted_son(make_user, family)
    sos = raise_sos(caller)
    alert = sos["id"]
    assert sos["contact_ids"] == [son.id]
    [told] = my_sos_notifications(son, alert)
    assert told["kind"] == "sos_contact_raised" and "王奶奶" in told["title_zh"]
    assert told["payload"]["sos_alert_id"] == alert and told["payload"]["caller_name"] == "王奶奶"
    call(caller, "update_sos_location", alert_id=alert, lat=39.1251, lon=117.1938, accuracy_m=10)
    assert readable(son, alert) == (1, 2, 2)
    assert outbox(db, alert) == []  # an accepted contact is told in the app, not by SMS
    for other in (people.citizen_b, people.worker_2):
        assert readable(other, alert) == (0, 0, 0)
    call(caller, "cancel_sos", alert_id=alert)


@pytest.mark.parametrize("state", ["pending", "declined", "ended by the caller", "ended by the contact"])
def test_without_an_accepted_link_a_contact_reads_and_hears_nothing(state, family, make_user, db) -> None:
    son, mobile = family
    caller = make_caller(make_user)
    link = invite(caller, mobile)["id"]
    if state == "declined":
        answer(son, link, False)
    elif state.startswith("ended"):
        answer(son, link)
        call(caller if state.endswith("caller") else son, "end_emergency_contact", invitation=link)
        assert status_in_sql(db, link)[0] == "ended"
    alert = raise_sos(caller)["id"]
    assert db.execute("select contact_ids from public.sos_alerts where id = %s", (alert,)).fetchone()[0] == []
    assert readable(son, alert) == (0, 0, 0)
    assert db.execute("select count(*) from public.notifications where sos_alert_id = %s and user_id = %s",
                      (alert, son.id)).fetchone()[0] == 0
    call(caller, "cancel_sos", alert_id=alert)


def test_ending_the_link_during_an_sos_stops_reading_and_notices(people, family, make_user, db) -> None:
    caller, son, link = accepted_son(make_user, family)
    alert = raise_sos(caller)["id"]
    assert readable(son, alert) == (1, 1, 2)
    ended = call(son, "end_emergency_contact", invitation=link)
    assert ended["status"] == "ended"
    assert readable(son, alert) == (0, 0, 0)
    call(people.worker_1, "acknowledge_sos", alert_id=alert)
    assert [n["kind"] for n in my_sos_notifications(son, alert)] == ["sos_contact_raised"]
    # Ended is final: neither side ends it again, a stranger gets not-found.
    for who, code in ((son, "PT409"), (caller, "PT409"), (people.citizen_b, "PT404")):
        with pytest.raises(APIError) as err:
            call(who, "end_emergency_contact", invitation=link)
        assert err.value.code == code
    call(caller, "cancel_sos", alert_id=alert)


def test_a_contact_may_read_but_never_change_the_sos(people, family, make_user, db) -> None:
    caller, son, _ = accepted_son(make_user, family)
    alert = raise_sos(caller)["id"]
    before = db.execute("select a::text from public.sos_alerts a where id = %s", (alert,)).fetchone()
    for rpc, args in (("acknowledge_sos", {}), ("cancel_sos", {}), ("resolve_sos", {"note": "done"}),
                      ("update_sos_location", {"lat": 39.2, "lon": 117.3})):
        with pytest.raises(APIError) as err:
            call(son, rpc, alert_id=alert, **args)
        assert err.value.code == "PT404", rpc  # as if it did not exist: only reading is allowed
    with pytest.raises(APIError) as err:
        son.client.table("sos_alerts").update({"note": "changed"}).eq("id", alert).execute()
    assert err.value.code == "42501"
    assert db.execute("select a::text from public.sos_alerts a where id = %s", (alert,)).fetchone() == before
    call(caller, "cancel_sos", alert_id=alert)


def test_every_later_status_reaches_the_contact(people, family, make_user) -> None:
    w1 = people.worker_1
    w1.client.table("profiles").update({"display_name": "网格员小张"}).eq("id", w1.id).execute()
    caller, son, _ = accepted_son(make_user, family)
    alert = raise_sos(caller)["id"]
    call(w1, "acknowledge_sos", alert_id=alert)
    call(w1, "mark_sos_on_the_way", alert_id=alert)
    call(w1, "resolve_sos", alert_id=alert, note="已送医 taken to hospital")
    told = my_sos_notifications(son, alert)
    assert [n["kind"] for n in told] == [
        "sos_contact_raised", "sos_contact_acknowledged", "sos_contact_on_the_way", "sos_contact_resolved"]
    assert "网格员小张" in told[1]["title_zh"] and "acknowledged by 网格员小张" in told[1]["title_en"]
    assert readable(son, alert)[0] == 1  # still readable once closed


def test_pending_contacts_get_an_sms_without_location_capped_per_alert(people, family, make_user, db) -> None:
    son, son_mobile = family  # has an account but has not answered: pending, so texted too
    caller = make_caller(make_user)
    no_account = fresh_mobile()
    invite(caller, no_account, "张三", "朋友")
    invite(caller, son_mobile)
    declined = fresh_mobile()
    invite(caller, declined, "李四")
    db.execute("update public.emergency_contact_invitations set status = 'declined' where phone = %s", (declined,))
    sos = raise_sos(caller)
    alert = sos["id"]
    raised = outbox(db, alert)
    assert sorted(p for _, p, _ in raised) == sorted(["+86" + no_account, "+86" + son_mobile])
    for kind, _, body in raised:
        assert kind == "sos_raised" and "王奶奶" in body and "110" in body
        assert not re.search(r"\d+\.\d+", body) and "39." not in body and "117" not in body  # no coordinates
    note = db.execute("select note from public.sos_events where alert_id = %s and actor_role = 'system'",
                      (alert,)).fetchone()[0]
    assert note.startswith("contacts notified: 0 of 2 in the app") and "2 by SMS" in note
    # Anyone but the service role: the outbox is not there.
    for user in (caller, son, people.citizen_b):
        with pytest.raises(APIError) as err:
            user.client.table("sms_outbox").select("*").execute()
        assert err.value.code == "42501"
    w1 = people.worker_1
    call(w1, "acknowledge_sos", alert_id=alert)
    call(w1, "mark_sos_on_the_way", alert_id=alert)  # no SMS for this step
    call(w1, "resolve_sos", alert_id=alert, note="ok")
    kinds = [k for k, p, _ in outbox(db, alert) if p == "+86" + no_account]
    assert kinds == ["sos_raised", "sos_acknowledged", "sos_resolved"]
    # The cap holds even when more changes come (e.g. a job re-running the trigger path).
    db.execute("select private.queue_contact_sms(%s, array[%s], 'sos_resolved', 'again')", (alert, "+86" + no_account))
    assert len([p for _, p, _ in outbox(db, alert) if p == "+86" + no_account]) == 3


def test_a_false_alarm_is_texted_too(make_user, db) -> None:
    caller = make_caller(make_user)
    invite(caller, fresh_mobile())
    alert = raise_sos(caller)["id"]
    call(caller, "cancel_sos", alert_id=alert)
    assert [k for k, _, _ in outbox(db, alert)] == ["sos_raised", "sos_cancelled"]


def test_bad_invitations_are_refused_and_write_nothing(make_user, service, db) -> None:
    caller = make_caller(make_user)
    own = fresh_mobile()
    verify_phone(service, caller, own)
    for args, code in (({"phone": "12345", "name": "x"}, "PT400"), ({"phone": "010-1234 5678", "name": "x"}, "PT400"),
                       ({"phone": fresh_mobile(), "name": "  "}, "PT400"),
                       ({"phone": fresh_mobile(), "name": "x" * 51}, "PT400"),
                       ({"phone": fresh_mobile(), "name": "x", "relation": "y" * 21}, "PT400"),
                       ({"phone": own, "name": "我"}, "PT400")):
        with pytest.raises(APIError) as err:
            call(caller, "invite_emergency_contact", **args)
        assert err.value.code == code, args
    assert db.execute("select count(*) from public.emergency_contact_invitations where inviter_id = %s",
                      (caller.id,)).fetchone()[0] == 0


def test_anon_can_do_nothing(anon, family, make_user, db) -> None:
    _, mobile = family
    caller = make_caller(make_user)
    link = invite(caller, mobile)["id"]
    for name, args in (("invite_emergency_contact", {"phone": fresh_mobile(), "name": "x"}),
                       ("answer_contact_invitation", {"invitation": link, "accept": True}),
                       ("end_emergency_contact", {"invitation": link}), ("my_contact_invitations", {}),
                       ("claim_sms_batch", {}), ("finish_sms", {"sms_id": 1})):
        with pytest.raises(APIError) as err:
            anon.rpc(name, args).execute()
        assert err.value.code == "42501", name
    for table in ("emergency_contact_invitations", "sms_outbox"):
        with pytest.raises(APIError) as err:
            anon.table(table).select("*").execute()
        assert err.value.code == "42501"
    assert status_in_sql(db, link) == ("pending", None)


def test_people_cannot_drive_the_sms_job(people, db) -> None:
    for name, args in (("claim_sms_batch", {}), ("finish_sms", {"sms_id": 1, "provider_ref": "x"})):
        with pytest.raises(APIError) as err:
            people.citizen_a.client.rpc(name, args).execute()
        assert err.value.code == "42501", name


def test_invitations_are_throttled_per_person(make_user, db) -> None:
    caller = make_caller(make_user)
    links = [invite(caller, fresh_mobile(), f"联系人{n}")["id"] for n in range(10)]
    with pytest.raises(APIError) as err:  # eleven live contacts
        invite(caller, fresh_mobile())
    assert err.value.code == "PT409" and "at most 10" in err.value.message
    for link in links[:3]:
        call(caller, "end_emergency_contact", invitation=link)
    with pytest.raises(APIError) as err:  # room again, but ten invitations today already
        invite(caller, fresh_mobile())
    assert err.value.code == "PT429" and "tomorrow" in err.value.message
    assert db.execute("select count(*) from public.emergency_contact_invitations where inviter_id = %s",
                      (caller.id,)).fetchone()[0] == 10


def test_todays_contacts_become_pending_invitations(make_user, db) -> None:
    """The migration's data step, run again on a profile that still has typed contacts."""
    caller = make_caller(make_user)
    mobile = fresh_mobile()
    contacts = [{"name": "李小明", "phone": f"+86 {mobile}", "relation": "儿子"},
                {"name": "", "phone": "010-1234 5678"}, {"name": "重复", "phone": mobile}, {"name": "坏的", "phone": "abc"}]
    db.execute("update public.profiles set emergency_contacts = %s::jsonb where id = %s",
               (__import__("json").dumps(contacts), caller.id))
    data_step = MIGRATION.read_text(encoding="utf-8").split("-- Data: today's contacts become pending invitations")[1]
    db.execute(data_step)
    db.execute(data_step)  # idempotent
    rows = db.execute("select phone, name, relation, status::text, migrated_from_profile from"
                      " public.emergency_contact_invitations where inviter_id = %s order by phone", (caller.id,)).fetchall()
    assert rows == [("01012345678", "紧急联系人", None, "pending", True), (mobile, "李小明", "儿子", "pending", True)]
