"""Phone numbers proven by a code (backend/local_supabase/auth/phone.py, codes.py, sms.py).

Through the unmodified supabase-py client where it has the call (`sign_up`,
`sign_in_with_otp`, `verify_otp`, `resend`, `update_user`), codes read from the
local SMS sink, every "nothing happened" checked in SQL. Limits that need small
values or several client addresses run on a second gateway that trusts
127.0.0.1 as a proxy, so each test speaks from its own X-Forwarded-For address.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import subprocess
import sys
import uuid
from typing import Iterator

import httpx
import pytest
from supabase import Client, ClientOptions, create_client
from supabase_auth.errors import AuthApiError

from tests.backend.core_support import GRID_POINTS, make_people
from tests.backend.gateway_support import ROOT, extra_gateway
from tests.backend.sms_support import latest_code, messages, wrong_code
from tests.conftest import StackInfo

MAX_WRONG = 5  # the suite's CITYLOOP_OTP_MAX_WRONG (the default)


def fresh_mobile() -> str:
    return "+86139" + str(uuid.uuid4().int % 10**8).zfill(8)


def digits(phone: str) -> str:
    return phone.removeprefix("+")


def password() -> str:
    return "pw-" + uuid.uuid4().hex


def confirmed_at(db, phone: str):
    row = db.execute("select phone_confirmed_at from auth.users where phone = %s", (digits(phone),)).fetchone()
    return row[0] if row else "no account"


def api_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as err:
        call()
    return err.value


# --- sign-up by phone ----------------------------------------------------------------

def test_phone_sign_up_stays_unconfirmed_until_the_right_code(stack: StackInfo, db) -> None:
    phone, pw = fresh_mobile(), password()
    signed_up = stack.client().auth.sign_up({"phone": phone, "password": pw})
    assert signed_up.session is None and signed_up.user.phone_confirmed_at is None
    assert confirmed_at(db, phone) is None
    err = api_error(lambda: stack.client().auth.sign_in_with_password({"phone": phone, "password": pw}))
    assert (err.status, err.code) == (400, "phone_not_confirmed")

    code = latest_code(stack, phone)
    err = api_error(lambda: stack.client().auth.verify_otp({"type": "sms", "phone": phone,
                                                            "token": wrong_code(code)}))
    assert (err.status, err.code) == (403, "otp_expired")
    assert confirmed_at(db, phone) is None

    verified = stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": code})
    assert verified.session is not None and verified.user.id == signed_up.user.id
    assert confirmed_at(db, phone) is not None
    assert stack.client().auth.sign_in_with_password({"phone": phone, "password": pw}).user.id == signed_up.user.id
    # A code works once.
    err = api_error(lambda: stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": code}))
    assert (err.status, err.code) == (403, "otp_expired")


def test_codes_are_stored_as_keyed_hashes_only(stack: StackInfo, db) -> None:
    phone = fresh_mobile()
    stack.client().auth.sign_up({"phone": phone, "password": password()})
    code = latest_code(stack, phone)
    [(token_hash,)] = db.execute(
        "select t.token_hash from auth.one_time_tokens t join auth.users u on u.id = t.user_id where u.phone = %s",
        (digits(phone),)).fetchall()
    assert code not in token_hash and len(token_hash) == 64
    import hashlib
    assert token_hash not in {hashlib.sha256((digits(phone) + code).encode()).hexdigest(),
                              hashlib.sha224((digits(phone) + code).encode()).hexdigest()}


def test_wrong_codes_are_capped_per_code(stack: StackInfo, db) -> None:
    phone = fresh_mobile()
    stack.client().auth.sign_up({"phone": phone, "password": password()})
    code = latest_code(stack, phone)
    for _ in range(MAX_WRONG - 1):
        err = api_error(lambda: stack.client().auth.verify_otp({"type": "sms", "phone": phone,
                                                                "token": wrong_code(code)}))
        assert (err.status, err.code) == (403, "otp_expired")
    err = api_error(lambda: stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": wrong_code(code)}))
    assert (err.status, err.code) == (429, "over_request_rate_limit") and "request a new one" in err.message
    # The code is gone: even the right one no longer works.
    err = api_error(lambda: stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": code}))
    assert (err.status, err.code) == (403, "otp_expired")
    assert confirmed_at(db, phone) is None
    assert db.execute("select count(*) from auth.one_time_tokens t join auth.users u on u.id = t.user_id "
                      "where u.phone = %s", (digits(phone),)).fetchone()[0] == 0


def test_an_expired_code_is_refused(stack: StackInfo, db) -> None:
    phone = fresh_mobile()
    stack.client().auth.sign_up({"phone": phone, "password": password()})
    code = latest_code(stack, phone)
    # As if sent 301 s ago ([auth.sms] otp_expiry = 300).
    db.execute("update auth.one_time_tokens set created_at = now() - interval '301 seconds' "
               "where relates_to = %s", (digits(phone),))
    err = api_error(lambda: stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": code}))
    assert (err.status, err.code) == (403, "otp_expired") and "has expired" in err.message
    assert confirmed_at(db, phone) is None


def test_the_code_is_in_the_sink_and_in_the_cli_outbox(stack: StackInfo) -> None:
    phone = fresh_mobile()
    stack.client().auth.sign_up({"phone": phone, "password": password()})
    [message] = messages(stack, phone)
    code = latest_code(stack, phone)
    assert message["phone"] == phone and message["sender"] and code in message["body"]
    env = dict(os.environ, CITYLOOP_HOME=str(stack.home))
    spelled = f"+86 {digits(phone)[2:5]}-{digits(phone)[5:9]}-{digits(phone)[9:]}"
    out = subprocess.run([sys.executable, "-m", "backend.cli", "sms", "outbox", "--phone", spelled],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    assert phone in line and code in line


def test_a_second_sign_up_cannot_take_over_a_confirmed_number(stack: StackInfo, db) -> None:
    phone, pw = fresh_mobile(), password()
    stack.client().auth.sign_up({"phone": phone, "password": pw})
    stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    err = api_error(lambda: stack.client().auth.sign_up({"phone": phone, "password": password()}))
    assert (err.status, err.code) == (422, "user_already_exists")


def test_whoever_claims_a_number_first_never_sets_its_password(stack: StackInfo, db) -> None:
    """The stranger signs up with the son's number first; the son signs up and proves it: his password counts."""
    phone, stranger_pw, son_pw = fresh_mobile(), password(), password()
    stack.client().auth.sign_up({"phone": phone, "password": stranger_pw})
    db.execute("update auth.one_time_tokens set created_at = now() - interval '61 seconds' "
               "where relates_to = %s", (digits(phone),))  # a minute later ([auth.sms] max_frequency)
    stack.client().auth.sign_up({"phone": phone, "password": son_pw})  # the same, still unconfirmed account
    son = stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    assert son.session is not None
    assert stack.client().auth.sign_in_with_password({"phone": phone, "password": son_pw}).user.id == son.user.id
    err = api_error(lambda: stack.client().auth.sign_in_with_password({"phone": phone, "password": stranger_pw}))
    assert err.code == "invalid_credentials"


