"""HTTP-level behaviour of /rest/v1 owned by rest/routes.py and the gateway's routing.

The first three were found by the fuzz tests (500s or plain-text answers)."""

from __future__ import annotations

import httpx
import pytest

from tests.backend.rest_support import assert_error, rest


def test_root_lists_the_tables_of_the_schema(stack) -> None:
    r = rest(stack, "GET", "/")
    assert r.status_code == 200, r.text
    assert {"/books", "/authors", "/notes"} <= set(r.json()["paths"])


@pytest.mark.parametrize("path", ["/kv", "/rpc/echo_json"])
def test_deeply_nested_json_body_is_400(stack, path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = deep if path == "/kv" else '{"payload": ' + deep + "}"
    assert_error(rest(stack, "POST", path, body=body), 400, "PGRST102")


@pytest.mark.parametrize(("method", "path"), [("GET", "/a%2Fb"), ("GET", "/%0A"), ("PUT", "/books"),
                                              ("PATCH", "/rpc/add")])
def test_unroutable_requests_answer_in_postgrest_shape(stack, method, path) -> None:
    r = rest(stack, method, path, body={} if method != "GET" else None)
    assert r.status_code in (404, 405)
    assert_error(r, r.status_code)


def test_head_has_headers_but_no_body(stack) -> None:
    r = rest(stack, "HEAD", "/books", params={"select": "id"})
    assert r.status_code == 200 and r.content == b"" and r.headers["Content-Range"] == "0-5/*"


def test_every_answer_is_utf8_json(stack) -> None:
    r = rest(stack, "GET", "/authors", params={"select": "name", "id": "eq.2"})
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert httpx.Response(200, content=r.content).json() == [{"name": "Eileen Chang"}]
