"""Every filter operator, negation and logic tree (rest/parser.py, rest/builder.py), checked against the same SQL."""

from __future__ import annotations

import pytest

from tests.backend.rest_support import assert_error, rest, sql_ids

# (name, supabase-py filter, the same condition in SQL on tests.books)
BOOK_FILTERS = [
    ("eq", lambda q: q.eq("year", 1923), "year = 1923"),
    ("eq text", lambda q: q.eq("title", "Love in a Fallen City"), "title = 'Love in a Fallen City'"),
    ("neq", lambda q: q.neq("author_id", 1), "author_id <> 1"),
    ("gt", lambda q: q.gt("year", 1940), "year > 1940"),
    ("gte", lambda q: q.gte("year", 1943), "year >= 1943"),
    ("lt", lambda q: q.lt("price", 12.5), "price < 12.5"),
    ("lte", lambda q: q.lte("price", 12.5), "price <= 12.5"),
    ("like", lambda q: q.like("title", "%a%"), "title like '%a%'"),
    ("like with *", lambda q: q.like("title", "*A*"), "title like '%A%'"),
    ("ilike", lambda q: q.ilike("title", "*a*"), "title ilike '%a%'"),
    ("match", lambda q: q.filter("title", "match", "^[CW]"), "title ~ '^[CW]'"),
    ("imatch", lambda q: q.filter("title", "imatch", "^w|aleph$"), "title ~* '^w|aleph$'"),
    ("is null", lambda q: q.is_("price", None), "price is null"),
    ("not is null", lambda q: q.not_.is_("year", None), "year is not null"),
    ("in", lambda q: q.in_("id", [1, 3, 5]), "id in (1, 3, 5)"),
    ("in text with comma", lambda q: q.in_("title", ["Wandering", "a,b", "El Aleph"]),
     "title in ('Wandering', 'El Aleph')"),
    ("not in", lambda q: q.not_.in_("id", [1, 2]), "id not in (1, 2)"),
    ("cs array", lambda q: q.contains("tags", ["fiction", "stories"]), "tags @> '{fiction,stories}'"),
    ("cd array", lambda q: q.contained_by("tags", ["fiction", "stories", "novella"]),
     "tags <@ '{fiction,stories,novella}'"),
    ("ov array", lambda q: q.overlaps("tags", ["labyrinth", "misc"]), "tags && '{labyrinth,misc}'"),
    ("cs jsonb", lambda q: q.contains("meta", {"lang": "zh"}), "meta @> '{\"lang\": \"zh\"}'"),
    ("cd jsonb", lambda q: q.contained_by("meta", {"lang": "zh", "awards": 0}),
     "meta <@ '{\"lang\": \"zh\", \"awards\": 0}'"),
    ("cs range", lambda q: q.contains("pages", "[100,150)"), "pages @> '[100,150)'::int4range"),
    ("cd range", lambda q: q.contained_by("pages", "[1,190)"), "pages <@ '[1,190)'::int4range"),
    ("ov range", lambda q: q.ov("pages", "[190,210)"), "pages && '[190,210)'::int4range"),
    ("sl", lambda q: q.range_lt("pages", (200, 300)), "pages << '(200,300)'::int4range"),
    ("sr", lambda q: q.range_gt("pages", (0, 5)), "pages >> '(0,5)'::int4range"),
    ("nxr", lambda q: q.range_lte("pages", (0, 190)), "pages &< '(0,190)'::int4range"),
    ("nxl", lambda q: q.range_gte("pages", (5, 30)), "pages &> '(5,30)'::int4range"),
    ("adj", lambda q: q.range_adjacent("pages", (19, 30)), "pages -|- '(19,30)'::int4range"),
    ("fts", lambda q: q.fts("summary", "stories & village"), "summary @@ to_tsquery('stories & village')"),
    ("plfts", lambda q: q.plfts("summary", "short stories"), "summary @@ plainto_tsquery('short stories')"),
    ("phfts", lambda q: q.phfts("summary", "hong kong"), "summary @@ phraseto_tsquery('hong kong')"),
    ("wfts", lambda q: q.wfts("summary", "stories -village"), "summary @@ websearch_to_tsquery('stories -village')"),
    ("fts with config", lambda q: q.text_search("summary", "mirror", {"config": "english"}),
     "summary @@ to_tsquery('english', 'mirror')"),
    ("plfts with config", lambda q: q.text_search("summary", "libraries mirrors", {"type": "plain", "config": "english"}),
     "summary @@ plainto_tsquery('english', 'libraries mirrors')"),
    ("fts on a text column", lambda q: q.text_search("title", "city", {"type": "web_search", "config": "english"}),
     "to_tsvector('english', title) @@ websearch_to_tsquery('english', 'city')"),
    ("like any", lambda q: q.like_any_of("title", "*Arms,*Aleph"), "title like any ('{%Arms,%Aleph}')"),
    ("like all", lambda q: q.like_all_of("title", "*a*,*n*"), "title like all ('{%a%,%n%}')"),
    ("ilike any", lambda q: q.ilike_any_of("title", "call*,*CITY"), "title ilike any ('{call%,%CITY}')"),
    ("ilike all", lambda q: q.ilike_all_of("title", "*A*,*O*"), "title ilike all ('{%A%,%O%}')"),
    ("eq any", lambda q: q.filter("year", "eq(any)", "{1923,1949}"), "year = any ('{1923,1949}')"),
    ("gt all", lambda q: q.filter("year", "gt(all)", "{1925,1940}"), "year > all ('{1925,1940}')"),
    ("isdistinct", lambda q: q.filter("author_id", "isdistinct", "1"), "author_id is distinct from 1"),
    ("json path text", lambda q: q.eq("meta->>lang", "zh"), "meta->>'lang' = 'zh'"),
    ("json path jsonb", lambda q: q.gt("meta->awards", 0), "meta->'awards' > '0'"),
    ("json path is null", lambda q: q.is_("meta->>awards", None), "meta->>'awards' is null"),
    ("not eq", lambda q: q.not_.eq("author_id", 3), "not (author_id = 3)"),
    ("not like", lambda q: q.not_.like("title", "*o*"), "not (title like '%o%')"),
    ("not cs", lambda q: q.not_.contains("tags", ["fiction"]), "not (tags @> '{fiction}')"),
    ("not fts", lambda q: q.not_.fts("summary", "stories"), "not (summary @@ to_tsquery('stories'))"),
    ("two filters are and-ed", lambda q: q.gte("year", 1923).lt("price", 14), "year >= 1923 and price < 14"),
    ("match()", lambda q: q.match({"author_id": 3, "year": 1944}), "author_id = 3 and year = 1944"),
    ("or", lambda q: q.or_("year.lt.1924,price.is.null"), "year < 1924 or price is null"),
    ("or with and", lambda q: q.or_("year.is.null,and(author_id.eq.3,price.gt.14.5)"),
     "year is null or (author_id = 3 and price > 14.5)"),
    ("or with not and a quoted value", lambda q: q.or_('title.eq."Love in a Fallen City",year.not.gte.1924'),
     "title = 'Love in a Fallen City' or not (year >= 1924)"),
    ("or with in and cs", lambda q: q.or_("id.in.(1,2),tags.cs.{misc}"), "id in (1, 2) or tags @> '{misc}'"),
    ("nested and/or", lambda q: q.or_("and(year.gt.1940,or(id.eq.4,id.eq.5)),id.eq.1"),
     "(year > 1940 and (id = 4 or id = 5)) or id = 1"),
    ("not.or", lambda q: q.not_.or_("year.lt.1930,year.is.null"), "not (year < 1930 or year is null)"),
    ("or with arrays holding commas", lambda q: q.or_("tags.ov.{labyrinth,misc},tags.cs.{novella,fiction}"),
     "tags && '{labyrinth,misc}' or tags @> '{novella,fiction}'"),
    ("or on json path", lambda q: q.or_("meta->>lang.eq.es,meta->>lang.eq.en"), "meta->>'lang' in ('es', 'en')"),
    ("or with like any", lambda q: q.or_("title.like(any).{*Arms,*Book},id.eq.3"),
     "title like any ('{%Arms,%Book}') or id = 3"),
]


