"""/auth/v1/admin/users through supabase-py's admin API (backend/local_supabase/auth/admin.py)."""

from __future__ import annotations

import uuid

import httpx
import jwt
import pytest
from supabase import Client
from supabase_auth import SyncGoTrueAdminAPI
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from tests.conftest import StackInfo


def unique_email() -> str:
    return f"adm{uuid.uuid4().hex[:12]}@test.cityloop.local"


def new_password() -> str:
    return "pw-" + uuid.uuid4().hex


def create(service: Client, **attributes):
    email, password = unique_email(), new_password()
    user = service.auth.admin.create_user({"email": email, "password": password, "email_confirm": True,
                                           **attributes}).user
    return user, email, password


def sign_in(stack: StackInfo, email: str, password: str):
    return stack.client().auth.sign_in_with_password({"email": email, "password": password}).session


def test_create_get_update_delete(stack: StackInfo, service: Client, db) -> None:
    user, email, password = create(service, user_metadata={"display_name": "Li"},
                                   app_metadata={"role": "grid_worker"})
    assert user.email == email and user.email_confirmed_at is not None
    assert user.app_metadata == {"provider": "email", "providers": ["email"], "role": "grid_worker"}
    assert user.user_metadata == {"display_name": "Li"}

    fetched = service.auth.admin.get_user_by_id(user.id).user
    assert (fetched.id, fetched.email, fetched.app_metadata) == (user.id, email, user.app_metadata)

    updated = service.auth.admin.update_user_by_id(user.id, {"user_metadata": {"team": 3}}).user
    assert updated.user_metadata == {"display_name": "Li", "team": 3}
    assert sign_in(stack, email, password).user.user_metadata == {"display_name": "Li", "team": 3}

    service.auth.admin.delete_user(user.id)
    with pytest.raises(AuthApiError) as err:
        service.auth.admin.get_user_by_id(user.id)
    assert (err.value.status, err.value.code) == (404, "user_not_found")
    assert db.execute("select count(*) from auth.users where id = %s", (user.id,)).fetchone()[0] == 0
    with pytest.raises(AuthApiError) as err:
        sign_in(stack, email, password)
    assert err.value.code == "invalid_credentials"


def test_deleted_user_token_no_longer_works(stack: StackInfo, service: Client, make_user) -> None:
    person = make_user()
    service.auth.admin.delete_user(person.id)
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.get_user(person.access_token)
    assert (err.value.status, err.value.code) == (403, "user_not_found")


def test_soft_delete_keeps_the_row_but_not_the_person(stack: StackInfo, service: Client, db) -> None:
    user, email, password = create(service, user_metadata={"display_name": "Soft"})
    session = sign_in(stack, email, password)
    service.auth.admin.delete_user(user.id, should_soft_delete=True)
    gone = service.auth.admin.get_user_by_id(user.id).user
    assert gone.deleted_at is not None and gone.email == "" and gone.user_metadata == {}
    with pytest.raises(AuthApiError):
        sign_in(stack, email, password)
    with pytest.raises(AuthApiError):
        stack.client().auth.refresh_session(session.refresh_token)
    assert db.execute("select count(*) from auth.sessions where user_id = %s", (user.id,)).fetchone()[0] == 0


def test_list_users_pages(stack: StackInfo, service: Client) -> None:
    ids = [create(service)[0].id for _ in range(3)]
    newest_first = [u.id for u in service.auth.admin.list_users(page=1, per_page=3)]
    assert newest_first == ids[::-1]
    assert [u.id for u in service.auth.admin.list_users(page=2, per_page=2)][0] == ids[0]
    r = httpx.get(f"{stack.url}/auth/v1/admin/users", params={"page": 1, "per_page": 2},
                  headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})
    assert r.status_code == 200 and r.json()["aud"] == "authenticated" and len(r.json()["users"]) == 2
    assert int(r.headers["x-total-count"]) >= 3 and 'rel="next"' in r.headers["link"]
    bad = httpx.get(f"{stack.url}/auth/v1/admin/users", params={"page": "x"},
                    headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})
    assert (bad.status_code, bad.json()["code"]) == (400, "validation_failed")


def test_admin_api_refuses_anon_key_and_user_tokens(stack: StackInfo, anon: Client, make_user) -> None:
    person = make_user()
    as_user = SyncGoTrueAdminAPI(url=f"{stack.url}/auth/v1",
                                 headers={"apikey": stack.anon_key, "Authorization": f"Bearer {person.access_token}"})
    for admin in (anon.auth.admin, as_user):
        for call in (lambda: admin.create_user({"email": unique_email(), "password": new_password()}),
                     lambda: admin.list_users(),
                     lambda: admin.get_user_by_id(person.id),
                     lambda: admin.update_user_by_id(person.id, {"app_metadata": {"role": "supervisor"}}),
                     lambda: admin.delete_user(person.id)):
            with pytest.raises(AuthApiError) as err:
                call()
            assert (err.value.status, err.value.code) == (403, "not_admin")
    assert stack.client().auth.get_user(person.access_token).user.app_metadata.get("role") is None


