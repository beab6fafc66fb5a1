"""What /auth/v1 answers to requests supabase-py would never send: raw HTTP, checked byte for byte.

Covers the guard in backend/local_supabase/auth/routes.py and the error shape of errors.py.
"""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from tests.conftest import StackInfo


@pytest.fixture(scope="module")
def http(stack: StackInfo) -> httpx.Client:
    with httpx.Client(base_url=f"{stack.url}/auth/v1") as client:
        yield client


def assert_error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == body["error_code"] == code
    assert body["message"] == body["msg"] and body["message"]
    assert r.headers["x-supabase-api-version"] == "2024-01-01"
    assert "Traceback" not in r.text
    return body


def test_every_path_needs_a_valid_api_key(stack: StackInfo, http: httpx.Client) -> None:
    assert_error(http.get("/settings"), 401, "no_api_key")
    assert_error(http.post("/token?grant_type=password", json={"email": "a@b.co", "password": "x"}), 401, "no_api_key")
    forged = jwt.encode({"role": "service_role"}, "not-the-project-secret-but-long-enough-for-hs256", algorithm="HS256")
    assert_error(http.get("/admin/users", headers={"apikey": forged, "Authorization": f"Bearer {forged}"}),
                 401, "invalid_api_key")
    assert_error(http.get("/nowhere"), 401, "no_api_key")
    assert http.get("/settings", headers={"apikey": stack.anon_key}).status_code == 200
    assert http.get("/settings", params={"apikey": stack.anon_key}).status_code == 200


def test_health_and_settings(stack: StackInfo, http: httpx.Client) -> None:
    health = http.get("/health", headers={"apikey": stack.anon_key})
    assert health.status_code == 200 and health.json()["name"] == "GoTrue"
    settings = http.get("/settings", headers={"apikey": stack.anon_key}).json()
    assert settings["external"]["email"] is True and settings["mailer_autoconfirm"] is True


def test_malformed_json_is_a_400_bad_json(stack: StackInfo, http: httpx.Client) -> None:
    headers = {"apikey": stack.anon_key, "Content-Type": "application/json"}
    assert_error(http.post("/signup", content=b'{"email": ', headers=headers), 400, "bad_json")
    assert_error(http.post("/token?grant_type=password", content=b"[1, 2]", headers=headers), 400, "bad_json")
    assert_error(http.post("/signup", content=b"\xff\xfe", headers=headers), 400, "bad_json")


def test_wrong_field_types_are_validation_errors(stack: StackInfo, http: httpx.Client) -> None:
    headers = {"apikey": stack.anon_key}
    assert_error(http.post("/signup", json={"email": 7, "password": "secret-pw"}, headers=headers),
                 400, "validation_failed")
    assert_error(http.post("/signup", json={"email": "x@test.cityloop.local", "password": "secret-pw", "data": [1]},
                           headers=headers), 400, "validation_failed")
    assert_error(http.post("/signup", json={"email": "x@test.cityloop.local", "phone": "15550001111",
                                            "password": "secret-pw"}, headers=headers), 400, "validation_failed")
    assert_error(http.post("/signup", json={"password": "secret-pw"}, headers=headers),
                 422, "anonymous_provider_disabled")
    assert_error(http.post("/signup", json={"phone": "12ab", "password": "secret-pw"}, headers=headers),
                 400, "validation_failed")
    assert_error(http.post("/token?grant_type=password", json={"password": "x"}, headers=headers),
                 400, "validation_failed")
    assert_error(http.post("/token?grant_type=magic", json={}, headers=headers), 400, "invalid_credentials")
    assert_error(http.post("/token?grant_type=refresh_token", json={}, headers=headers), 400, "validation_failed")


def test_unknown_paths_and_methods(stack: StackInfo, http: httpx.Client) -> None:
    headers = {"apikey": stack.anon_key}
    assert_error(http.get("/no/such/endpoint", headers=headers), 404, "not_found")
    body = assert_error(http.delete("/signup", headers=headers), 405, "method_not_allowed")
    assert "POST" in body["message"]


def test_user_endpoints_need_a_valid_user_token(stack: StackInfo, http: httpx.Client, make_user) -> None:
    headers = {"apikey": stack.anon_key}
    assert_error(http.get("/user", headers=headers), 401, "no_authorization")
    assert_error(http.get("/user", headers={**headers, "Authorization": "Bearer not.a.jwt"}), 403, "bad_jwt")
    person = make_user()
    claims = jwt.decode(person.access_token, stack.jwt_secret, algorithms=["HS256"], audience="authenticated")
    expired = jwt.encode({**claims, "exp": int(time.time()) - 10}, stack.jwt_secret, algorithm="HS256")
    assert_error(http.get("/user", headers={**headers, "Authorization": f"Bearer {expired}"}), 403, "bad_jwt")
    forged = jwt.encode(claims, "not-the-project-secret-but-long-enough-for-hs256", algorithm="HS256")
    assert_error(http.get("/user", headers={**headers, "Authorization": f"Bearer {forged}"}), 403, "bad_jwt")
    no_session = jwt.encode({k: v for k, v in claims.items() if k != "session_id"}, stack.jwt_secret, algorithm="HS256")
    assert_error(http.get("/user", headers={**headers, "Authorization": f"Bearer {no_session}"}),
                 403, "session_not_found")
    # The anon key is a valid JWT but names nobody.
    assert_error(http.get("/user", headers={**headers, "Authorization": f"Bearer {stack.anon_key}"}), 403, "bad_jwt")
    ok = http.get("/user", headers={**headers, "Authorization": f"Bearer {person.access_token}"})
    assert ok.status_code == 200 and ok.json()["id"] == person.id


def test_logout_rejects_unknown_scopes(stack: StackInfo, http: httpx.Client, make_user) -> None:
    person = make_user()
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {person.access_token}"}
    assert_error(http.post("/logout?scope=everything", headers=headers), 400, "validation_failed")
    assert http.get("/user", headers=headers).status_code == 200  # nothing was signed out
    r = http.post("/logout?scope=local", headers=headers)
    assert r.status_code == 204 and r.content == b""
    assert_error(http.get("/user", headers=headers), 403, "session_not_found")


def test_values_postgres_cannot_store_are_refused_cleanly(stack: StackInfo, http: httpx.Client, db) -> None:
    email = "nul-in-metadata@test.cityloop.local"
    r = http.post("/signup", json={"email": email, "password": "secret-pw", "data": {"name": "a\u0000b"}},
                  headers={"apikey": stack.anon_key})
    assert_error(r, 400, "validation_failed")
    assert db.execute("select count(*) from auth.users where email = %s", (email,)).fetchone()[0] == 0