@pytest.mark.parametrize(("build", "where"), [c[1:] for c in BOOK_FILTERS], ids=[c[0] for c in BOOK_FILTERS])
def test_filter_matches_sql(as_service, db, build, where) -> None:
    expected = sql_ids(db, "books", where)
    assert expected, "the case must select something"
    assert len(expected) < 6, "the case must leave something out"
    got = [r["id"] for r in build(as_service.table("books").select("id")).order("id").execute().data]
    assert got == expected


@pytest.mark.parametrize(("value", "where"), [
    ("is.true", "done is true"), ("is.false", "done is false"), ("is.null", "done is null"),
    ("is.unknown", "done is unknown"), ("not.is.true", "done is not true"), ("eq.true", "done = true"),
    ("is.TRUE", "done is true"), ("not.is.not_null", "done is null"),
])
def test_is_operator(stack, db, value, where) -> None:
    r = rest(stack, "GET", "/tasks", params={"select": "id", "done": value, "order": "id"})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()] == sql_ids(db, "tasks", where)


def test_and_group_and_negated_and(stack, db) -> None:
    r = rest(stack, "GET", "/books", params={"select": "id", "and": "(year.gt.1925,year.lt.1945)", "order": "id"})
    assert [x["id"] for x in r.json()] == sql_ids(db, "books", "year > 1925 and year < 1945")
    r = rest(stack, "GET", "/books", params={"select": "id", "not.and": "(year.gt.1925,year.lt.1945)", "order": "id"})
    assert [x["id"] for x in r.json()] == sql_ids(db, "books", "not (year > 1925 and year < 1945)")


