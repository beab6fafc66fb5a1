"""Browsers may call the API from any origin, as hosted Supabase allows: preflights, and the headers read back.

Keys travel in headers, never cookies, so any origin is safe to allow; what a page
may read of an answer (counts in Content-Range, a download's name) must be exposed.
"""

from __future__ import annotations

import httpx
import pytest

ORIGIN = "http://127.0.0.1:8550"


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        yield client


def test_a_preflight_allows_the_headers_supabase_js_sends(http) -> None:
    answer = http.options("/rest/v1/reports", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "apikey, authorization, content-type, prefer, x-client-info"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    for header in ("apikey", "authorization", "content-type", "prefer", "x-client-info"):
        assert header in allowed
    assert "access-control-allow-credentials" not in answer.headers


def test_an_answer_to_a_page_exposes_the_count(http, stack) -> None:
    answer = http.get("/rest/v1/departments?select=code", headers={
        "Origin": ORIGIN, "apikey": stack.anon_key, "Prefer": "count=exact"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "content-range" in answer.headers["access-control-expose-headers"].lower()
    assert answer.headers["content-range"].endswith(f"/{len(answer.json())}")


def test_a_refusal_still_reaches_the_page_so_it_can_show_why(http) -> None:
    answer = http.get("/rest/v1/departments", headers={"Origin": ORIGIN})  # no key
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == "*"


def test_without_an_origin_nothing_is_added(http, stack) -> None:
    answer = http.get("/rest/v1/departments?select=code", headers={"apikey": stack.anon_key})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
