"""/auth/v1 for a person's own account, driven through the unmodified supabase-py client.

Covers backend/local_supabase/auth/account.py (sign-up, sign-in, refresh,
user, sign-out) and the access token of tokens.py.
"""

from __future__ import annotations

import secrets
import time
import uuid

import jwt
import pytest
from supabase import Client
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from backend.local_supabase.config import Settings
from tests.backend.sms_support import latest_code
from tests.conftest import StackInfo


def unique_email() -> str:
    return f"a{uuid.uuid4().hex[:12]}@Test.CityLoop.local"


def unique_phone() -> str:
    return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))


def new_password() -> str:
    return "pw-" + uuid.uuid4().hex


@pytest.fixture()
def account(stack: StackInfo) -> dict:
    """A freshly signed-up email account: its credentials and the sign-up answer."""
    email, password = unique_email(), new_password()
    answer = stack.client().auth.sign_up({"email": email, "password": password,
                                          "options": {"data": {"display_name": "Ann", "district": 7}}})
    return {"email": email, "password": password, "user": answer.user, "session": answer.session}


def sign_in(stack: StackInfo, email: str, password: str) -> tuple[Client, object]:
    client = stack.client()
    return client, client.auth.sign_in_with_password({"email": email, "password": password}).session


# --- sign-up -----------------------------------------------------------------------

def test_sign_up_with_email_returns_a_session_and_stores_a_bcrypt_hash(account: dict, db) -> None:
    user, session = account["user"], account["session"]
    assert session is not None and session.token_type == "bearer"
    assert session.access_token and session.refresh_token and session.expires_in == 3600
    assert user.email == account["email"].lower()
    assert user.user_metadata == {"display_name": "Ann", "district": 7}
    assert user.app_metadata == {"provider": "email", "providers": ["email"]}
    assert user.aud == "authenticated" and user.role == "authenticated"
    assert user.email_confirmed_at is not None and user.confirmed_at is not None
    assert user.identities and user.identities[0].provider == "email"
    stored = db.execute("select encrypted_password from auth.users where id = %s", (user.id,)).fetchone()[0]
    assert stored.startswith("$2b$") and account["password"] not in stored


def test_sign_up_and_sign_in_with_phone(stack: StackInfo) -> None:
    phone, password = unique_phone(), new_password()
    signed_up = stack.client().auth.sign_up({"phone": phone, "password": password})
    assert signed_up.session is None  # the number is not proven yet (tests/backend/test_auth_phone.py)
    assert signed_up.user.phone == phone.removeprefix("+")  # stored as GoTrue does, without "+"
    assert signed_up.user.app_metadata["provider"] == "phone"
    assert signed_up.user.phone_confirmed_at is None
    verified = stack.client().auth.verify_otp({"type": "sms", "phone": phone, "token": latest_code(stack, phone)})
    assert verified.session is not None and verified.user.phone_confirmed_at is not None
    session = stack.client().auth.sign_in_with_password({"phone": phone, "password": password}).session
    assert session.user.id == signed_up.user.id


def test_duplicate_sign_up_is_refused_whatever_the_case(stack: StackInfo, account: dict) -> None:
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.sign_up({"email": account["email"].upper(), "password": new_password()})
    assert (err.value.status, err.value.code) == (422, "user_already_exists")


def test_weak_password_is_refused_and_nothing_is_created(stack: StackInfo, db) -> None:
    email = unique_email()
    with pytest.raises(AuthWeakPasswordError) as err:
        stack.client().auth.sign_up({"email": email, "password": "12345"})
    assert err.value.status == 422 and err.value.code == "weak_password" and err.value.reasons == ["length"]
    assert db.execute("select count(*) from auth.users where lower(email) = lower(%s)", (email,)).fetchone()[0] == 0


def test_invalid_email_is_refused(stack: StackInfo) -> None:
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.sign_up({"email": "not-an-email", "password": new_password()})
    assert (err.value.status, err.value.code) == (400, "validation_failed")


# --- sign-in -------------------------------------------------------------------------

def test_sign_in_with_email_in_any_case(stack: StackInfo, account: dict) -> None:
    _, session = sign_in(stack, account["email"].upper(), account["password"])
    assert session.user.id == account["user"].id
    assert session.user.last_sign_in_at is not None


def test_wrong_password_and_unknown_account_get_the_same_answer(stack: StackInfo, account: dict) -> None:
    answers = []
    for email, password in ((account["email"], "wrong-password"), (unique_email(), "whatever-password")):
        with pytest.raises(AuthApiError) as err:
            sign_in(stack, email, password)
        answers.append((err.value.status, err.value.code, err.value.message))
    assert answers[0] == answers[1] == (400, "invalid_credentials", "Invalid login credentials")


