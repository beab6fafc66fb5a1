"""The REST planner (backend/local_supabase/rest/plan.py, plan_tree.py) against a schema cache built in memory: no database."""

from __future__ import annotations

import pytest

from backend.local_supabase.rest import parser as p
from backend.local_supabase.rest import plan as pl
from backend.local_supabase.rest import plan_tree as tree
from backend.local_supabase.rest.builder import Builder
from backend.local_supabase.rest.errors import ApiError
from backend.local_supabase.rest.request import EmbedParams, QueryParams
from backend.local_supabase.rest.schema_cache import Column, ForeignKey, Function, Param, SchemaCache, Table


def _table(name: str, *columns: tuple[str, str], pk: tuple[str, ...] = ("id",)) -> Table:
    cols = {c: Column(c, t, True, False, i) for i, (c, t) in enumerate(columns, 1)}
    return Table("tests", name, "r", cols, pk, [pk])


def _cache() -> SchemaCache:
    authors = _table("authors", ("id", "integer"), ("name", "text"))
    books = _table("books", ("id", "integer"), ("title", "text"), ("year", "integer"), ("meta", "jsonb"),
                   ("author_id", "integer"), ("editor_id", "integer"))
    covers = _table("covers", ("book_id", "integer"), ("url", "text"), pk=("book_id",))
    fks = [
        ForeignKey("books_author_id_fkey", books.qualified, ("author_id",), authors.qualified, ("id",)),
        ForeignKey("books_editor_id_fkey", books.qualified, ("editor_id",), authors.qualified, ("id",)),
        ForeignKey("covers_book_id_fkey", covers.qualified, ("book_id",), books.qualified, ("id",)),
    ]
    add = Function("tests", "add", (Param("a", "integer", False, False), Param("b", "integer", False, False)),
                   "integer", False, False, "i", None)
    tables = {t.qualified: t for t in (authors, books, covers)}
    return SchemaCache(("tests",), tables, fks, {("tests", "add"): [add]}, frozenset({"text", "integer"}))


CACHE = _cache()
BOOKS = CACHE.tables[("tests", "books")]


def plan(select: str | None = None, **params) -> tree.ReadPlan:
    q = QueryParams(select=p.parse_select(select))
    for key, value in params.items():
        q.filters.append(p.parse_condition(key, value))
    return pl.Planner(CACHE).read(BOOKS, q)


def refused(fn, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        fn(*args, **kwargs)
    return err.value


def test_an_ambiguous_embed_is_pgrst201_naming_both_keys() -> None:
    err = refused(plan, "id,authors(name)")
    assert (err.status, err.code) == (300, "PGRST201")
    assert "books_author_id_fkey" in err.details and "books_editor_id_fkey" in err.details
    assert "authors!books_author_id_fkey" in err.hint


def test_a_hint_or_the_column_name_resolves_the_embed_with_its_join_columns() -> None:
    for select in ("authors!author_id(name)", "author_id(name)", "authors!books_author_id_fkey(name)"):
        (embed,) = [s for s in plan(f"id,{select}").root.select if isinstance(s, tree.Embed)]
        assert embed.join.fk.name == "books_author_id_fkey" and embed.join.to_one
        assert embed.join.pairs == (("id", "author_id"),)  # authors.id = books.author_id
        assert embed.node.table.name == "authors"


def test_one_to_many_is_an_array_unless_the_child_key_is_unique() -> None:
    root = pl.Planner(CACHE).read(CACHE.tables[("tests", "authors")],
                                  QueryParams(select=p.parse_select("id,books!author_id(id)"))).root
    assert not root.select[1].join.to_one
    (cover,) = plan("id,covers(url)").root.select[1:]
    assert cover.join.to_one  # covers.book_id is covers' primary key


def test_unknown_relation_is_pgrst200() -> None:
    err = refused(plan, "id,publishers(name)")
    assert (err.status, err.code) == (400, "PGRST200") and "'books' and 'publishers'" in err.message


@pytest.mark.parametrize(("select", "filters", "code"), [
    ("nope", {}, "42703"),
    ("id", {"nope": "eq.1"}, "42703"),
    ("id,authors!author_id(nope)", {}, "42703"),
    ("title->>x", {}, "22023"),
    ("id::nosuchtype", {}, "42704"),
    ("id", {"year": "is.maybe"}, "PGRST100"),
    ("id", {"year": "in.1,2"}, "PGRST100"),
    ("id", {"title": "eq.a\u0000b"}, "22021"),
])
def test_bad_names_and_values_get_postgrest_codes(select, filters, code) -> None:
    assert refused(plan, select, **filters).code == code


def test_column_error_names_the_table_and_column() -> None:
    err = refused(plan, "id", year="eq.1", nope="eq.1")
    assert (err.status, err.message) == (400, "column books.nope does not exist")


def test_the_first_mistake_in_reading_order_answers() -> None:
    # The select list (with its embeds) is resolved before the filters, as the SQL reads them.
    assert refused(plan, "id,publishers(x)", nope="eq.1").code == "PGRST200"


def test_filters_carry_the_column_type_and_bound_operands() -> None:
    root = plan("id", year="in.(1,2)", title="like.a*", meta="not.is.null").root
    year, title, meta = root.where
    assert (year.type, year.operand) == ("integer[]", ["1", "2"])
    assert (title.type, title.operand) == ("text", "a%")
    assert (meta.operand, meta.negated) == ("NULL", True)  # NOT (meta IS NULL)


def test_embed_filters_order_and_paging_stay_with_their_level() -> None:
    q = QueryParams(select=p.parse_select("id,covers!inner(url)"), limit=5,
                    embeds={"covers": EmbedParams(filters=[p.parse_condition("url", "eq.x")], existence=[True])})
    root = pl.Planner(CACHE).read(BOOKS, q, max_rows=3).root
    assert root.limit == 3
    inner, exists = root.where
    assert isinstance(inner, tree.Exists) and inner.wanted and exists.wanted
    assert inner.embed.node.where[0].field.column.name == "url"


def test_writes_check_their_columns() -> None:
    planner = pl.Planner(CACHE)
    err = refused(planner.insert, BOOKS, [{"id": 1, "colour": "red"}], columns_param=None, missing_default=False,
                  on_conflict=None, resolution=None, returning=None)
    assert (err.code, err.message) == ("PGRST204", "Could not find the 'colour' column of 'books' in the schema cache")
    assert refused(planner.update, BOOKS, {"nope": 1}, QueryParams(select=[]), None).code == "PGRST204"
    assert planner.update(BOOKS, {}, QueryParams(select=[]), None) is None
    assert refused(planner.table, "tests", "nope").code == "PGRST205"


def test_functions_are_chosen_by_argument_names() -> None:
    planner = pl.Planner(CACHE)
    assert refused(planner.function, "tests", "add", {"a"}).code == "PGRST202"
    fn = planner.function("tests", "add", {"a", "b"})
    rpc = planner.rpc(fn, {"a": 1, "b": 2}, QueryParams(select=[p.SelectStar()]), from_query=False, count=False,
                      single=False, strip_nulls=False)
    assert (rpc.shape, rpc.arguments) == ("scalar", [("a", "integer", "1"), ("b", "integer", "2")])


def test_the_builder_only_renders_identifiers_from_the_plan_and_binds_values() -> None:
    b = Builder()
    sql = b.read(plan("id,t:title", title="eq.x'); drop table books; --"), Builder.qualified(BOOKS))
    assert "drop table" not in sql and '"t0"."title" AS "t"' in sql
    assert list(b.params.values()) == ["x'); drop table books; --"]
