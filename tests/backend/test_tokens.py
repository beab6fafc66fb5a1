"""API keys and JWTs on /rest/v1 (gateway/keys.py as the REST routes use it).

Every bad key or token is a 401 in PostgREST's error shape and runs nothing:
each case calls a function that would write a row, then checks in SQL that it
did not. Every good one runs as exactly the role its token names, never as the
gateway's login or a superuser.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from tests.backend.rest_support import assert_error, reload_schema, rest, sign, user_claims

ALICE = "00000000-0000-4000-8000-00000000a11c"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(claims: dict) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def bad_requests(stack) -> dict[str, dict]:
    """name -> how to call: `key` (the apikey header) and `auth` (the whole Authorization header); None omits it."""
    anon = stack.anon_key
    good = sign(stack, user_claims(ALICE))

    def bearer(secret: str | None = None, algorithm: str = "HS256", **claims) -> str:
        return f"Bearer {sign(stack, user_claims(ALICE, **claims), secret=secret, algorithm=algorithm)}"

    tampered = ".".join([good.split(".")[0], _b64(user_claims(ALICE, role="service_role")), good.split(".")[2]])
    cases = {
        "no apikey, no token": (None, None),
        "no apikey, valid user token": (None, f"Bearer {good}"),
        "garbage apikey": ("not-a-key", None),
        "apikey signed with another secret": (sign(stack, {"role": "service_role"}, secret="x" * 40), None),
        "apikey that is a user token": (good, None),
        "apikey naming postgres": (sign(stack, {"role": "postgres"}), None),
        "expired token": (anon, bearer(lifetime=-60)),
        "wrong signature": (anon, bearer(secret="y" * 40)),
        "tampered payload": (anon, f"Bearer {tampered}"),
        "alg none": (anon, f"Bearer {_unsigned(user_claims(ALICE, role='service_role'))}"),
        "HS512 with the right secret": (anon, bearer(algorithm="HS512")),
        "garbage token": (anon, "Bearer garbage"),
        "three garbage segments": (anon, "Bearer a.b.c"),
        "not yet valid": (anon, bearer(nbf=int(time.time()) + 600)),
        "Basic scheme": (anon, "Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
        "Bearer without a token": (anon, "Bearer"),
        "Token scheme": (anon, f"Token {good}"),
        "two tokens": (anon, f"Bearer {good} {good}"),
    }
    for role in ("postgres", "supabase_auth_admin", "supabase_storage_admin", "authenticator", "pg_read_all_data",
                 "nobody", "anon; reset role", ["service_role"]):
        cases[f"role {role}"] = (anon, bearer(role=role))
    return {name: {"key": key, "auth": auth} for name, (key, auth) in cases.items()}


def _case_names() -> list[str]:
    class _S:  # the names do not depend on the keys or the secret
        anon_key = service_key = "k"
        jwt_secret = "s" * 40
    return list(bad_requests(_S()))


def _call(stack, case: dict, method: str, path: str, **kw):
    headers = {"Accept-Profile": "tests", "Content-Profile": "tests"}
    if case["key"] is not None:
        headers["apikey"] = case["key"]
    if case["auth"] is not None:
        headers["Authorization"] = case["auth"]
    return rest(stack, method, path, key=None, profile=None, headers=headers, **kw)


@pytest.mark.parametrize("name", _case_names())
def test_bad_key_or_token_is_401_and_runs_nothing(stack, db, name) -> None:
    case = bad_requests(stack)[name]
    key = f"tok-{uuid.uuid4().hex[:10]}"
    body = assert_error(_call(stack, case, "POST", "/rpc/touch_kv", body={"key": key}), 401)
    assert body["code"].startswith("PGRST"), body
    assert db.execute("select count(*) from tests.kv where k = %s", (key,)).fetchone()[0] == 0
    assert_error(_call(stack, case, "GET", "/books", params={"select": "id"}), 401)
    db.execute("insert into tests.kv (k, v) values (%s, 'kept')", (key,))
    try:
        assert_error(_call(stack, case, "PATCH", "/kv", params={"k": f"eq.{key}"}, body={"v": "changed"}), 401)
        assert_error(_call(stack, case, "DELETE", "/kv", params={"k": f"eq.{key}"}), 401)
        assert db.execute("select v from tests.kv where k = %s", (key,)).fetchall() == [("kept",)]
    finally:
        db.execute("delete from tests.kv where k = %s", (key,))


def test_apikey_may_come_from_the_query_string(stack) -> None:
    r = rest(stack, "GET", "/books", key=None, params={"select": "id", "limit": "1", "apikey": stack.anon_key})
    assert r.status_code == 200 and r.json() == [{"id": 1}]


def whoami(stack, *, key="anon", token=None) -> dict:
    r = rest(stack, "POST", "/rpc/whoami", key=key, token=token, body={})
    assert r.status_code == 200, r.text
    return r.json()


def _is_privileged(db, role: str) -> bool:
    return db.execute("select rolsuper or rolbypassrls or rolcreaterole or rolcreatedb from pg_roles"
                      " where rolname = %s", (role,)).fetchone()[0]


def test_requests_run_as_the_tokens_role(stack, db, user_a) -> None:
    seen = {
        "anon key": whoami(stack, key="anon"),
        "service key": whoami(stack, key="service"),
        "user session": whoami(stack, token=user_a.access_token),
        "minted user": whoami(stack, token=sign(stack, user_claims(ALICE))),
        "anon token with a sub": whoami(stack, token=sign(stack, user_claims(ALICE, role="anon"))),
        "service token with the anon key": whoami(stack, token=sign(stack, {"role": "service_role"})),
        "token without a role": whoami(stack, token=sign(stack, {"sub": ALICE, "exp": int(time.time()) + 60})),
    }
    assert seen == {
        "anon key": {"role": "anon", "uid": None, "claims_role": "anon"},
        "service key": {"role": "service_role", "uid": None, "claims_role": "service_role"},
        "user session": {"role": "authenticated", "uid": user_a.id, "claims_role": "authenticated"},
        "minted user": {"role": "authenticated", "uid": ALICE, "claims_role": "authenticated"},
        "anon token with a sub": {"role": "anon", "uid": ALICE, "claims_role": "anon"},
        "service token with the anon key": {"role": "service_role", "uid": None, "claims_role": "service_role"},
        "token without a role": {"role": "anon", "uid": ALICE, "claims_role": None},
    }
    for answer in seen.values():
        assert answer["role"] in ("anon", "authenticated", "service_role")
        assert _is_privileged(db, answer["role"]) is False or answer["role"] == "service_role"
    assert _is_privileged(db, "anon") is False and _is_privileged(db, "authenticated") is False


def test_sql_inside_a_request_cannot_become_a_privileged_role(stack, db) -> None:
    """The gateway's login (`authenticator`) is only a member of the three API roles.

    Even SQL that tries (`reset role`, `set role`) lands on an unprivileged role:
    resetting gives the bare login, and switching to a superuser or to a
    service's admin role is refused by PostgreSQL itself."""
    db.execute("create or replace function tests.try_reset() returns text language plpgsql as"
               " $$ begin reset role; return current_user; end $$")
    db.execute("create or replace function tests.try_set(r text) returns text language plpgsql as"
               " $$ begin execute format('set local role %I', r); return current_user; end $$")
    try:
        r = reload_schema(db, lambda: _served(rest(stack, "POST", "/rpc/try_reset", key="anon", body={})))
        assert r.status_code == 200 and r.json() == "authenticator"
        assert not _is_privileged(db, "authenticator")
        for role in ("postgres", "supabase_auth_admin", "supabase_storage_admin", "pg_write_all_data"):
            assert_error(rest(stack, "POST", "/rpc/try_set", key="anon", body={"r": role}), 401, "42501")
            assert_error(rest(stack, "POST", "/rpc/try_set", key="service", body={"r": role}), 403, "42501")
        for _ in range(12):  # and every pooled connection still answers as the caller
            assert whoami(stack, key="anon")["role"] == "anon"
    finally:
        db.execute("drop function tests.try_reset(); drop function tests.try_set(text)")
        db.execute("notify pgrst, 'reload schema'")


def _served(r):
    if r.status_code == 404:
        raise LookupError(r.text)
    return r


def test_an_expired_token_stops_working_even_after_use(stack) -> None:
    """The gateway remembers verified tokens: the memory must end at `exp`."""
    claims = user_claims(ALICE, lifetime=2)
    token = sign(stack, claims)
    assert whoami(stack, token=token)["uid"] == ALICE
    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.2)
    assert_error(rest(stack, "POST", "/rpc/whoami", key="anon", token=token, body={}), 401, "PGRST303")