def test_a_code_sign_in_to_an_account_someone_else_created_drops_their_password(stack: StackInfo, db) -> None:
    phone, stranger_pw = fresh_mobile(), password()
    stack.client().auth.sign_up({"phone": phone, "password": stranger_pw})
    db.execute("update auth.one_time_tokens set created_at = now() - interval '61 seconds' "
               "where relates_to = %s", (digits(phone),))
    stack.client().auth.sign_in_with_otp({"phone": phone})  # the number's owner signs in by code
    owner = stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    assert owner.session is not None and confirmed_at(db, phone) is not None
    err = api_error(lambda: stack.client().auth.sign_in_with_password({"phone": phone, "password": stranger_pw}))
    assert err.code == "invalid_credentials"


def test_a_resend_keeps_the_sign_ups_password(stack: StackInfo, db) -> None:
    phone, pw = fresh_mobile(), password()
    stack.client().auth.sign_up({"phone": phone, "password": pw})
    db.execute("update auth.one_time_tokens set created_at = now() - interval '61 seconds' "
               "where relates_to = %s", (digits(phone),))
    stack.client().auth.resend({"type": "sms", "phone": phone})
    stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    assert stack.client().auth.sign_in_with_password({"phone": phone, "password": pw}).session


# --- phone change --------------------------------------------------------------------------

