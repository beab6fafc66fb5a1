"""Embedding related rows (`rel(cols)`, rest/builder.py), both directions of a foreign key, checked against SQL."""

from __future__ import annotations

import pytest

from tests.backend.rest_support import assert_error, rest, sql_rows

# The embeds below, computed in SQL once, the way PostgREST nests them.
AUTHOR_OF_BOOK = ("(select json_build_object('name', a.name, 'country', a.country)"
                  " from tests.authors a where a.id = b.author_id)")


def books_of(where: str = "true", order: str = "id", limit: str = "all", columns: str = "id, title, year") -> str:
    return (f"coalesce((select json_agg(x) from (select {columns} from tests.books bb"
            f" where bb.author_id = a.id and {where} order by {order} limit {limit}) x), '[]'::json)")


def test_many_to_one(as_service, db) -> None:
    data = as_service.table("books").select("id,title,authors(name,country)").order("id").execute().data
    assert data == sql_rows(db, f"select b.id, b.title, {AUTHOR_OF_BOOK} as authors from tests.books b order by b.id")
    assert data[0]["authors"] == {"name": "Lu Xun", "country": "CN"}
    assert data[5]["authors"] is None  # the orphan book


def test_one_to_many(as_service, db) -> None:
    data = as_service.table("authors").select("id,name,books(id,title,year)").order("id").execute().data
    for row in data:  # the embedded list has no order of its own: compare as sets
        row["books"].sort(key=lambda b: b["id"])
    assert data == sql_rows(db, f"select a.id, a.name, {books_of()} as books from tests.authors a order by a.id")
    assert data[3]["books"] == []


def test_star_and_embed_with_alias(as_service, db) -> None:
    data = as_service.table("books").select("*,writer:authors(*)").eq("id", 4).execute().data
    expected = sql_rows(db, "select b.*, (select row_to_json(a) from tests.authors a where a.id = b.author_id) as writer"
                            " from tests.books b where b.id = 4")
    assert data == expected
    assert data[0]["writer"]["name"] == "Jorge Luis Borges"


def test_embed_by_foreign_key_name_and_column_name(as_service) -> None:
    by_hint = as_service.table("books").select("id,authors!books_author_id_fkey(name)").eq("id", 1).execute().data
    by_column = as_service.table("books").select("id,author:author_id(name)").eq("id", 1).execute().data
    assert by_hint == [{"id": 1, "authors": {"name": "Lu Xun"}}]
    assert by_column == [{"id": 1, "author": {"name": "Lu Xun"}}]


def test_ambiguous_embed_needs_a_hint(stack, as_service, db) -> None:
    body = assert_error(rest(stack, "GET", "/loans", params={"select": "id,authors(name)"}), 300, "PGRST201")
    assert "loans_lender_id_fkey" in body["details"] and "loans_borrower_id_fkey" in body["details"]
    data = (as_service.table("loans").select("id,lender:authors!loans_lender_id_fkey(name),borrower:authors!loans_borrower_id_fkey(name)")
            .order("id").execute().data)
    assert data == sql_rows(db, "select l.id,"
                                " (select json_build_object('name', a.name) from tests.authors a where a.id = l.lender_id) as lender,"
                                " (select json_build_object('name', a.name) from tests.authors a where a.id = l.borrower_id) as borrower"
                                " from tests.loans l order by l.id")
    # The other direction: one author lends and borrows.
    data = as_service.table("authors").select("id,lent:loans!loans_lender_id_fkey(id)").eq("id", 3).execute().data
    assert data == [{"id": 3, "lent": [{"id": 2}]}]


def test_unknown_relationship_is_400(stack) -> None:
    assert_error(rest(stack, "GET", "/books", params={"select": "id,reviewers(*)"}), 400, "PGRST200")
    assert_error(rest(stack, "GET", "/books", params={"select": "id,authors!no_such_fk(*)"}), 400, "PGRST200")
    assert_error(rest(stack, "GET", "/kv", params={"select": "k,books(*)"}), 400, "PGRST200")
    assert_error(rest(stack, "GET", "/books", params={"select": "id,authors(nope)"}), 400, "42703")


def test_embedded_filter_keeps_every_parent(as_service, db) -> None:
    data = as_service.table("authors").select("id,books(id,title,year)").gt("books.year", 1930).order("id").execute().data
    for row in data:
        row["books"].sort(key=lambda b: b["id"])
    assert data == sql_rows(db, f"select a.id, {books_of('bb.year > 1930')} as books from tests.authors a order by a.id")
    assert [len(r["books"]) for r in data] == [0, 1, 2, 0]


def test_inner_embed_drops_parents_without_a_match(as_service, db) -> None:
    data = (as_service.table("authors").select("id,books!inner(id,title,year)", count="exact")
            .gt("books.year", 1930).order("id").execute())
    assert [r["id"] for r in data.data] == [2, 3]
    assert data.count == 2
    expected = sql_rows(db, "select distinct a.id from tests.authors a join tests.books b on b.author_id = a.id"
                            " where b.year > 1930 order by a.id")
    assert [r["id"] for r in data.data] == [r["id"] for r in expected]
    books = as_service.table("books").select("id,authors!inner(name)").eq("authors.country", "AR").order("id").execute().data
    assert books == [{"id": 4, "authors": {"name": "Jorge Luis Borges"}}, {"id": 5, "authors": {"name": "Jorge Luis Borges"}}]


