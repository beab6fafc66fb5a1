"""Errors in PostgREST's shape and status codes (rest/errors.py, and the 4xx of parser.py / request.py)."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.rest_support import assert_error, rest


@pytest.mark.parametrize(("code", "status"), [
    ("P0001", 400), ("23505", 409), ("23503", 409), ("23514", 400), ("22P02", 400), ("22023", 400),
    ("42883", 404), ("42P01", 404), ("42501", 403), ("28000", 403), ("25006", 405), ("57014", 500), ("57P01", 503),
    ("PT402", 402), ("PT418", 418), ("P0002", 500),
])
def test_sqlstate_maps_to_postgrest_status(stack, code, status) -> None:
    r = rest(stack, "POST", "/rpc/raise_with", body={"code": code, "msg": "m-" + code, "detail": "d", "hint": "h"})
    body = assert_error(r, status, code)
    assert (body["message"], body["details"], body["hint"]) == ("m-" + code, "d", "h")


def test_42501_is_401_for_anon(stack) -> None:
    r = rest(stack, "POST", "/rpc/raise_with", key="anon", body={"code": "42501", "msg": "no", "detail": "d", "hint": "h"})
    assert_error(r, 401, "42501")


@pytest.mark.parametrize("code", ["XX000", "58030", "53100", "08006"])
def test_internal_failures_do_not_leak_their_message(stack, code) -> None:
    r = rest(stack, "POST", "/rpc/raise_with",
             body={"code": code, "msg": "secret /var/lib/postgres detail", "detail": "d", "hint": "h"})
    assert r.status_code in (500, 503)
    body = assert_error(r, r.status_code, code)
    assert "secret" not in r.text and body["message"]


def test_errors_reach_the_client_as_api_errors(as_service) -> None:
    with pytest.raises(APIError) as err:
        as_service.rpc("raise_with", {"code": "P0001", "msg": "Street not found", "detail": "id 7", "hint": "Check the id"}).execute()
    assert (err.value.code, err.value.message, err.value.details, err.value.hint) == \
        ("P0001", "Street not found", "id 7", "Check the id")


@pytest.mark.parametrize(("params", "code"), [
    ({"select": "id", "limit": "ten"}, "PGRST100"),
    ({"select": "id", "limit": "-1"}, "PGRST100"),
    ({"select": "id", "offset": "1.5"}, "PGRST100"),
    ({"select": "id", "order": "title.sideways"}, "PGRST100"),
    ({"select": "id", "order": ""}, "PGRST100"),
    ({"select": "id,"}, "PGRST100"),
    ({"select": "id,count()"}, "PGRST123"),
    ({"select": "...authors(name)"}, "PGRST100"),
    ({"select": "id", "title": "eq.a\u0000b"}, "22021"),
    ({"select": "id", "tags": "cs.{a\u0000}"}, "22021"),
    ({"select": "id", "meta->>la\u0000ng": "eq.x"}, "22021"),
    ({"select": "id,meta->>\u0000"}, "22021"),
    ({"select": "ti\u0000tle"}, "PGRST100"),
])
def test_bad_query_strings_are_400(stack, params, code) -> None:
    assert_error(rest(stack, "GET", "/books", params=params), 400, code)


def test_nul_in_rpc_text_argument_is_400(stack, db) -> None:
    assert_error(rest(stack, "POST", "/rpc/fail", body={"msg": "a\u0000b"}), 400)
    assert_error(rest(stack, "GET", "/rpc/fail", params={"msg": "a\u0000b"}), 400, "22021")
    assert_error(rest(stack, "POST", "/kv", body={"k": "nul\u0000key"}), 400)
    assert db.execute("select count(*) from tests.kv where k like 'nul%'").fetchone()[0] == 0


def test_unacceptable_media_type_is_406(stack) -> None:
    assert_error(rest(stack, "GET", "/books", params={"select": "id"}, headers={"Accept": "text/html"}), 406, "PGRST107")


def test_object_media_type_without_json_suffix(stack) -> None:
    r = rest(stack, "GET", "/books", params={"select": "id", "id": "eq.3"},
             headers={"Accept": "application/vnd.pgrst.object"})
    assert r.status_code == 200 and r.json() == {"id": 3}


def test_bad_prefer_values(stack) -> None:
    assert_error(rest(stack, "DELETE", "/kv", params={"k": "eq.none"}, headers={"Prefer": "max-affected=lots"}),
                 400, "PGRST100")
    # Unknown preferences are ignored, as PostgREST does without `handling=strict`.
    r = rest(stack, "GET", "/books", params={"select": "id", "limit": "1"}, headers={"Prefer": "count=sometimes, x"})
    assert r.status_code == 200 and r.headers["Content-Range"] == "0-0/*"


def test_errors_are_json_with_the_four_keys(stack) -> None:
    r = rest(stack, "GET", "/books", params={"select": "nope"})
    assert r.headers["Content-Type"].startswith("application/json")
    assert list(sorted(r.json())) == ["code", "details", "hint", "message"]


@pytest.mark.parametrize("depth", [33, 1500])
def test_deep_nesting_is_400_not_a_crash(stack, depth) -> None:
    tree = "(" + "and(" * depth + "id.eq.1" + ")" * depth + ")"
    assert_error(rest(stack, "GET", "/books", params={"select": "id", "or": tree}), 400, "PGRST100")
    embeds = "id," + "authors(id,books(" * (depth // 2 + 1) + "id" + "))" * (depth // 2 + 1)
    assert_error(rest(stack, "GET", "/books", params={"select": embeds}), 400, "PGRST100")
    negations = "(id." + "not." * depth + "eq.1)"
    assert_error(rest(stack, "GET", "/books", params={"select": "id", "or": negations}), 400, "PGRST100")


def test_nesting_up_to_the_limit_works(stack) -> None:
    tree = "(" + "and(" * 32 + "id.eq.1" + ")" * 32 + ")"
    r = rest(stack, "GET", "/books", params={"select": "id", "or": tree})
    assert r.status_code == 200 and r.json() == [{"id": 1}]
    select = "id"
    for relation in reversed(["authors", "books"] * 16):  # books -> authors -> books ... 32 levels
        select = f"id,{relation}({select})"
    r = rest(stack, "GET", "/books", params={"select": select, "id": "eq.1"})
    assert r.status_code == 200, r.text
    assert r.json()[0]["authors"]["books"][0]["authors"]["id"] == 1


def test_long_json_paths_work(stack) -> None:
    path = "meta" + "->a" * 1500
    r = rest(stack, "GET", "/books", params={"select": f"id,deep:{path}", path: "is.null", "order": path, "id": "eq.1"})
    assert r.status_code == 200 and r.json() == [{"id": 1, "deep": None}]
