"""The schema cache (rest/schema_cache.py): reloaded on `NOTIFY pgrst, 'reload schema'`, like PostgREST."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.backend.rest_support import assert_error, rest


def _wait_for_status(stack, path: str, status: int, params: dict, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        r = rest(stack, "GET", path, params=params)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


@pytest.fixture()
def table_name(db):
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    yield name
    db.execute(f"drop table if exists tests.{name}")
    db.execute("notify pgrst, 'reload schema'")


def test_new_table_is_served_after_reload(stack, db, table_name) -> None:
    assert_error(rest(stack, "GET", f"/{table_name}", params={"select": "*"}), 404, "PGRST205")
    db.execute(f"create table tests.{table_name} (id int primary key, label text)")
    db.execute(f"insert into tests.{table_name} values (1, 'one')")
    started = time.monotonic()
    db.execute("notify pgrst, 'reload schema'")
    r = _wait_for_status(stack, f"/{table_name}", 200, {"select": "*"})
    assert r.status_code == 200 and r.json() == [{"id": 1, "label": "one"}]
    assert time.monotonic() - started < 5.0


def test_new_column_and_relationship_after_reload(stack, db, table_name) -> None:
    db.execute(f"create table tests.{table_name} (id int primary key)")
    db.execute(f"insert into tests.{table_name} values (1)")
    db.execute("notify pgrst, 'reload schema'")
    _wait_for_status(stack, f"/{table_name}", 200, {"select": "*"})
    assert_error(rest(stack, "GET", f"/{table_name}", params={"select": "id,book_id"}), 400, "42703")
    db.execute(f"alter table tests.{table_name} add column book_id int references tests.books (id)")
    db.execute(f"update tests.{table_name} set book_id = 4")
    db.execute("notify pgrst, 'reload schema'")
    r = _wait_for_status(stack, f"/{table_name}", 200, {"select": "id,books(title)"})
    assert r.json() == [{"id": 1, "books": {"title": "Ficciones"}}]


def test_dropped_table_is_404_after_reload(stack, db, table_name) -> None:
    db.execute(f"create table tests.{table_name} (id int)")
    db.execute("notify pgrst, 'reload schema'")
    _wait_for_status(stack, f"/{table_name}", 200, {"select": "*"})
    db.execute(f"drop table tests.{table_name}")
    db.execute("notify pgrst, 'reload schema'")
    r = _wait_for_status(stack, f"/{table_name}", 404, {"select": "*"})
    assert_error(r, 404, "PGRST205")


def test_an_empty_notify_also_reloads(stack, db, table_name) -> None:
    db.execute(f"create table tests.{table_name} (id int)")
    db.execute("notify pgrst")
    assert _wait_for_status(stack, f"/{table_name}", 200, {"select": "*"}).status_code == 200


def test_tables_of_other_schemas_never_enter_the_cache(stack, db) -> None:
    db.execute("create schema if not exists private")
    db.execute("create table if not exists private.secrets (id int)")
    try:
        db.execute("notify pgrst, 'reload schema'")
        time.sleep(0.3)
        assert_error(rest(stack, "GET", "/secrets", params={"select": "*"}), 404, "PGRST205")
        assert_error(rest(stack, "GET", "/secrets", profile="private", params={"select": "*"}), 406, "PGRST106")
    finally:
        db.execute("drop table private.secrets")