def test_to_one_filter_without_inner_gives_null(as_service) -> None:
    data = as_service.table("books").select("id,authors(name)").eq("authors.country", "AR").order("id").execute().data
    assert [r["authors"] for r in data] == [None, None, None, {"name": "Jorge Luis Borges"},
                                            {"name": "Jorge Luis Borges"}, None]


def test_embedded_order_and_limit(as_service, db) -> None:
    data = (as_service.table("authors").select("id,books(id,title,year)")
            .order("year", desc=True, foreign_table="books").limit(1, foreign_table="books")
            .order("id").execute().data)
    assert data == sql_rows(db, f"select a.id, {books_of(order='year desc', limit='1')} as books"
                                " from tests.authors a order by a.id")
    assert data[2]["books"] == [{"id": 5, "title": "El Aleph", "year": 1949}]


def test_embedded_range(as_service, db) -> None:
    data = (as_service.table("authors").select("id,books(id)").order("id", foreign_table="books")
            .range(1, 1, foreign_table="books").eq("id", 3).execute().data)
    assert data == [{"id": 3, "books": [{"id": 5}]}]


def test_embedded_or_with_reference_table(as_service, db) -> None:
    data = (as_service.table("authors").select("id,books(id)")
            .or_("year.lt.1924,year.gt.1948", reference_table="books").order("id").execute().data)
    for row in data:
        row["books"].sort(key=lambda b: b["id"])
    assert data == sql_rows(db, f"select a.id, {books_of('(bb.year < 1924 or bb.year > 1948)', columns='id')} as books"
                                " from tests.authors a order by a.id")
    assert data[0]["books"] == [{"id": 1}] and data[2]["books"] == [{"id": 5}]


def test_embedded_filter_by_alias(as_service) -> None:
    data = (as_service.table("authors").select("id,works:books(id)").eq("works.id", 4)
            .order("id").execute().data)
    assert data == [{"id": 1, "works": []}, {"id": 2, "works": []}, {"id": 3, "works": [{"id": 4}]},
                    {"id": 4, "works": []}]


def test_filter_on_embed_existence(stack, db) -> None:
    r = rest(stack, "GET", "/books", params={"select": "id,authors(name)", "authors": "not.is.null", "order": "id"})
    assert [x["id"] for x in r.json()] == [r["id"] for r in sql_rows(
        db, "select id from tests.books where author_id is not null order by id")]
    r = rest(stack, "GET", "/books", params={"select": "id,authors(name)", "authors": "is.null", "order": "id"})
    assert r.json() == [{"id": 6, "authors": None}]
    r = rest(stack, "GET", "/authors", params={"select": "id,books(id)", "books": "is.null", "order": "id"})
    assert r.json() == [{"id": 4, "books": []}]


def test_nested_embed_with_nested_inner(as_service, db) -> None:
    data = as_service.table("authors").select("id,books(id,reviews!inner(stars))").order("id").execute().data
    for row in data:
        row["books"].sort(key=lambda b: b["id"])
        for book in row["books"]:
            book["reviews"].sort(key=lambda r: r["stars"])
    # Books without reviews are dropped from each list; authors stay (the outer embed is not inner).
    assert data == [
        {"id": 1, "books": [{"id": 1, "reviews": [{"stars": 4}, {"stars": 5}]}]},
        {"id": 2, "books": [{"id": 3, "reviews": [{"stars": 5}]}]},
        {"id": 3, "books": [{"id": 4, "reviews": [{"stars": 3}]}]},
        {"id": 4, "books": []},
    ]
    data = (as_service.table("authors").select("id,books!inner(id,reviews!inner(stars))")
            .eq("books.reviews.stars", 3).execute().data)
    assert data == [{"id": 3, "books": [{"id": 4, "reviews": [{"stars": 3}]}]}]
    expected = sql_rows(db, "select distinct a.id from tests.authors a join tests.books b on b.author_id = a.id"
                            " join tests.reviews r on r.book_id = b.id where r.stars = 3")
    assert [r["id"] for r in data] == [r["id"] for r in expected]


def test_embed_through_two_levels_many_to_one(as_service, db) -> None:
    data = as_service.table("reviews").select("stars,books(title,authors(name))").order("id").execute().data
    assert data == sql_rows(db, "select r.stars, (select json_build_object('title', b.title, 'authors',"
                                " (select json_build_object('name', a.name) from tests.authors a where a.id = b.author_id))"
                                " from tests.books b where b.id = r.book_id) as books from tests.reviews r order by r.id")


@pytest.mark.parametrize("select", ["id,authors(", "id,authors)", "id,(name)", "id,authors!(name)x"])
def test_malformed_embeds_are_400(stack, select) -> None:
    assert_error(rest(stack, "GET", "/books", params={"select": select}), 400)