def test_access_token_carries_gotrue_claims(stack: StackInfo, account: dict, db) -> None:
    _, session = sign_in(stack, account["email"], account["password"])
    claims = jwt.decode(session.access_token, stack.jwt_secret, algorithms=["HS256"], audience="authenticated")
    assert claims["iss"] == stack.url + "/auth/v1"
    assert claims["sub"] == account["user"].id
    assert claims["aud"] == "authenticated" and claims["role"] == "authenticated"
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 60
    assert session.expires_at == claims["exp"]
    assert claims["email"] == account["email"].lower() and claims["phone"] == ""
    assert claims["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert claims["user_metadata"] == {"display_name": "Ann", "district": 7}
    assert claims["aal"] == "aal1" and claims["is_anonymous"] is False
    assert claims["amr"][0]["method"] == "password" and isinstance(claims["amr"][0]["timestamp"], int)
    owner = db.execute("select user_id::text from auth.sessions where id = %s", (claims["session_id"],)).fetchone()
    assert owner == (account["user"].id,)


# --- refresh ----------------------------------------------------------------------------

def test_refresh_rotates_and_reuse_revokes_the_whole_session(stack: StackInfo, account: dict, db) -> None:
    client, first = sign_in(stack, account["email"], account["password"])
    second = client.auth.refresh_session(first.refresh_token).session
    assert second.refresh_token != first.refresh_token
    assert second.user.id == account["user"].id
    assert stack.client().auth.get_user(second.access_token).user.id == account["user"].id
    session_id = jwt.decode(second.access_token, options={"verify_signature": False})["session_id"]
    assert session_id == jwt.decode(first.access_token, options={"verify_signature": False})["session_id"]

    # The spent token comes back after [auth] refresh_token_reuse_interval (inside it see test_auth_refresh.py).
    interval = Settings.from_environ().auth.refresh_token_reuse_interval_s
    db.execute("update auth.refresh_tokens set updated_at = updated_at - %s * interval '1 second' where token = %s",
               (interval + 1, first.refresh_token))
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.refresh_session(first.refresh_token)
    assert (err.value.status, err.value.code) == (400, "refresh_token_already_used")

    with pytest.raises(AuthApiError) as err:  # ... so the newer token of that session is dead too
        stack.client().auth.refresh_session(second.refresh_token)
    assert err.value.status == 400 and err.value.code in ("refresh_token_not_found", "refresh_token_already_used")
    with pytest.raises(AuthApiError) as err:  # ... and so is the session itself
        stack.client().auth.get_user(second.access_token)
    assert (err.value.status, err.value.code) == (403, "session_not_found")
    assert db.execute("select count(*) from auth.sessions where id = %s", (session_id,)).fetchone()[0] == 0


def test_unknown_refresh_token_is_refused(stack: StackInfo) -> None:
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.refresh_session("no-such-refresh-token")
    assert (err.value.status, err.value.code) == (400, "refresh_token_not_found")


# --- user ----------------------------------------------------------------------------------

def test_get_user_returns_the_signed_in_account(stack: StackInfo, account: dict) -> None:
    client, session = sign_in(stack, account["email"], account["password"])
    user = client.auth.get_user().user
    assert user.id == account["user"].id and user.email == account["email"].lower()
    assert stack.client().auth.get_user(session.access_token).user.id == user.id


def test_update_user_merges_metadata(stack: StackInfo, account: dict) -> None:
    client, _ = sign_in(stack, account["email"], account["password"])
    user = client.auth.update_user({"data": {"district": 9, "language": "zh"}}).user
    assert user.user_metadata == {"display_name": "Ann", "district": 9, "language": "zh"}
    user = client.auth.update_user({"data": {"display_name": None}}).user  # null removes a key, as GoTrue
    assert user.user_metadata == {"district": 9, "language": "zh"}
    assert client.auth.get_user().user.user_metadata == user.user_metadata


def test_update_user_refuses_app_metadata(stack: StackInfo, account: dict, db) -> None:
    client, _ = sign_in(stack, account["email"], account["password"])
    with pytest.raises(AuthApiError) as err:
        client.auth.update_user({"app_metadata": {"role": "supervisor"}, "data": {"district": 1}})
    assert (err.value.status, err.value.code) == (403, "not_admin")
    row = db.execute("select raw_app_meta_data, raw_user_meta_data from auth.users where id = %s",
                     (account["user"].id,)).fetchone()
    assert "role" not in row[0] and row[1]["district"] == 7  # nothing half-written


def test_password_change_keeps_this_session_and_ends_the_others(stack: StackInfo, account: dict) -> None:
    client, _ = sign_in(stack, account["email"], account["password"])
    _, other = sign_in(stack, account["email"], account["password"])
    with pytest.raises(AuthApiError) as err:
        client.auth.update_user({"password": account["password"]})
    assert (err.value.status, err.value.code) == (422, "same_password")
    with pytest.raises(AuthWeakPasswordError):
        client.auth.update_user({"password": "123"})

    new = new_password()
    client.auth.update_user({"password": new})
    assert client.auth.get_user().user.id == account["user"].id
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.refresh_session(other.refresh_token)
    assert err.value.code == "refresh_token_not_found"
    with pytest.raises(AuthApiError) as err:
        sign_in(stack, account["email"], account["password"])
    assert err.value.code == "invalid_credentials"
    _, session = sign_in(stack, account["email"], new)
    assert session.user.id == account["user"].id


def test_update_email_and_duplicate_email(stack: StackInfo, account: dict) -> None:
    client, _ = sign_in(stack, account["email"], account["password"])
    taken = stack.client().auth.sign_up({"email": unique_email(), "password": new_password()}).user.email
    with pytest.raises(AuthApiError) as err:
        client.auth.update_user({"email": taken})
    assert (err.value.status, err.value.code) == (422, "email_exists")
    fresh = unique_email()
    assert client.auth.update_user({"email": fresh}).user.email == fresh.lower()
    _, session = sign_in(stack, fresh, account["password"])
    assert session.user.id == account["user"].id


def test_update_user_adds_a_phone(stack: StackInfo, account: dict) -> None:
    client, _ = sign_in(stack, account["email"], account["password"])
    phone = unique_phone()
    user = client.auth.update_user({"phone": phone}).user
    assert user.phone == "" and user.new_phone == phone.removeprefix("+")  # waits for its code
    user = client.auth.verify_otp({"type": "phone_change", "phone": phone, "token": latest_code(stack, phone)}).user
    assert user.phone == phone.removeprefix("+") and user.app_metadata["providers"] == ["email", "phone"]
    session = stack.client().auth.sign_in_with_password({"phone": phone, "password": account["password"]}).session
    assert session.user.id == account["user"].id


# --- sign-out ---------------------------------------------------------------------------------

def _three_sessions(stack: StackInfo, account: dict) -> list[tuple[Client, object]]:
    return [sign_in(stack, account["email"], account["password"]) for _ in range(3)]


def _alive(stack: StackInfo, session) -> bool:
    try:
        stack.client().auth.get_user(session.access_token)
        return True
    except AuthApiError as err:
        assert (err.status, err.code) == (403, "session_not_found")
        return False


def test_sign_out_local_ends_only_this_session(stack: StackInfo, account: dict) -> None:
    (a, sa), (b, sb), (c, sc) = _three_sessions(stack, account)
    a.auth.sign_out({"scope": "local"})
    assert a.auth.get_session() is None
    assert [_alive(stack, s) for s in (sa, sb, sc)] == [False, True, True]
    with pytest.raises(AuthApiError):
        stack.client().auth.refresh_session(sa.refresh_token)
    assert stack.client().auth.refresh_session(sb.refresh_token).session is not None


def test_sign_out_others_keeps_only_this_session(stack: StackInfo, account: dict) -> None:
    (a, sa), (b, sb), (c, sc) = _three_sessions(stack, account)
    b.auth.sign_out({"scope": "others"})
    assert b.auth.get_session() is not None
    assert [_alive(stack, s) for s in (sa, sb, sc)] == [False, True, False]
    with pytest.raises(AuthApiError):
        stack.client().auth.refresh_session(sc.refresh_token)


def test_sign_out_global_ends_every_session(stack: StackInfo, account: dict, db) -> None:
    (a, sa), (b, sb), (c, sc) = _three_sessions(stack, account)
    c.auth.sign_out()  # global is the client's default
    assert [_alive(stack, s) for s in (sa, sb, sc)] == [False, False, False]
    for s in (sa, sb, sc):
        with pytest.raises(AuthApiError):
            stack.client().auth.refresh_session(s.refresh_token)
    assert db.execute("select count(*) from auth.sessions where user_id = %s", (account["user"].id,)).fetchone()[0] == 0
