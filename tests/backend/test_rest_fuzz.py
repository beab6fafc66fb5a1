"""Property-based fuzzing of the REST query language (rest/parser.py, rest/request.py, rest/builder.py).

Whatever the query string, headers or body: never a 5xx, errors always in
PostgREST's shape without internals (a raw SQL syntax error would mean request
text reached SQL), and the data of the `tests` schema is unchanged afterwards.
Writes are fuzzed under guards that can never match (`id=eq.-1`) or that force a
rollback (two rows asked for as one object), so any change would be a bug.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.rest_support import ERROR_KEYS, LEAKS, checksum

# CI runs a fixed sequence of examples; set CITYLOOP_FUZZ_EXAMPLES for a longer, random hunt.
_HUNT = os.environ.get("CITYLOOP_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_HUNT or 250), deadline=None, derandomize=not _HUNT, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

COLUMNS = ["id", "title", "year", "tags", "meta", "price", "pages", "summary", "author_id",
           "meta->>lang", "meta->awards", "meta->0", '"title"', "nope", "authors.name", "books.year"]
OPERATORS = ("eq neq gt gte lt lte like ilike match imatch is in cs cd ov sl sr nxr nxl adj fts plfts phfts "
             "wfts isdistinct like(any) ilike(all) eq(any) fts(english) fts(simple) not.eq not.in not.is").split()
INJECTIONS = [
    "id; drop table tests.books", "1); drop table tests.kv; --", "' or '1'='1", "\" or \"\"=\"", "1 or 1=1",
    "$$; delete from tests.kv; $$", "%", "%s", "%(p0)s", "%%", "100%", "*/ select pg_sleep(5) /*", "(select 1)", "pg_catalog.pg_sleep(1)",
    "title) union select usename from pg_user --", "\\x00", "%00", "%27", "null", "NULL", "true", "{}", "{,}",
    "()", "(,)", "[1,2)", "->", "->>", "::", "::text", "!inner", "...", "*", "**", "\u0000", "\ud7ff", "城市",
    "😀", "\u202e", "a" * 3000, "(" * 300, ")" * 300, "{" * 200, ",," * 500, "." * 1000,
    "not." * 300 + "eq.1", "and(" * 60 + "id.eq.1" + ")" * 60, "meta" + "->a" * 500, "authors(" * 60 + ")" * 60,
]
PIECES = st.sampled_from(list("abz_.,:()!\"'\\*-> ;{}[]%&=+|@#019é城😀\x00\t\n") +
                         ["null", "not.", "eq.", "in.", "is.", "and(", "or(", "->>", "::", "!inner", "desc",
                          "nullslast", "authors", "books", "reviews"])
NASTY = st.one_of(st.lists(PIECES, max_size=24).map("".join), st.sampled_from(INJECTIONS),
                  st.text(max_size=30))
NAME = st.one_of(st.sampled_from(COLUMNS), NASTY)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=f"{stack.url}/rest/v1", timeout=30,
                      headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}",
                               "Accept-Profile": "tests", "Content-Profile": "tests"}) as client:
        yield client


@pytest.fixture(scope="module", autouse=True)
def data_unchanged(db):
    before = checksum(db)
    yield
    assert checksum(db) == before


def check(r: httpx.Response, *inputs: object) -> None:
    """No 5xx; errors in PostgREST's shape; no internal text unless the request itself carried it."""
    sent = json.dumps(inputs, ensure_ascii=False) + str(r.request.url)
    assert r.status_code < 500, (r.status_code, r.text[:500], inputs)
    if r.request.method == "HEAD":
        assert r.content == b""
    elif r.status_code >= 400:
        body = r.json()
        assert set(body) == ERROR_KEYS, body
        assert isinstance(body["code"], str) and isinstance(body["message"], str), body
        for leak in LEAKS:
            assert leak not in r.text or leak in sent, (leak, r.text[:500], inputs)
    elif r.status_code != 204 and "csv" not in r.headers["content-type"]:
        json.loads(r.content)  # a JSON answer, whatever it is


