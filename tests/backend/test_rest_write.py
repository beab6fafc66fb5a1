"""Insert, upsert, update and delete (rest/mutations.py) through supabase-py, each verified in SQL."""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.backend.rest_support import assert_error, reload_schema, rest, sql_rows


@pytest.fixture()
def prefix(db) -> str:
    """A fresh key prefix in tests.kv; the rows are removed afterwards."""
    p = f"w{uuid.uuid4().hex[:8]}-"
    yield p
    db.execute("delete from tests.kv where k like %s", (p + "%",))


def kv(db, prefix: str) -> list[dict]:
    return sql_rows(db, "select k, v, n from tests.kv where k like %s order by k", (prefix + "%",))


def test_insert_one_returns_the_row(as_service, db, prefix) -> None:
    data = as_service.table("kv").insert({"k": prefix + "a", "v": "x"}).execute().data
    assert data == [{"k": prefix + "a", "v": "x", "n": 7}] == kv(db, prefix)


def test_insert_many_sends_columns_and_nulls_missing_keys(as_service, db, prefix) -> None:
    rows = [{"k": prefix + "a", "n": 1}, {"k": prefix + "b", "v": "y"}]
    data = as_service.table("kv").insert(rows).execute().data
    # With `columns=k,n,v` a key missing from one object is NULL there, not the default.
    assert sorted(data, key=lambda r: r["k"]) == kv(db, prefix) == [
        {"k": prefix + "a", "v": None, "n": 1}, {"k": prefix + "b", "v": "y", "n": None}]


def test_insert_many_with_defaults_for_missing_keys(as_service, db, prefix) -> None:
    rows = [{"k": prefix + "a", "n": 1}, {"k": prefix + "b", "v": "y"}]
    as_service.table("kv").insert(rows, default_to_null=False).execute()
    assert kv(db, prefix) == [{"k": prefix + "a", "v": None, "n": 1}, {"k": prefix + "b", "v": "y", "n": 7}]


def test_columns_parameter_limits_what_is_written(stack, db, prefix) -> None:
    r = rest(stack, "POST", "/kv", params={"columns": "k,v"}, headers={"Prefer": "return=representation"},
             body=[{"k": prefix + "a", "v": "x", "n": 99}])
    assert r.status_code == 201 and r.json() == [{"k": prefix + "a", "v": "x", "n": 7}]
    assert_error(rest(stack, "POST", "/kv", params={"columns": "k,nope"}, body=[{"k": prefix + "b"}]), 400, "PGRST204")
    assert kv(db, prefix) == [{"k": prefix + "a", "v": "x", "n": 7}]


def test_returning_minimal_gives_no_data(as_service, db, prefix, stack) -> None:
    answer = as_service.table("kv").insert({"k": prefix + "a"}, returning="minimal").execute()
    assert answer.data == []
    assert kv(db, prefix) == [{"k": prefix + "a", "v": None, "n": 7}]
    r = rest(stack, "POST", "/kv", headers={"Prefer": "return=minimal"}, body={"k": prefix + "b"})
    assert r.status_code == 201 and r.content == b""
    assert as_service.table("kv").update({"v": "m"}, returning="minimal").eq("k", prefix + "a").execute().data == []
    assert as_service.table("kv").delete(returning="minimal").eq("k", prefix + "b").execute().data == []
    assert kv(db, prefix) == [{"k": prefix + "a", "v": "m", "n": 7}]


def test_insert_with_select_and_embed(as_service, db) -> None:
    try:
        data = (as_service.table("reviews").insert({"book_id": 4, "stars": 2, "body": "w-embed"})
                .select("stars,books(title)").execute().data)
        assert data == [{"stars": 2, "books": {"title": "Ficciones"}}]
    finally:
        db.execute("delete from tests.reviews where body = 'w-embed'")


