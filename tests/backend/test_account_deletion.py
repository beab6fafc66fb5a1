"""Deleting an account through the Auth admin API works for someone who raised an SOS, paid a bill and rated
a case: the append-only history and the ratings keep their rows without the person, their files are gone."""

from __future__ import annotations

import time
import uuid

import httpx
import psycopg
import pytest

from tests.backend.core_support import GRID_POINTS, GRIDS, file_report, item, make_people, only_workers
from tests.backend.payments_support import city_client, decide, new_account
from tests.backend.storage_support import storage_root

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16


@pytest.fixture(scope="module")
def people(db, make_user):
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


def rpc(user, fn: str, **args):
    return user.client.rpc(fn, args).execute().data


def count(db, query: str, *params) -> int:
    return db.execute(query, params).fetchone()[0]


def admin_delete(stack, user_id: str) -> httpx.Response:
    return httpx.delete(f"{stack.url}/auth/v1/admin/users/{user_id}", timeout=30,
                        headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})


async def pay_a_bill(stack, service, user, db) -> str:
    """A paid bill (sandbox checkout) with its ledger charge; the payment's id."""
    account = new_account(service)
    client = await city_client(stack, user)
    await client.payments.link_utility_account(account.kind, account.provider, account.account_no, account.holder_name)
    payment = await client.payments.create_payment(account.bill_id, uuid.uuid4().hex)
    pending = await client.payments.start_checkout(payment.id)
    assert decide(stack.url, pending.provider_ref, "pay").status_code in (200, 303)
    deadline = time.monotonic() + 30
    while not count(db, "select count(*) from public.payment_ledger where payment_id = %s", str(payment.id)):
        assert time.monotonic() < deadline, "the payment never settled"
        time.sleep(0.2)
    await client.aclose()
    return str(payment.id)


async def test_a_person_with_history_is_deleted_and_their_history_anonymised(stack, service, people, make_user, db):
    w1 = people.worker_1
    person = make_user(app_metadata={"role": "citizen"})
    uid = person.id
    person.client.table("profiles").update({"display_name": "王奶奶", "phone": "13700002222"}).eq("id", uid).execute()
    # Photos in two buckets, one carried by a report.
    photo, avatar = f"{uid}/pothole.jpg", f"{uid}/me.jpg"
    person.client.storage.from_("report-photos").upload(photo, JPEG, {"content-type": "image/jpeg"})
    person.client.storage.from_("avatars").upload(avatar, JPEG, {"content-type": "image/jpeg"})
    # A case handled and rated.
    report = file_report(person, item(db)["code"], GRID_POINTS[0], photos=[photo])["id"]
    for step, args in (("accept_report", {}), ("start_report", {}), ("resolve_report", {"note": "已修复 fixed"})):
        rpc(w1, step, report=report, **args)
    rpc(person, "rate_report", report=report, score=5, comment="很快")
    # An SOS with a contact and a trail, acknowledged and resolved.
    rpc(person, "invite_emergency_contact", phone="13912345678", name="李小明")
    lat, lon = GRID_POINTS[0]
    alert = rpc(person, "raise_sos", lat=lat, lon=lon, note="摔倒了")["id"]
    rpc(person, "update_sos_location", alert_id=alert, lat=lat + 0.0001, lon=lon)
    rpc(w1, "acknowledge_sos", alert_id=alert)
    rpc(w1, "resolve_sos", alert_id=alert, note="已送医")
    # A bill paid.
    payment = await pay_a_bill(stack, service, person, db)
    # Someone else's accepted contact: that link ends with the account.
    inviter = make_user(app_metadata={"role": "citizen"})
    service.auth.admin.update_user_by_id(uid, {"phone": "+8613811112222", "phone_confirm": True})
    link = rpc(inviter, "invite_emergency_contact", phone="13811112222", name="王奶奶")["id"]
    rpc(person, "answer_contact_invitation", invitation=link, accept=True)
    events = {t: count(db, q, alert if t == "sos" else report) for t, q in (
        ("sos", "select count(*) from public.sos_events where alert_id = %s"),
        ("case", "select count(*) from public.case_events where report_id = %s"))}

    assert count(db, "select count(*) from public.sms_outbox where sos_id = %s", alert) > 0
    response = admin_delete(stack, uid)
    assert response.status_code == 200, response.text

    assert count(db, "select count(*) from auth.users where id = %s", uid) == 0
    assert count(db, "select count(*) from public.profiles where id = %s", uid) == 0
    # The SOS stays, without who called, their note, contacts or trail; its timeline keeps every row.
    caller, contacts, told, note = db.execute(
        "select caller_id, emergency_contacts, contact_ids, note from public.sos_alerts where id = %s", (alert,)).fetchone()
    assert (caller, contacts, told, note) == (None, [], [], None)
    assert count(db, "select count(*) from public.sos_locations where alert_id = %s", alert) == 0
    assert count(db, "select count(*) from public.sms_outbox where sos_id = %s", alert) == 0  # the contact's number
    assert count(db, "select count(*) from public.sos_events where alert_id = %s", alert) == events["sos"]
    assert count(db, "select count(*) from public.sos_events where actor_id = %s", uid) == 0
    assert count(db, "select count(*) from public.sos_events where alert_id = %s and payload ? 'emergency_contacts'",
                 alert) == 0
    assert count(db, "select count(*) from public.notifications where sos_alert_id = %s"
                     " and (payload ? 'caller_name' or payload ? 'caller_phone')", alert) == 0
    # The case, its timeline and its rating stay, without them and their photo.
    reporter, photos = db.execute("select reporter_id, photos from public.reports where id = %s", (report,)).fetchone()
    assert (reporter, photos) == (None, [])
    assert count(db, "select count(*) from public.case_events where report_id = %s", report) == events["case"]
    assert count(db, "select count(*) from public.case_events where actor_id = %s", uid) == 0
    assert db.execute("select rater_id, score from public.ratings where report_id = %s", (report,)).fetchone() == (None, 5)
    # The payment and the ledger stay for the books, without the payer.
    assert db.execute("select payer_id, status::text from public.payments where id = %s",
                      (payment,)).fetchone() == (None, "succeeded")
    assert db.execute("select payer_id, kind::text from public.payment_ledger where payment_id = %s",
                      (payment,)).fetchall() == [(None, "charge")]
    # The link where they were the contact ended; their own invitations went.
    assert db.execute("select status::text, invitee_id from public.emergency_contact_invitations where id = %s",
                      (link,)).fetchone() == ("ended", None)
    assert count(db, "select count(*) from public.emergency_contact_invitations where inviter_id = %s", uid) == 0
    # Their objects are gone, rows and bytes.
    assert count(db, "select count(*) from storage.objects where split_part(name, '/', 1) = %s", uid) == 0
    root = storage_root(stack)
    assert not (root / "report-photos" / uid).exists() and not (root / "avatars" / uid).exists()
    # Deleting again: not found, as GoTrue.
    assert admin_delete(stack, uid).status_code == 404