def test_phone_change_waits_for_the_code_sent_to_the_new_number(stack: StackInfo, make_user, db) -> None:
    person = make_user()
    phone = fresh_mobile()
    user = person.client.auth.update_user({"phone": phone}).user
    assert user.phone == "" and user.new_phone == digits(phone)
    row = db.execute("select phone, phone_confirmed_at, phone_change from auth.users where id = %s",
                     (person.id,)).fetchone()
    assert row == (None, None, digits(phone))
    err = api_error(lambda: person.client.auth.verify_otp({"type": "phone_change", "phone": phone,
                                                           "token": wrong_code(latest_code(stack, phone))}))
    assert (err.status, err.code) == (403, "otp_expired")
    moved = person.client.auth.verify_otp({"type": "phone_change", "phone": phone,
                                           "token": latest_code(stack, phone)}).user
    assert moved.phone == digits(phone) and moved.phone_confirmed_at is not None and not moved.new_phone
    row = db.execute("select phone, phone_confirmed_at is not null, phone_change from auth.users where id = %s",
                     (person.id,)).fetchone()
    assert row == (digits(phone), True, "")


def test_a_later_claim_on_the_same_number_cannot_spoil_the_owners_code(stack: StackInfo, make_user, db) -> None:
    owner, stranger, phone = make_user(), make_user(), fresh_mobile()
    owner.client.auth.update_user({"phone": phone})
    owners_code = latest_code(stack, phone)
    db.execute("update auth.one_time_tokens set created_at = now() - interval '61 seconds' "
               "where relates_to = %s", (digits(phone),))
    stranger.client.auth.update_user({"phone": phone})  # asks later: another code to the same phone
    moved = owner.client.auth.verify_otp({"type": "phone_change", "phone": phone, "token": owners_code}).user
    assert moved.id == owner.id and moved.phone == digits(phone)
    assert db.execute("select phone from auth.users where id = %s", (stranger.id,)).fetchone()[0] is None


def test_a_number_someone_holds_cannot_be_claimed_by_phone_change(stack: StackInfo, make_user, db) -> None:
    phone = fresh_mobile()
    stack.client().auth.sign_up({"phone": phone, "password": password()})
    err = api_error(lambda: make_user().client.auth.update_user({"phone": phone}))
    assert (err.status, err.code) == (422, "phone_exists")


@pytest.fixture(scope="module")
def people(db, make_user):
    return make_people(db, make_user)


def test_a_stranger_claiming_the_sons_number_never_reads_the_sos(stack: StackInfo, people, make_user, db) -> None:
    """The hole: claiming a number confirmed it at once, and the SOS trusts confirmed numbers."""
    son_phone = fresh_mobile()
    mother = make_user(app_metadata={"role": "citizen"}, display_name="王奶奶")
    mother.client.table("profiles").update({"emergency_contacts": [
        {"name": "李小明", "phone": son_phone, "relation": "儿子"}]}).eq("id", mother.id).execute()
    by_change = make_user(app_metadata={"role": "citizen"})
    by_change.client.auth.update_user({"phone": son_phone})
    for _ in range(MAX_WRONG):  # guessing the code sent to the son's phone gets nowhere
        with pytest.raises(AuthApiError):
            by_change.client.auth.verify_otp({"type": "phone_change", "phone": son_phone, "token": "000000"})
    by_signup = stack.client()
    by_signup.auth.sign_up({"phone": son_phone, "password": "stranger-pw"})
    err = api_error(lambda: by_signup.auth.sign_in_with_password({"phone": son_phone, "password": "stranger-pw"}))
    assert err.code == "phone_not_confirmed"
    assert db.execute("select count(*) from auth.users where phone = %s and phone_confirmed_at is not null",
                      (digits(son_phone),)).fetchone()[0] == 0

    lat, lon = GRID_POINTS[0]
    sos = mother.client.rpc("raise_sos", {"lat": lat, "lon": lon, "note": "摔倒了"}).execute().data
    assert sos["contact_ids"] == []
    mother.client.rpc("update_sos_location", {"alert_id": sos["id"], "lat": lat, "lon": lon}).execute()
    assert by_change.client.table("sos_locations").select("*").eq("alert_id", sos["id"]).execute().data == []
    assert db.execute("select count(*) from public.notifications where sos_alert_id = %s and user_id = %s",
                      (sos["id"], by_change.id)).fetchone()[0] == 0
    mother.client.rpc("cancel_sos", {"alert_id": sos["id"]}).execute()


# --- sign-in by code -------------------------------------------------------------------------