def test_upsert_merges_duplicates(as_service, db, prefix) -> None:
    db.execute("insert into tests.kv (k, v, n) values (%s, 'old', 1)", (prefix + "a",))
    data = as_service.table("kv").upsert([{"k": prefix + "a", "v": "new"}, {"k": prefix + "b", "v": "b"}]).execute().data
    assert sorted(r["k"] for r in data) == [prefix + "a", prefix + "b"]
    assert kv(db, prefix) == [{"k": prefix + "a", "v": "new", "n": 1}, {"k": prefix + "b", "v": "b", "n": 7}]


def test_upsert_ignores_duplicates(as_service, db, prefix) -> None:
    db.execute("insert into tests.kv (k, v) values (%s, 'old')", (prefix + "a",))
    data = (as_service.table("kv").upsert([{"k": prefix + "a", "v": "new"}, {"k": prefix + "b", "v": "b"}],
                                   ignore_duplicates=True, on_conflict="k").execute().data)
    assert data == [{"k": prefix + "b", "v": "b", "n": 7}]  # only what was written
    assert kv(db, prefix) == [{"k": prefix + "a", "v": "old", "n": 7}, {"k": prefix + "b", "v": "b", "n": 7}]


def test_upsert_on_a_unique_column_other_than_the_key(as_service, db) -> None:
    db.execute("create table if not exists tests.slugs (id serial primary key, slug text unique, hits int default 0)")
    try:
        reload_schema(db, lambda: as_service.table("slugs").select("id").execute())
        as_service.table("slugs").insert({"slug": "x", "hits": 1}).execute()
        as_service.table("slugs").upsert({"slug": "x", "hits": 5}, on_conflict="slug").execute()
        assert sql_rows(db, "select slug, hits from tests.slugs") == [{"slug": "x", "hits": 5}]
        with pytest.raises(APIError) as err:
            as_service.table("slugs").upsert({"slug": "x"}, on_conflict="nope").execute()
        assert err.value.code == "PGRST204"
    finally:
        db.execute("drop table tests.slugs")
        db.execute("notify pgrst, 'reload schema'")


def test_update_changes_only_matching_rows(as_service, db, prefix) -> None:
    db.execute("insert into tests.kv (k, v) values (%s, 'a'), (%s, 'b')", (prefix + "1", prefix + "2"))
    answer = as_service.table("kv").update({"v": "z", "n": 3}, count="exact").eq("k", prefix + "1").execute()
    assert answer.data == [{"k": prefix + "1", "v": "z", "n": 3}] and answer.count == 1
    assert kv(db, prefix) == [{"k": prefix + "1", "v": "z", "n": 3}, {"k": prefix + "2", "v": "b", "n": 7}]
    assert as_service.table("kv").update({"v": "q"}).eq("k", prefix + "none").execute().data == []


def test_update_with_nothing_to_set_changes_nothing(stack, db, prefix) -> None:
    db.execute("insert into tests.kv (k, v) values (%s, 'a')", (prefix + "1",))
    r = rest(stack, "PATCH", "/kv", params={"k": f"eq.{prefix}1"}, headers={"Prefer": "return=representation"}, body={})
    assert r.status_code == 200 and r.json() == []
    assert kv(db, prefix) == [{"k": prefix + "1", "v": "a", "n": 7}]


def test_delete_returns_what_it_removed(as_service, db, prefix) -> None:
    db.execute("insert into tests.kv (k) values (%s), (%s), (%s)", (prefix + "1", prefix + "2", prefix + "3"))
    data = as_service.table("kv").delete().in_("k", [prefix + "1", prefix + "3"]).execute().data
    assert sorted(r["k"] for r in data) == [prefix + "1", prefix + "3"]
    assert kv(db, prefix) == [{"k": prefix + "2", "v": None, "n": 7}]


def test_single_write_must_touch_one_row(as_service, db, prefix, stack) -> None:
    db.execute("insert into tests.kv (k) values (%s), (%s)", (prefix + "1", prefix + "2"))
    r = rest(stack, "PATCH", "/kv", params={"k": f"like.{prefix}*"}, body={"v": "x"},
             headers={"Prefer": "return=representation", "Accept": "application/vnd.pgrst.object+json"})
    assert_error(r, 406, "PGRST116")
    assert [row["v"] for row in kv(db, prefix)] == [None, None]  # rolled back


