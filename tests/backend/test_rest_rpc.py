"""`/rpc/fn` (rest/rpc.py): POST and GET calls, every return shape, filters on a function's rows."""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.backend.rest_support import assert_error, rest, sql_rows


@pytest.mark.parametrize("get", [False, True])
def test_scalar(as_service, get) -> None:
    assert as_service.rpc("add", {"a": 2, "b": 40}, get=get).execute().data == 42
    assert as_service.rpc("add", {"a": 2}, get=get).execute().data == 3  # b has a default


@pytest.mark.parametrize("get", [False, True])
def test_setof_table_with_select_filter_and_order(as_service, db, get) -> None:
    data = (as_service.rpc("books_after", {"y": 1925}, get=get).select("id,title")
            .neq("author_id", 2).order("year", desc=True).limit(2).execute().data)
    assert data == sql_rows(db, "select id, title from tests.books_after(1925) where author_id <> 2"
                                " order by year desc limit 2")
    assert [r["id"] for r in data] == [5, 4]


def test_setof_table_rows_can_embed(as_service, db) -> None:
    data = as_service.rpc("books_after", {"y": 1940}).select("id,authors(name)").order("id").execute().data
    assert data == [{"id": 3, "authors": {"name": "Eileen Chang"}}, {"id": 4, "authors": {"name": "Jorge Luis Borges"}},
                    {"id": 5, "authors": {"name": "Jorge Luis Borges"}}]


def test_setof_table_count_and_single(as_service, stack) -> None:
    answer = as_service.rpc("books_after", {"y": 1925}, count="exact").select("id").limit(1).execute()
    assert answer.count == 4 and len(answer.data) == 1
    assert as_service.rpc("books_after", {"y": 1925}).eq("id", 3).single().execute().data["title"] == "Love in a Fallen City"
    with pytest.raises(APIError) as err:
        as_service.rpc("books_after", {"y": 1925}).single().execute()
    assert err.value.code == "PGRST116"
    r = rest(stack, "HEAD", "/rpc/books_after", params={"y": "1925"}, headers={"Prefer": "count=exact"})
    assert r.status_code == 200 and r.content == b"" and r.headers["Content-Range"].endswith("/4")


def test_setof_scalar(as_service, db, stack) -> None:
    expected = [r["year"] for r in sql_rows(db, "select * from tests.year_list() as year")]
    assert as_service.rpc("year_list", {}).execute().data == expected
    assert as_service.rpc("year_list", {}, get=True).limit(2).execute().data == expected[:2]
    r = rest(stack, "GET", "/rpc/year_list", params={"limit": "2", "offset": "1"}, headers={"Prefer": "count=exact"})
    assert r.json() == expected[1:3]
    assert r.headers["Content-Range"] == f"1-2/{len(expected)}"


def test_void_function_writes_and_answers_no_content(as_service, db, stack) -> None:
    key = f"rpc-{uuid.uuid4().hex[:8]}"
    try:
        r = rest(stack, "POST", "/rpc/touch_kv", body={"key": key})
        assert r.status_code == 204 and r.content == b""
        assert db.execute("select count(*) from tests.kv where k = %s", (key,)).fetchone()[0] == 1
        assert as_service.rpc("touch_kv", {"key": key + "b"}).execute().data in (None, [], "")
        assert db.execute("select count(*) from tests.kv where k = %s", (key + "b",)).fetchone()[0] == 1
    finally:
        db.execute("delete from tests.kv where k like %s", (key + "%",))


def test_get_runs_read_only(stack, db) -> None:
    key = f"rpc-{uuid.uuid4().hex[:8]}"
    r = rest(stack, "GET", "/rpc/touch_kv", params={"key": key})
    assert_error(r, 405, "25006")
    assert db.execute("select count(*) from tests.kv where k = %s", (key,)).fetchone()[0] == 0


@pytest.mark.parametrize("payload", [{"a": [1, 2, {"b": None}], "s": "城市 \"q\""}, [1, "two", 3.5], "text", 7, True, None])
def test_jsonb_round_trip(as_service, db, payload) -> None:
    assert as_service.rpc("echo_json", {"payload": payload}).execute().data == payload


def test_jsonb_through_get(as_service) -> None:
    assert as_service.rpc("echo_json", {"payload": {"k": [1, 2]}}, get=True).execute().data == {"k": [1, 2]}


def test_whoami_reports_the_callers_role(as_service, as_anon) -> None:
    assert as_service.rpc("whoami", {}).execute().data == {"role": "service_role", "uid": None, "claims_role": "service_role"}
    assert as_anon.rpc("whoami", {}).execute().data == {"role": "anon", "uid": None, "claims_role": "anon"}


def test_raised_exception_is_400_p0001(as_service, stack) -> None:
    with pytest.raises(APIError) as err:
        as_service.rpc("fail", {"msg": "no such street"}).execute()
    assert (err.value.code, err.value.message) == ("P0001", "no such street")
    assert_error(rest(stack, "POST", "/rpc/fail", body={"msg": "x"}), 400, "P0001")


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/rpc/no_such_function", {}, 404, "PGRST202"),
    ("/rpc/add", {"a": 1, "zz": 2}, 404, "PGRST202"),
    ("/rpc/add", {}, 404, "PGRST202"),
    ("/rpc/add", {"a": "one"}, 400, "22P02"),
    ("/rpc/add", {"a": 99999999999}, 400, "22003"),
    ("/rpc/add", [1, 2], 400, "PGRST102"),
    ("/rpc/add", "{not json", 400, "PGRST102"),
    ("/rpc/fail", {"msg": "a\u0000b"}, 400, None),
])
def test_bad_calls(stack, path, body, status, code) -> None:
    assert_error(rest(stack, "POST", path, body=body), status, code)


def test_functions_of_other_schemas_are_not_reachable(stack) -> None:
    # auth.uid() exists, but `auth` is not exposed.
    assert_error(rest(stack, "POST", "/rpc/uid", profile="auth", body={}), 406, "PGRST106")
    assert_error(rest(stack, "POST", "/rpc/uid", body={}), 404, "PGRST202")
