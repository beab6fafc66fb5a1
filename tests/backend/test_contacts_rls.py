"""Who reads and writes the two new tables through /rest/v1: emergency_contact_invitations and sms_outbox.

Cells: anon, an authenticated stranger (who knows the row's id), the owner (inviter), the invitee
(owner of the verified phone), the service role. Nobody but the service role writes either table
directly (the RPCs do); a denial is 42501, or zero rows changed, checked in SQL.
"""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS


def fresh_mobile() -> str:
    return "139" + str(uuid.uuid4().int % 10**8).zfill(8)


@pytest.fixture(scope="module")
def cast(make_user, service, db):
    """An inviter, the invitee (verified phone), a stranger with a verified phone; one invitation; one SMS."""
    inviter, invitee, stranger = (make_user(app_metadata={"role": "citizen"}) for _ in range(3))
    mobile = fresh_mobile()
    service.auth.admin.update_user_by_id(invitee.id, {"phone": "+86" + mobile, "phone_confirm": True})
    service.auth.admin.update_user_by_id(stranger.id, {"phone": "+86" + fresh_mobile(), "phone_confirm": True})
    link = inviter.client.rpc("invite_emergency_contact", {"phone": mobile, "name": "儿子"}).execute().data["id"]
    inviter.client.rpc("invite_emergency_contact", {"phone": fresh_mobile(), "name": "没有账号"}).execute()
    lat, lon = GRID_POINTS[0]
    alert = inviter.client.rpc("raise_sos", {"lat": lat, "lon": lon}).execute().data["id"]
    inviter.client.rpc("cancel_sos", {"alert_id": alert}).execute()
    sms = db.execute("select id from public.sms_outbox where sos_id = %s order by id limit 1", (alert,)).fetchone()[0]
    return {"inviter": inviter, "invitee": invitee, "stranger": stranger, "link": link, "sms": sms}


def client_of(who: str, cast, anon, service):
    return {"anon": anon, "service": service}.get(who) or cast[who].client


def fingerprint(db, table: str) -> str:
    return db.execute(f"select coalesce(md5(string_agg(t::text, '|' order by t.id)), '') from public.{table} t").fetchone()[0]


# (table, who) -> whether this caller reads the cast's row
READS = {
    ("emergency_contact_invitations", "anon"): False,
    ("emergency_contact_invitations", "stranger"): False,
    ("emergency_contact_invitations", "inviter"): True,
    ("emergency_contact_invitations", "invitee"): False,  # through my_contact_invitations() only
    ("emergency_contact_invitations", "service"): True,
    ("sms_outbox", "anon"): False,
    ("sms_outbox", "stranger"): False,
    ("sms_outbox", "inviter"): False,
    ("sms_outbox", "invitee"): False,
    ("sms_outbox", "service"): True,
}


@pytest.mark.parametrize(("table", "who"), list(READS))
def test_reads(table, who, cast, anon, service) -> None:
    row_id = cast["link"] if table == "emergency_contact_invitations" else cast["sms"]
    client = client_of(who, cast, anon, service)
    try:
        rows = client.table(table).select("id").eq("id", row_id).execute().data
    except APIError as err:
        assert err.code == "42501" and not READS[(table, who)]
        return
    assert (len(rows) == 1) == READS[(table, who)]


@pytest.mark.parametrize("who", ["anon", "stranger", "inviter", "invitee"])
@pytest.mark.parametrize("table", ["emergency_contact_invitations", "sms_outbox"])
def test_nobody_but_the_service_role_writes_directly(table, who, cast, anon, service, db) -> None:
    row_id = cast["link"] if table == "emergency_contact_invitations" else cast["sms"]
    client = client_of(who, cast, anon, service)
    before = fingerprint(db, table)
    new_row = ({"inviter_id": cast["inviter"].id, "phone": fresh_mobile(), "name": "x", "status": "accepted",
                "invitee_id": cast[who].id if who != "anon" else None}
               if table == "emergency_contact_invitations" else {"phone": "+8613900000000", "body": "x", "kind": "x"})
    change = {"status": "accepted"} if table == "emergency_contact_invitations" else {"body": "改过"}
    for write in (lambda: client.table(table).insert(new_row).execute(),
                  lambda: client.table(table).update(change).eq("id", row_id).execute(),
                  lambda: client.table(table).delete().eq("id", row_id).execute()):
        with pytest.raises(APIError) as err:
            write()
        assert err.value.code == "42501"
    assert fingerprint(db, table) == before


def test_the_invitee_reads_the_invitation_through_the_rpc_only(cast) -> None:
    rows = cast["invitee"].client.rpc("my_contact_invitations", {}).execute().data
    assert [r["id"] for r in rows] == [cast["link"]] and "inviter_id" not in rows[0]
    assert cast["stranger"].client.rpc("my_contact_invitations", {}).execute().data == []


def test_the_service_role_reads_and_drains_the_outbox(cast, service, db) -> None:
    rows = service.table("sms_outbox").select("id,phone,body,kind").eq("id", cast["sms"]).execute().data
    assert len(rows) == 1 and rows[0]["kind"] == "sos_raised"
    assert service.table("emergency_contact_invitations").select("id").eq("id", cast["link"]).execute().data
