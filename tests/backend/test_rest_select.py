"""Reading tables through supabase-py (rest/parser.py select lists, rest/builder.py), checked against plain SQL."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.rest_support import assert_error, rest, sql_rows

BOOK_COLUMNS = "id, author_id, title, year, tags, meta, price, pages, summary"


def test_star_returns_every_column_like_sql(as_service, db) -> None:
    data = as_service.table("books").select("*").order("id").execute().data
    assert data == sql_rows(db, f"select {BOOK_COLUMNS} from tests.books order by id")
    assert list(data[0]) == [c.strip() for c in BOOK_COLUMNS.split(",")]


def test_column_list_and_renames(as_service, db) -> None:
    data = as_service.table("books").select("id, name:title,year").order("id").execute().data
    assert data == sql_rows(db, "select id, title as name, year from tests.books order by id")
    assert data[0] == {"id": 1, "name": "Call to Arms", "year": 1923}


def test_casts(as_service, db) -> None:
    data = as_service.table("books").select("id::text,price::text,y:year::text,pages::text").order("id").execute().data
    expected = sql_rows(db, "select id::text as id, price::text as price, year::text as y, pages::text as pages"
                            " from tests.books order by id")
    assert data == expected
    assert data[0] == {"id": "1", "price": "12.50", "y": "1923", "pages": "[1,200)"}


def test_cast_to_a_type_alias(as_service, db) -> None:
    data = as_service.table("books").select("id,aw:meta->>awards::int").order("id").execute().data
    assert data == sql_rows(db, "select id, (meta->>'awards')::int as aw from tests.books order by id")
    assert [r["aw"] for r in data] == [0, None, 2, None, None, None]


def test_unknown_cast_type_is_refused(stack) -> None:
    assert_error(rest(stack, "GET", "/books", params={"select": "id::nosuchtype"}), 400, "42704")


def test_json_paths(as_service, db) -> None:
    data = as_service.table("books").select("id,meta->>lang,meta->awards,raw_lang:meta->lang").order("id").execute().data
    expected = sql_rows(db, "select id, meta->>'lang' as lang, meta->'awards' as awards, meta->'lang' as raw_lang"
                            " from tests.books order by id")
    assert data == expected
    assert data[0] == {"id": 1, "lang": "zh", "awards": 0, "raw_lang": "zh"}
    assert data[4] == {"id": 5, "lang": None, "awards": None, "raw_lang": None}


def test_json_path_into_an_array(as_service, db) -> None:
    db.execute("update tests.books set meta = meta || '{\"prizes\": [\"a\", \"b\"]}' where id = 3")
    try:
        data = as_service.table("books").select("id,second:meta->prizes->>1").eq("id", 3).execute().data
        assert data == [{"id": 3, "second": "b"}]
    finally:
        db.execute("update tests.books set meta = meta - 'prizes' where id = 3")


def test_json_path_on_a_column_that_is_not_json_is_an_error(stack) -> None:
    assert_error(rest(stack, "GET", "/books", params={"select": "title->>x"}), 400)


@pytest.mark.parametrize(("column", "desc", "nullsfirst", "sql_order"), [
    ("year", False, None, "year asc"),
    ("year", True, None, "year desc"),
    ("year", True, False, "year desc nulls last"),
    ("year", False, True, "year asc nulls first"),
    ("price", False, False, "price asc nulls last"),
    ("price", True, True, "price desc nulls first"),
    ("meta->>lang", True, False, "meta->>'lang' desc nulls last, id"),
])
def test_ordering_with_nulls_first_and_last(as_service, db, column, desc, nullsfirst, sql_order) -> None:
    query = as_service.table("books").select("id").order(column, desc=desc, nullsfirst=nullsfirst)
    if column.startswith("meta"):
        query = query.order("id")
    data = query.execute().data
    assert data == sql_rows(db, f"select id from tests.books order by {sql_order}")


def test_ordering_by_several_columns(as_service, db) -> None:
    data = (as_service.table("books").select("id,author_id,price")
            .order("author_id", nullsfirst=True).order("price", desc=True).execute().data)
    assert data == sql_rows(db, "select id, author_id, price from tests.books"
                                " order by author_id asc nulls first, price desc")
    assert data[0]["author_id"] is None


def test_limit_offset_and_range(as_service, db) -> None:
    all_ids = [r["id"] for r in sql_rows(db, "select id from tests.books order by id")]
    assert [r["id"] for r in as_service.table("books").select("id").order("id").limit(2).execute().data] == all_ids[:2]
    assert [r["id"] for r in as_service.table("books").select("id").order("id").limit(2).offset(3).execute().data] == all_ids[3:5]
    assert [r["id"] for r in as_service.table("books").select("id").order("id").range(1, 3).execute().data] == all_ids[1:4]
    assert as_service.table("books").select("id").order("id").range(10, 12).execute().data == []


def test_raw_range_header_pages(stack) -> None:
    r = rest(stack, "GET", "/books", params={"select": "id", "order": "id"}, headers={"Range": "0-1"})
    assert r.status_code == 200 and r.json() == [{"id": 1}, {"id": 2}]
    assert r.headers["Content-Range"] == "0-1/*"
    r = rest(stack, "GET", "/books", params={"select": "id", "order": "id"},
             headers={"Range": "2-3", "Range-Unit": "items", "Prefer": "count=exact"})
    assert r.status_code == 206 and r.json() == [{"id": 3}, {"id": 4}]
    assert r.headers["Content-Range"] == "2-3/6"
    # An open range, and a Range header together with limit: the narrower wins.
    r = rest(stack, "GET", "/books", params={"select": "id", "order": "id"}, headers={"Range": "4-"})
    assert r.json() == [{"id": 5}, {"id": 6}]
    r = rest(stack, "GET", "/books", params={"select": "id", "order": "id", "limit": "1"}, headers={"Range": "1-4"})
    assert r.json() == [{"id": 2}]


def test_bad_range_header_is_416(stack) -> None:
    assert_error(rest(stack, "GET", "/books", params={"select": "id"}, headers={"Range": "3-1"}), 416, "PGRST103")
    assert_error(rest(stack, "GET", "/books", params={"select": "id"}, headers={"Range": "a-b"}), 416, "PGRST103")


def test_count_exact(as_service, db, stack) -> None:
    answer = as_service.table("books").select("id", count="exact").gt("year", 1925).order("id").limit(2).execute()
    expected = db.execute("select count(*) from tests.books where year > 1925").fetchone()[0]
    assert answer.count == expected == 4
    assert [r["id"] for r in answer.data] == [2, 3]
    r = rest(stack, "GET", "/books", params={"select": "id", "year": "gt.1925", "order": "id", "limit": "2"},
             headers={"Prefer": "count=exact"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == "0-1/4"
    r = rest(stack, "GET", "/books", params={"select": "id", "year": "gt.1925"}, headers={"Prefer": "count=exact"})
    assert r.status_code == 200 and r.headers["Content-Range"] == "0-3/4"
    r = rest(stack, "GET", "/books", params={"select": "id", "year": "gt.3000"}, headers={"Prefer": "count=exact"})
    assert r.status_code == 200 and r.json() == [] and r.headers["Content-Range"] == "*/0"


def test_count_without_prefer_is_unknown(as_service, stack) -> None:
    assert as_service.table("books").select("id").execute().count is None
    r = rest(stack, "GET", "/books", params={"select": "id", "order": "id"})
    assert r.headers["Content-Range"] == "0-5/*"


def test_offset_past_the_end_with_count_is_416(stack) -> None:
    r = rest(stack, "GET", "/books", params={"select": "id", "offset": "50"}, headers={"Prefer": "count=exact"})
    assert_error(r, 416, "PGRST103")


def test_head_returns_the_count_and_no_body(as_service, stack) -> None:
    answer = as_service.table("books").select("*", count="exact", head=True).lt("year", 1940).execute()
    assert answer.count == 2 and answer.data == []
    r = rest(stack, "HEAD", "/books", params={"select": "id"}, headers={"Prefer": "count=exact"})
    assert r.status_code == 200 and r.content == b"" and r.headers["Content-Range"] == "0-5/6"


def test_single_needs_exactly_one_row(as_service, stack) -> None:
    assert as_service.table("books").select("id,title").eq("id", 4).single().execute().data == {"id": 4, "title": "Ficciones"}
    for build in (lambda q: q.gt("id", 1), lambda q: q.eq("id", 99)):
        with pytest.raises(APIError) as err:
            build(as_service.table("books").select("id")).single().execute()
        assert err.value.code == "PGRST116"
    r = rest(stack, "GET", "/books", params={"select": "id", "id": "gt.1"},
             headers={"Accept": "application/vnd.pgrst.object+json"})
    assert assert_error(r, 406, "PGRST116")["details"] == "The result contains 5 rows"
    r = rest(stack, "GET", "/books", params={"select": "id", "id": "eq.2"},
             headers={"Accept": "application/vnd.pgrst.object+json"})
    assert r.status_code == 200 and r.json() == {"id": 2}
    assert r.headers["Content-Type"].startswith("application/vnd.pgrst.object+json")


def test_maybe_single(as_service) -> None:
    assert as_service.table("books").select("id").eq("id", 99).maybe_single().execute() is None
    assert as_service.table("books").select("id").eq("id", 5).maybe_single().execute().data == {"id": 5}
    with pytest.raises(APIError):
        as_service.table("books").select("id").gt("id", 3).maybe_single().execute()


def test_views_are_readable(as_service, db) -> None:
    data = as_service.table("book_titles").select("*").gte("year", 1940).order("id").execute().data
    assert data == sql_rows(db, "select id, title, year from tests.book_titles where year >= 1940 order by id")


def test_schema_is_chosen_by_profile_headers(stack, service, as_service) -> None:
    assert len(as_service.table("books").select("id").execute().data) == 6
    # Without the profile, the first exposed schema (public) is used, which has no `books`.
    with pytest.raises(APIError) as err:
        service.table("books").select("id").execute()
    assert err.value.code == "PGRST205"
    r = rest(stack, "GET", "/books", profile=None, params={"select": "id"})
    assert_error(r, 404, "PGRST205")


@pytest.mark.parametrize("schema", ["auth", "private", "pg_catalog", "storage", "information_schema", "Tests", ""])
def test_schemas_that_are_not_exposed_are_refused(stack, service, db, schema) -> None:
    if schema:
        with pytest.raises(APIError) as err:
            service.schema(schema).table("users").select("*").execute()
        assert err.value.code == "PGRST106"
    assert_error(rest(stack, "GET", "/users", profile=schema, params={"select": "*"}), 406, "PGRST106")
    before = db.execute("select count(*) from tests.kv").fetchone()[0]
    r = rest(stack, "POST", "/kv", profile=schema, body={"k": f"profile-{schema}"})
    assert_error(r, 406, "PGRST106")
    assert db.execute("select count(*) from tests.kv").fetchone()[0] == before


def test_unknown_table_and_column(stack, as_service) -> None:
    body = assert_error(rest(stack, "GET", "/no_such_table", params={"select": "*"}), 404, "PGRST205")
    assert "no_such_table" in body["message"]
    assert_error(rest(stack, "GET", "/books", params={"select": "id,nope"}), 400, "42703")
    assert_error(rest(stack, "GET", "/books", params={"nope": "eq.1"}), 400, "42703")
    assert_error(rest(stack, "GET", "/books", params={"order": "nope.desc"}), 400, "42703")
    with pytest.raises(APIError) as err:
        as_service.table("books").select("nope").execute()
    assert err.value.code == "42703"


def test_strip_nulls_and_csv(as_service, stack) -> None:
    data = as_service.table("books").select("id,price").eq("id", 3).strip_nulls().execute().data
    assert data == [{"id": 3}]
    text = as_service.table("books").select("id,title").lt("id", 3).order("id").csv().execute().data
    assert text.splitlines() == ["id,title", "1,Call to Arms", "2,Wandering"]


def test_anon_reads_granted_tables(as_anon, db) -> None:
    assert as_anon.table("authors").select("id,name").order("id").execute().data == \
        sql_rows(db, "select id, name from tests.authors order by id")


def test_aliases_with_percent_signs_and_quotes(as_service) -> None:
    """`%` is psycopg's placeholder sign: aliases holding it must stay plain names."""
    data = as_service.table("books").select('%:id,%s:year,"%(p0)s":title,"a::b":title::text').eq("id", 1).execute().data
    assert data == [{"%": 1, "%s": 1923, "%(p0)s": "Call to Arms", "a::b": "Call to Arms"}]


def test_columns_with_awkward_names(as_service, db) -> None:
    data = (as_service.table("odd_names").select('id,pc:"100%","per%(cent)s","say \\"hi\\""::text')
            .gt("100%", 60).order('"100%"', desc=True).execute().data)
    assert data == sql_rows(db, 'select id, "100%" as pc, "per%(cent)s", "say ""hi"""::text'
                                ' from tests.odd_names where "100%" > 60 order by "100%" desc')
    assert data == [{"id": 2, "pc": 100, "per%(cent)s": "all", 'say "hi"': None}]
