"""Bad input answers 400 in the service's shape, never a 500 (rest/request.py, rest/parser.py, gateway/json_body.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.backend.rest_support import checksum

HUGE = "9" * 5000


def _rest(stack, method: str, path: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
    base = {"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}", "Accept-Profile": "tests",
            "Content-Profile": "tests", "Content-Type": "application/json"}
    return httpx.request(method, f"{stack.url}/rest/v1{path}", headers={**base, **(headers or {})}, timeout=30, **kwargs)


def _assert_rest_error(r: httpx.Response, code: str) -> dict:
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"code", "message", "details", "hint"} and body["code"] == code
    return body


@pytest.mark.parametrize("value", [f"0-{HUGE}", f"{HUGE}-", f"items={HUGE}-{HUGE}", "0-99999999999999999999"])
def test_a_range_with_a_number_no_bigint_holds_is_400(stack, value) -> None:
    body = _assert_rest_error(_rest(stack, "GET", "/books?select=id", headers={"Range": value}), "PGRST103")
    assert "at most" in body["details"]


@pytest.mark.parametrize("param", ["limit", "offset"])
def test_a_limit_or_offset_no_bigint_holds_is_400(stack, param) -> None:
    for value in (HUGE, "99999999999999999999"):
        _assert_rest_error(_rest(stack, "GET", f"/books?select=id&{param}={value}"), "PGRST100")


@pytest.mark.parametrize("key", ["select", "order"])
def test_a_select_or_order_of_5000_columns_is_400_before_postgresql_refuses_it(stack, key) -> None:
    r = _rest(stack, "GET", f"/books?{key}=" + ",".join(["id"] * 5000))
    body = _assert_rest_error(r, "PGRST100")
    assert "5000 items" in body["message"] and "at most 1000" in body["message"]


def test_a_select_under_the_cap_still_works(stack) -> None:
    r = _rest(stack, "GET", "/books?limit=1&select=" + ",".join(f"c{n}:id" for n in range(900)))
    assert r.status_code == 200 and len(r.json()[0]) == 900


def test_a_lone_surrogate_in_json_is_400_and_writes_nothing(stack, db) -> None:
    before = checksum(db)
    r = _rest(stack, "POST", "/kv", content=b'{"key": "k", "value": "\\ud800"}',
              headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})
    body = _assert_rest_error(r, "PGRST102")
    assert "surrogate" in body["details"]
    _assert_rest_error(_rest(stack, "POST", "/rpc/sleep_for", content=b'{"seconds": 0, "x": "\\udfff"}'), "PGRST102")
    assert checksum(db) == before


def test_a_paired_surrogate_is_fine(stack) -> None:
    r = _rest(stack, "POST", "/rpc/caller_address", content=b'{}')
    assert r.status_code == 200
    r = _rest(stack, "POST", "/rpc/sleep_for", content=b'{"seconds": 0, "x": "\\ud83d\\ude00"}')
    assert r.status_code == 404 and r.json()["code"] == "PGRST202"  # parsed: no function takes `x`


@pytest.mark.parametrize("body", [
    b'{"email": "a@b.example", "password": "pw-123456", "data": {"x": "\\ud800"}}',
    b'{"email": "a@b.example", "password": "pw-123456", "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"email": "a@b.example", "password": ' + b"9" * 5000 + b'}',
], ids=["surrogate", "deep", "5000-digit-number"])
def test_bad_json_to_signup_is_400_bad_json(stack, body) -> None:
    r = httpx.post(f"{stack.url}/auth/v1/signup", content=body,
                   headers={"apikey": stack.anon_key, "Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == r.json()["error_code"] == "bad_json"


def test_a_lone_surrogate_in_a_storage_body_is_400(stack) -> None:
    r = httpx.post(f"{stack.url}/storage/v1/object/list/any", content=b'{"prefix": "\\ud800"}',
                   headers={"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}",
                            "Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 400 and r.json()["statusCode"] == "400" and r.json()["code"] == "InvalidRequest"