def test_same_column_filtered_twice(stack, db) -> None:
    r = rest(stack, "GET", "/books", params=[("select", "id"), ("year", "gt.1920"), ("year", "lt.1944"), ("order", "id")])
    assert [x["id"] for x in r.json()] == sql_ids(db, "books", "year > 1920 and year < 1944")


def test_filters_apply_to_update_and_delete_too(as_service, db) -> None:
    db.execute("insert into tests.kv (k, v) values ('flt-1', 'a'), ('flt-2', 'b'), ('flt-3', 'c')")
    try:
        changed = as_service.table("kv").update({"v": "z"}).or_("v.eq.a,v.eq.c").like("k", "flt-*").execute().data
        assert sorted(r["k"] for r in changed) == ["flt-1", "flt-3"]
        gone = as_service.table("kv").delete().in_("k", ["flt-2", "flt-3"]).not_.eq("v", "b").execute().data
        assert [r["k"] for r in gone] == ["flt-3"]
        assert db.execute("select k, v from tests.kv where k like 'flt-%' order by k").fetchall() == \
            [("flt-1", "z"), ("flt-2", "b")]
    finally:
        db.execute("delete from tests.kv where k like 'flt-%'")


@pytest.mark.parametrize(("key", "value", "code"), [
    ("year", "eq", "PGRST100"),
    ("year", "nope.1", "PGRST100"),
    ("year", "like(some).x", "PGRST100"),
    ("year", "in.1,2", "PGRST100"),
    ("done", "is.maybe", "PGRST100"),
    ("or", "year.eq.1", "PGRST100"),
    ("or", "(year.eq.1", "PGRST100"),
    ("or", "(year.eq)", "PGRST100"),
    ("or", "(year.eq.1,,id.eq.2)", "PGRST100"),
    ("or", "(not.year.eq.1)", "PGRST100"),
    ("or", "(tags.cs.{a,b)", "PGRST100"),
    ("year", "eq.abc", "22P02"),
    ("pages", "adj.[x,y)", "22P02"),
    ("summary", "fts(no_such_config).x", "42704"),
])
def test_bad_filters_are_400(stack, key, value, code) -> None:
    table = "tasks" if key == "done" else "books"
    assert_error(rest(stack, "GET", f"/{table}", params={"select": "id", key: value}), 400, code)