def select_item() -> st.SearchStrategy[str]:
    column = st.tuples(st.one_of(st.none(), NASTY), NAME, st.one_of(st.none(), st.sampled_from(
        ["text", "int", "jsonb", "nosuchtype", "text[]", "int4range", "regclass", "pg_catalog.text"]), NASTY))
    plain = column.map(lambda t: (f"{t[0]}:" if t[0] else "") + t[1] + (f"::{t[2]}" if t[2] else ""))
    embed = st.tuples(st.sampled_from(["authors", "books", "reviews", "loans", "nope", "author_id"]),
                      st.sampled_from(["", "!inner", "!left", "!books_author_id_fkey", "!nope"]),
                      st.lists(NAME, max_size=3)).map(lambda t: f"{t[0]}{t[1]}({','.join(t[2])})")
    return st.one_of(plain, embed, st.just("*"), NASTY)


def _routable(name: str) -> bool:
    """Names that reach the table route (what Starlette cannot route is test_rest_routes.py's business)."""
    return bool(name.strip(".")) and not any(c in name for c in "/\r\n")


@FUZZ
@given(items=st.lists(select_item(), min_size=1, max_size=4), table=st.one_of(
    st.sampled_from(["books", "authors", "notes", "book_titles", "kv"]), NASTY.filter(_routable)))
def test_select_lists(http, items, table) -> None:
    select = ",".join(items)
    r = http.get(f"/{quote(table, safe='')}", params={"select": select})
    check(r, select, table)


VALID_COLUMNS = ["id", "title", "year", "tags", "meta", "price", "pages", "meta->>lang", "meta->awards"]


@FUZZ
@given(aliases=st.lists(st.tuples(NASTY, st.sampled_from(VALID_COLUMNS), st.booleans()), min_size=1, max_size=3),
       embed_alias=st.one_of(st.none(), NASTY))
def test_aliases(http, aliases, embed_alias) -> None:
    """Valid columns under any alias: the alias is a name, whatever its characters."""
    items = [f"{alias}:{column}{'::text' if cast else ''}" for alias, column, cast in aliases]
    if embed_alias is not None:
        items.append(f"{embed_alias}:authors(name)")
    select = ",".join(items)
    check(http.get("/books", params={"select": select, "id": "eq.1"}), select)


@FUZZ
@given(key=NAME, op=st.sampled_from(OPERATORS), value=NASTY, raw=st.booleans())
def test_filters(http, key, op, value, raw) -> None:
    params = {"select": "id,authors(name)", key: value if raw else f"{op}.{value}"}
    check(http.get("/books", params=params), params)