def test_supabase_pys_admin_delete_works_for_a_caller(service, people, make_user, db) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    lat, lon = GRID_POINTS[0]
    alert = rpc(person, "raise_sos", lat=lat, lon=lon)["id"]
    service.auth.admin.delete_user(person.id)  # raised an error (500) before
    assert db.execute("select caller_id, status::text from public.sos_alerts where id = %s",
                      (alert,)).fetchone() == (None, "sent")


def test_the_history_stays_append_only(people, make_user, db) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    lat, lon = GRID_POINTS[0]
    alert = rpc(person, "raise_sos", lat=lat, lon=lon, note="x")["id"]
    rpc(person, "cancel_sos", alert_id=alert)
    event = count(db, "select min(id) from public.sos_events where alert_id = %s", alert)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update public.sos_events set actor_id = null where id = %s", (event,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("delete from public.sos_events where id = %s", (event,))
    # Even inside a deletion, only the person's columns may change.
    with db.transaction():
        db.execute("select set_config('cityloop.forgetting_account', %s, true)", (person.id,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("update public.sos_events set to_status = 'resolved' where id = %s", (event,))
    assert count(db, "select count(*) from public.sos_events where id = %s and actor_id = %s", event, person.id) == 1


def test_a_worker_holding_open_cases_is_refused_in_words_and_nothing_changes(stack, people, make_user, db) -> None:
    worker = make_user(app_metadata={"role": "grid_worker"})
    only_workers(db, GRIDS[0], (worker.id, True))
    try:
        report = file_report(people.citizen_a, item(db)["code"], GRID_POINTS[0])["id"]
        rpc(worker, "accept_report", report=report)
        before = count(db, "select count(*) from public.case_events where actor_id = %s", worker.id)
        response = admin_delete(stack, worker.id)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "conflict" and "pass their open work on" in response.json()["msg"]
        assert count(db, "select count(*) from auth.users where id = %s", worker.id) == 1
        assert count(db, "select count(*) from public.case_events where actor_id = %s", worker.id) == before > 0
    finally:
        only_workers(db, GRIDS[0], (people.worker_1.id, True))