def test_unknown_and_malformed_user_ids(stack: StackInfo, service: Client) -> None:
    with pytest.raises(AuthApiError) as err:
        service.auth.admin.get_user_by_id(str(uuid.uuid4()))
    assert (err.value.status, err.value.code) == (404, "user_not_found")
    r = httpx.get(f"{stack.url}/auth/v1/admin/users/not-a-uuid",  # the client checks ids itself; the server must too
                  headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})
    assert (r.status_code, r.json()["code"]) == (404, "user_not_found")


def test_admin_app_metadata_reaches_the_users_next_token(stack: StackInfo, service: Client, make_user) -> None:
    person = make_user(app_metadata={"role": "citizen", "district": 4})
    session = person.client.auth.get_session()
    updated = service.auth.admin.update_user_by_id(person.id, {"app_metadata": {"role": "grid_worker",
                                                                               "district": None}}).user
    assert updated.app_metadata == {"provider": "email", "providers": ["email"], "role": "grid_worker"}
    refreshed = person.client.auth.refresh_session(session.refresh_token).session
    claims = jwt.decode(refreshed.access_token, stack.jwt_secret, algorithms=["HS256"], audience="authenticated")
    assert claims["app_metadata"]["role"] == "grid_worker" and "district" not in claims["app_metadata"]


def test_duplicate_and_incomplete_creation_is_refused(service: Client) -> None:
    user, email, _ = create(service)
    with pytest.raises(AuthApiError) as err:
        service.auth.admin.create_user({"email": email.upper(), "password": new_password()})
    assert (err.value.status, err.value.code) == (422, "email_exists")
    with pytest.raises(AuthApiError) as err:
        service.auth.admin.create_user({"password": new_password()})
    assert (err.value.status, err.value.code) == (400, "validation_failed")
    with pytest.raises(AuthWeakPasswordError):
        service.auth.admin.create_user({"email": unique_email(), "password": "abc"})


def test_unconfirmed_email_cannot_sign_in_until_confirmed(stack: StackInfo, service: Client) -> None:
    user, email, password = create(service, email_confirm=False)
    assert user.email_confirmed_at is None
    with pytest.raises(AuthApiError) as err:
        sign_in(stack, email, password)
    assert (err.value.status, err.value.code) == (400, "email_not_confirmed")
    service.auth.admin.update_user_by_id(user.id, {"email_confirm": True})
    assert sign_in(stack, email, password).user.id == user.id


def test_phone_account_created_by_admin(stack: StackInfo, service: Client) -> None:
    phone, password = "+8613" + str(uuid.uuid4().int)[:9], new_password()
    user = service.auth.admin.create_user({"phone": phone, "password": password, "phone_confirm": True}).user
    assert user.phone == phone[1:] and user.app_metadata["providers"] == ["phone"]
    session = stack.client().auth.sign_in_with_password({"phone": phone, "password": password}).session
    assert session.user.id == user.id


def test_admin_password_change_signs_out_everywhere(stack: StackInfo, service: Client) -> None:
    user, email, password = create(service)
    session = sign_in(stack, email, password)
    new = new_password()
    service.auth.admin.update_user_by_id(user.id, {"password": new})
    with pytest.raises(AuthApiError):
        stack.client().auth.refresh_session(session.refresh_token)
    with pytest.raises(AuthApiError):
        sign_in(stack, email, password)
    assert sign_in(stack, email, new).user.id == user.id


def test_ban_blocks_sign_in_refresh_and_user_until_lifted(stack: StackInfo, service: Client) -> None:
    user, email, password = create(service)
    session = sign_in(stack, email, password)
    banned = service.auth.admin.update_user_by_id(user.id, {"ban_duration": "24h"}).user
    assert banned.banned_until is not None

    with pytest.raises(AuthApiError) as err:
        sign_in(stack, email, password)
    assert (err.value.status, err.value.code) == (400, "user_banned")
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.refresh_session(session.refresh_token)
    assert (err.value.status, err.value.code) == (400, "user_banned")
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.get_user(session.access_token)
    assert (err.value.status, err.value.code) == (403, "user_banned")
    with pytest.raises(AuthApiError) as err:  # a wrong password still reads as a wrong password
        sign_in(stack, email, "wrong-password")
    assert err.value.code == "invalid_credentials"

    with pytest.raises(AuthApiError) as err:
        service.auth.admin.update_user_by_id(user.id, {"ban_duration": "forever"})
    assert (err.value.status, err.value.code) == (400, "validation_failed")

    assert service.auth.admin.update_user_by_id(user.id, {"ban_duration": "none"}).user.banned_until is None
    assert stack.client().auth.refresh_session(session.refresh_token).session.user.id == user.id
    assert sign_in(stack, email, password).user.id == user.id