def logic_tree(depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.tuples(NAME, st.sampled_from(OPERATORS), NASTY).map(lambda t: f"{t[0]}.{t[1]}.{t[2]}")
    if depth == 0:
        return st.one_of(leaf, NASTY)
    return st.one_of(leaf, NASTY, st.tuples(st.sampled_from(["and", "or", "not.and", "not.or"]),
                                            st.lists(logic_tree(depth - 1), max_size=3))
                     .map(lambda t: f"{t[0]}({','.join(t[1])})"))


@FUZZ
@given(key=st.sampled_from(["or", "and", "not.or", "not.and", "books.or", "authors.and"]),
       items=st.lists(logic_tree(), max_size=4), wrap=st.booleans())
def test_logic_trees(http, key, items, wrap) -> None:
    value = ",".join(items)
    params = {"select": "id,books(id)", key: f"({value})" if wrap else value}
    check(http.get("/authors", params=params), params)


@FUZZ
@given(terms=st.lists(st.tuples(NAME, st.lists(st.one_of(
    st.sampled_from(["asc", "desc", "nullsfirst", "nullslast"]), NASTY), max_size=3)), min_size=1, max_size=3),
    embedded=st.booleans(), limit=st.one_of(st.none(), NASTY, st.integers(-5, 10**20).map(str)),
    offset=st.one_of(st.none(), NASTY, st.integers(-5, 10**20).map(str)))
def test_order_and_paging(http, terms, embedded, limit, offset) -> None:
    order = ",".join(".".join([name, *mods]) for name, mods in terms)
    params = {"select": "id,books(id,year)", "books.order" if embedded else "order": order}
    if limit is not None:
        params["books.limit" if embedded else "limit"] = limit
    if offset is not None:
        params["offset"] = offset
    check(http.get("/authors", params=params), params)


@FUZZ
@given(embed=st.sampled_from(["books", "works:books", "books!inner", "reviews", "authors", "loans!inner"]),
       inner=st.lists(NAME, max_size=3), key=NAME, value=NASTY, extra=st.sampled_from(["", "order", "limit", "or"]))
def test_embeds(http, embed, inner, key, value, extra) -> None:
    alias = embed.split(":")[0].split("!")[0]
    params = {"select": f"id,{embed}({','.join(inner) or '*'})", f"{alias}.{extra or key}": value}
    check(http.get("/authors", params=params), params)


@FUZZ
@given(key=NAME, value=NASTY, title=NASTY, body_key=NAME)
def test_guarded_update_and_delete(http, key, value, title, body_key) -> None:
    """Filters that are AND-ed with `id=eq.-1` never match: whatever else happens, nothing changes."""
    params = [("id", "eq.-1"), (key, value)]
    check(http.patch("/books", params=params, content=json.dumps({"title": title, body_key: value}),
                     headers={"Content-Type": "application/json", "Prefer": "return=representation"}),
          params, title, body_key)
    check(http.delete("/books", params=params, headers={"Prefer": "return=minimal"}), params)


@FUZZ
@given(rows=st.lists(st.dictionaries(NAME, st.one_of(NASTY, st.integers(), st.none(), st.lists(NASTY, max_size=2)),
                                     max_size=3), min_size=2, max_size=3),
       columns=st.one_of(st.none(), st.lists(NAME, max_size=3).map(",".join)),
       on_conflict=st.one_of(st.none(), NAME), prefer=st.sampled_from(
           ["", "resolution=merge-duplicates", "resolution=ignore-duplicates", "missing=default"]))
def test_inserts_that_must_roll_back(http, rows, columns, on_conflict, prefer) -> None:
    """Two or more rows asked for as one object: a 406 after the insert, which rolls it back."""
    rows = [dict(r, k=f"fuzz-{i}") if "k" not in r else r for i, r in enumerate(rows)]
    params = {k: v for k, v in (("columns", columns), ("on_conflict", on_conflict)) if v is not None}
    r = http.post("/kv", params=params, content=json.dumps(rows),
                  headers={"Content-Type": "application/json", "Accept": "application/vnd.pgrst.object+json",
                           "Prefer": ",".join(p for p in ("return=representation", prefer) if p)})
    check(r, rows, params)
    assert r.status_code != 201, r.text


@FUZZ
@given(fn=st.sampled_from(["add", "echo_json", "books_after", "year_list", "whoami", "fail", "nope"]),
       args=st.dictionaries(st.one_of(st.sampled_from(["a", "b", "y", "payload", "msg"]), NASTY),
                            st.one_of(NASTY, st.integers(-10**20, 10**20), st.none(), st.booleans(),
                                      st.lists(st.integers(), max_size=3), st.dictionaries(NASTY, NASTY, max_size=2)),
                            max_size=3),
       get=st.booleans(), select=st.one_of(st.none(), st.lists(select_item(), max_size=2).map(",".join)))
def test_rpc_arguments(http, fn, args, get, select) -> None:
    params = {"select": select} if select else {}
    if get:
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in args.items()}
        r = http.get(f"/rpc/{fn}", params={**query, **params})
    else:
        r = http.post(f"/rpc/{fn}", params=params, content=json.dumps(args), headers={"Content-Type": "application/json"})
    check(r, fn, args, select)


@FUZZ
@given(prefer=HEADER_TEXT, range_=HEADER_TEXT, accept=st.one_of(HEADER_TEXT, st.sampled_from(
    ["application/vnd.pgrst.object+json", "text/csv", "application/json;nulls=stripped", "*/*", "text/html"])),
    profile=st.one_of(st.none(), HEADER_TEXT, st.sampled_from(["tests", "public", "auth", "pg_catalog"])))
def test_headers(http, prefer, range_, accept, profile) -> None:
    headers = {"Prefer": prefer, "Range": range_, "Accept": accept}
    if profile is not None:
        headers["Accept-Profile"] = profile
    check(http.get("/books", params={"select": "id,title"}, headers=headers), headers)
    check(http.head("/books", params={"select": "id"}, headers=headers), headers)