def test_max_affected(as_service, db, prefix) -> None:
    db.execute("insert into tests.kv (k) values (%s), (%s)", (prefix + "1", prefix + "2"))
    with pytest.raises(APIError) as err:
        as_service.table("kv").delete().like("k", prefix + "*").max_affected(1).execute()
    assert err.value.code == "PGRST124"
    assert len(kv(db, prefix)) == 2
    as_service.table("kv").delete().eq("k", prefix + "1").max_affected(1).execute()
    assert len(kv(db, prefix)) == 1


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"book_id": 999, "stars": 3}, 409, "23503"),
    ({"book_id": 1, "stars": 9}, 400, "23514"),
    ({"book_id": 1}, 400, "23502"),
    ({"book_id": 1, "stars": "many"}, 400, "22P02"),
    ({"book_id": 1, "stars": 3, "nope": 1}, 400, "PGRST204"),
    ([{"book_id": 1, "stars": 3}, {"book_id": 999, "stars": 3}], 409, "23503"),
    ("not json", 400, "PGRST102"),
    ("[1, 2]", 400, "PGRST102"),
    ("", 400, "PGRST102"),
])
def test_bad_writes_change_nothing(stack, db, body, status, code) -> None:
    before = db.execute("select count(*) from tests.reviews").fetchone()[0]
    assert_error(rest(stack, "POST", "/reviews", body=body, headers={"Prefer": "return=representation"}), status, code)
    assert db.execute("select count(*) from tests.reviews").fetchone()[0] == before


def test_duplicate_key_is_409(as_service, db, prefix) -> None:
    as_service.table("kv").insert({"k": prefix + "a"}).execute()
    with pytest.raises(APIError) as err:
        as_service.table("kv").insert([{"k": prefix + "b"}, {"k": prefix + "a"}]).execute()
    assert err.value.code == "23505"
    assert kv(db, prefix) == [{"k": prefix + "a", "v": None, "n": 7}]


def test_write_through_an_updatable_view(as_service, db) -> None:
    try:
        as_service.table("book_titles").update({"title": "Wandering (2nd ed.)"}).eq("id", 2).execute()
        assert db.execute("select title from tests.books where id = 2").fetchone()[0] == "Wandering (2nd ed.)"
    finally:
        db.execute("update tests.books set title = 'Wandering' where id = 2")


def test_values_round_trip_with_quotes_and_unicode(as_service, db, prefix) -> None:
    value = "O'Brien \"quoted\" 城市 😀 \\ back; drop table tests.kv; --"
    as_service.table("kv").insert({"k": prefix + "q", "v": value}).execute()
    assert db.execute("select v from tests.kv where k = %s", (prefix + "q",)).fetchone()[0] == value
    assert as_service.table("kv").select("v").eq("v", value).execute().data == [{"v": value}]
    assert as_service.table("kv").select("k").in_("v", [value, "x"]).execute().data == [{"k": prefix + "q"}]


def test_writes_to_columns_with_awkward_names(as_service, db) -> None:
    try:
        row = {"id": 30, "100%": 7, "per%(cent)s": "x", 'say "hi"': "y"}
        assert as_service.table("odd_names").insert(row).execute().data == [row]
        assert as_service.table("odd_names").update({"100%": 8}).eq("id", 30).execute().data[0]["100%"] == 8
        as_service.table("odd_names").upsert({"id": 30, "per%(cent)s": "z"}).execute()
        assert sql_rows(db, 'select * from tests.odd_names where id = 30') == [dict(row, **{"100%": 8, "per%(cent)s": "z"})]
        assert as_service.table("odd_names").delete().eq("id", 30).execute().data[0]["id"] == 30
    finally:
        db.execute("delete from tests.odd_names where id = 30")