def test_sign_in_with_a_code_for_an_existing_account(stack: StackInfo, service, db) -> None:
    phone = fresh_mobile()
    created = service.auth.admin.create_user({"phone": phone, "password": password(), "phone_confirm": True}).user
    sent = stack.client().auth.sign_in_with_otp({"phone": phone, "options": {"should_create_user": False}})
    assert sent.user is None and sent.session is None and sent.message_id
    verified = stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    assert verified.user.id == created.id and verified.session.access_token


def test_sign_in_with_a_code_creates_the_account_only_when_asked(stack: StackInfo, db) -> None:
    phone = fresh_mobile()
    err = api_error(lambda: stack.client().auth.sign_in_with_otp(
        {"phone": phone, "options": {"should_create_user": False}}))
    assert (err.status, err.code) == (422, "otp_disabled")
    assert confirmed_at(db, phone) == "no account" and messages(stack, phone) == []
    stack.client().auth.sign_in_with_otp({"phone": phone, "options": {"data": {"display_name": "周"}}})
    assert confirmed_at(db, phone) is None
    verified = stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    assert verified.user.user_metadata == {"display_name": "周"} and verified.user.phone_confirmed_at is not None


def test_bad_code_requests_are_clear_errors_that_change_nothing(stack: StackInfo, db) -> None:
    http = httpx.Client(base_url=f"{stack.url}/auth/v1", headers={"apikey": stack.anon_key})
    for path, body in [("/otp", {"phone": "12ab"}), ("/otp", {}), ("/otp", {"phone": fresh_mobile(), "channel": "x"}),
                       ("/verify", {"type": "sms", "phone": fresh_mobile()}),
                       ("/verify", {"type": "magiclink", "phone": fresh_mobile(), "token": "1"}),
                       ("/verify", {"type": "sms", "phone": 5, "token": "1"}),
                       ("/resend", {"type": "signup", "phone": fresh_mobile()})]:
        answer = http.post(path, json=body)
        assert answer.status_code == 400, (path, body, answer.text)
        assert answer.json()["code"] == "validation_failed" and answer.json()["message"]
    unknown = fresh_mobile()
    answer = http.post("/verify", json={"type": "sms", "phone": unknown, "token": "123456"})
    assert (answer.status_code, answer.json()["code"]) == (403, "otp_expired")
    answer = http.post("/resend", json={"type": "sms", "phone": unknown})  # says nothing about the number
    assert answer.status_code == 200 and messages(stack, unknown) == []
    assert confirmed_at(db, unknown) == "no account"


def test_when_the_sms_hook_fails_nothing_is_written(stack: StackInfo, db) -> None:
    from tests.conftest import free_port

    with extra_gateway(stack, CITYLOOP_SEND_SMS_HOOK_URI=f"http://127.0.0.1:{free_port()}/hook") as url:
        client = create_client(url, stack.anon_key, options=ClientOptions(auto_refresh_token=False,
                                                                          persist_session=False))
        phone = fresh_mobile()
        err = api_error(lambda: client.auth.sign_up({"phone": phone, "password": password()}))
        assert (err.status, err.code) == (500, "sms_send_failed") and "Send-SMS hook" in err.message
        assert confirmed_at(db, phone) == "no account" and messages(stack, phone) == []


# --- limits: a gateway that trusts 127.0.0.1 as a proxy, so each test has its own address ---------

@pytest.fixture(scope="module")
def proxied(stack: StackInfo) -> Iterator[str]:
    with extra_gateway(stack, CITYLOOP_TRUSTED_PROXIES="127.0.0.1", CITYLOOP_SIGNUP_ADDRESS_ATTEMPTS="4",
                       CITYLOOP_VERIFY_ADDRESS_ATTEMPTS="4", CITYLOOP_SMS_PHONE_HOURLY="3") as url:
        yield url


# Every client gets an address no other client in the run had: the per-address counters live
# as long as the stack, and a random pick from a few hundred collided now and then.
_addresses = (ipaddress.ip_address("198.18.0.1") + n for n in itertools.count())


def from_address(stack: StackInfo, url: str) -> Client:
    address = str(next(_addresses))
    return create_client(url, stack.anon_key, options=ClientOptions(
        auto_refresh_token=False, persist_session=False, headers={"X-Forwarded-For": address}))


def test_a_number_gets_one_code_per_max_frequency(stack: StackInfo, proxied: str) -> None:
    client, phone = from_address(stack, proxied), fresh_mobile()
    client.auth.sign_up({"phone": phone, "password": password()})
    raw = httpx.post(f"{proxied}/auth/v1/resend", json={"type": "sms", "phone": phone},
                     headers={"apikey": stack.anon_key, "X-Forwarded-For": "198.51.100.251"})
    assert raw.status_code == 429 and raw.json()["code"] == "over_sms_send_rate_limit"
    assert 0 < int(raw.headers["retry-after"]) <= 60 and "after" in raw.json()["message"]
    assert len(messages(stack, phone)) == 1


def test_resend_replaces_the_code_and_a_number_has_an_hourly_cap(stack: StackInfo, proxied: str, db) -> None:
    phone = fresh_mobile()
    from_address(stack, proxied).auth.sign_up({"phone": phone, "password": password()})
    first = latest_code(stack, phone)
    for _ in range(2):  # the hourly cap is 3 on this gateway
        db.execute("update auth.one_time_tokens set created_at = created_at - interval '61 seconds' "
                   "where relates_to = %s", (digits(phone),))
        from_address(stack, proxied).auth.resend({"type": "sms", "phone": phone})
    assert len(messages(stack, phone)) == 3
    db.execute("update auth.one_time_tokens set created_at = created_at - interval '61 seconds' "
               "where relates_to = %s", (digits(phone),))
    err = api_error(lambda: from_address(stack, proxied).auth.resend({"type": "sms", "phone": phone}))
    assert (err.status, err.code) == (429, "over_sms_send_rate_limit")
    assert len(messages(stack, phone)) == 3
    latest = latest_code(stack, phone)
    if latest != first:  # the old code died with the resend
        err = api_error(lambda: from_address(stack, proxied).auth.verify_otp(
            {"type": "sms", "phone": phone, "token": first}))
        assert err.code == "otp_expired"
    assert from_address(stack, proxied).auth.verify_otp({"type": "sms", "phone": phone, "token": latest}).session


def test_code_requests_and_checks_are_limited_per_address(stack: StackInfo, proxied: str) -> None:
    client = from_address(stack, proxied)
    for _ in range(4):
        client.auth.sign_in_with_otp({"phone": fresh_mobile()})
    err = api_error(lambda: client.auth.sign_in_with_otp({"phone": fresh_mobile()}))
    assert (err.status, err.code) == (429, "over_request_rate_limit") and "address" in err.message
    err = api_error(lambda: client.auth.sign_up({"phone": fresh_mobile(), "password": password()}))
    assert (err.status, err.code) == (429, "over_request_rate_limit")
    err = api_error(lambda: client.auth.reset_password_for_email("someone@test.cityloop.local"))
    assert (err.status, err.code) == (429, "over_request_rate_limit")
    # Another address is not affected.
    from_address(stack, proxied).auth.sign_in_with_otp({"phone": fresh_mobile()})

    checker, phone = from_address(stack, proxied), fresh_mobile()
    for _ in range(4):
        with pytest.raises(AuthApiError) as err:
            checker.auth.verify_otp({"type": "sms", "phone": phone, "token": "123456"})
        assert err.value.code == "otp_expired"
    err = api_error(lambda: checker.auth.verify_otp({"type": "sms", "phone": phone, "token": "123456"}))
    assert (err.status, err.code) == (429, "over_request_rate_limit")


def test_an_ipv6_caller_counts_by_its_64(stack: StackInfo, proxied: str) -> None:
    """A phone picks a new address in its /64 at will: the limit counts the network, not the address."""
    group = uuid.uuid4().int % 0xfff0
    network, next_network = f"2001:db8:{group:x}:1", f"2001:db8:{group:x}:2"

    def at(host: int) -> Client:
        return create_client(proxied, stack.anon_key, options=ClientOptions(
            auto_refresh_token=False, persist_session=False, headers={"X-Forwarded-For": f"{network}::{host:x}"}))

    for host in range(1, 5):  # four addresses of one network: the four requests it may make
        at(host).auth.sign_in_with_otp({"phone": fresh_mobile()})
    err = api_error(lambda: at(99).auth.sign_in_with_otp({"phone": fresh_mobile()}))
    assert (err.status, err.code) == (429, "over_request_rate_limit") and "address" in err.message
    # The next network is someone else.
    neighbour = create_client(proxied, stack.anon_key, options=ClientOptions(
        auto_refresh_token=False, persist_session=False, headers={"X-Forwarded-For": f"{next_network}::1"}))
    neighbour.auth.sign_in_with_otp({"phone": fresh_mobile()})
