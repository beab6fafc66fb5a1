"""The engine of the RLS matrices: one table's line of data, and one cell (table x caller x operation) run.

A line (`Table`) says who may select, insert, update and delete, which row is the target
(a superuser query whose columns are the row's key), what an update sends and what a new
row looks like. A cell runs one operation through supabase-py as one caller and checks the
outcome in SQL as the superuser:
  * allowed: it took effect (the row is seen, made, changed or gone); what it changed is put back;
  * denied: the answer is empty or a privilege error (SQLSTATE 42501, nothing else), and the
    row snapshot before and after is the same.
A denied write aimed at a key that matches no row would pass whatever the grants are, so
every cell first checks that its target row exists, and the new rows are valid: any error
other than 42501 fails the cell.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

import psycopg
import pytest
from postgrest.exceptions import APIError
from psycopg import sql

# The callers, by the names the matrices use.
ACTORS = ("anon", "citizen_a", "citizen_b", "worker_1", "worker_2", "staff", "supervisor", "service")
ALL = frozenset(ACTORS)
SVC = frozenset({"service"})
NOBODY: frozenset[str] = frozenset()
OPS = ("select", "insert", "update", "delete")
MARK = "rls-matrix"


def who(*names: str) -> frozenset[str]:
    """These callers and the service role (which bypasses RLS)."""
    return frozenset(names) | SVC


# What a `new` row builder receives: the world's names (ids of the callers and of the rows
# the world made), plus `me` (the caller's id; anon and the service role write for citizen B)
# and `mark` (unique per call).
Names = SimpleNamespace
Filters = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """One table's line of a matrix."""

    name: str
    target: str  # superuser SQL (world names as %(name)s) selecting, or inserting and returning, the target row
    select: frozenset[str]
    insert: frozenset[str]
    update: frozenset[str]
    delete: frozenset[str]
    change: Filters  # what an update sends: a harmless column of the target row
    new: Callable[[Names], Filters]  # a valid new row as the caller sends it
    ident: tuple[str, ...] = ()  # columns that find a new row (default: its scalar columns)
    why: str = ""

    def allows(self, op: str, actor: str) -> bool:
        return actor in getattr(self, op)


def cells(tables: list[Table], actors: tuple[str, ...] = ACTORS, ops: tuple[str, ...] = OPS) -> list:
    """pytest parameters, one per (table, actor, op), with ids like `bills-update-citizen_b-deny`."""
    return [pytest.param(t, a, op, id=f"{t.name}-{op}-{a}-{'allow' if t.allows(op, a) else 'deny'}")
            for t in tables for op in ops for a in actors]


@dataclass
class Targets:
    """A world's names and the target row of each line, found (or made) once per world."""

    db: psycopg.Connection
    names: dict[str, Any]
    _keys: dict[str, Filters] = field(default_factory=dict)

    def key(self, table: Table) -> Filters:
        if table.name not in self._keys:
            cur = self.db.execute(table.target, self.names)
            found = cur.fetchall()
            assert len(found) == 1 and None not in found[0], f"{table.name}: the target query found {found}"
            self._keys[table.name] = {col.name: _text(v) for col, v in zip(cur.description, found[0])}
        return self._keys[table.name]


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


# -- SQL helpers (superuser) ------------------------------------------------------------------

def where(filters: Filters) -> sql.Composable:
    return sql.SQL(" and ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(str(v)))
                                 for k, v in filters.items())


def rows(db: psycopg.Connection, table: str, filters: Filters) -> list[dict]:
    q = sql.SQL("select to_jsonb(t) from public.{} t where {} order by 1").format(sql.Identifier(table),
                                                                                  where(filters))
    return [r[0] for r in db.execute(q).fetchall()]


# Tables the per-case rollup (private.case_rollups, migration 1400) is kept from, with the column that
# names the case. Clean-up without triggers must keep it itself, as the triggers would have.
CASE_TABLES = {"reports": "id", "case_events": "report_id", "tasks": "report_id"}


def _cases_of(db: psycopg.Connection, table: str, filters: Filters) -> list[str]:
    if table not in CASE_TABLES:
        return []
    q = sql.SQL("select distinct {}::text from public.{} where {}").format(
        sql.Identifier(CASE_TABLES[table]), sql.Identifier(table), where(filters))
    return [r[0] for r in db.execute(q).fetchall()]


def _refresh_rollups(db: psycopg.Connection, cases: list[str]) -> None:
    for case in cases:
        db.execute("select private.refresh_case_rollup(%s::uuid)", (case,))


def remove_rows(db: psycopg.Connection, table: str, filters: Filters) -> None:
    """Delete without triggers (append-only timelines, cascades): test clean-up only."""
    with db.transaction():
        cases = _cases_of(db, table, filters)
        db.execute("set local session_replication_role = replica")
        if table == "reports":  # what filing made, which the (disabled) cascade would have removed
            for child in ("case_events", "tasks", "notifications", "ratings", "report_followers"):
                db.execute(sql.SQL("delete from public.{} where report_id in (select id from public.reports where {})")
                           .format(sql.Identifier(child), where(filters)))
        db.execute(sql.SQL("delete from public.{} where {}").format(sql.Identifier(table), where(filters)))
        db.execute("set local session_replication_role = origin")
        _refresh_rollups(db, cases)


def put_back(db: psycopg.Connection, table: str, saved: list[dict]) -> None:
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        for row in saved:
            db.execute(sql.SQL("insert into public.{t} overriding system value"
                               " select * from jsonb_populate_record(null::public.{t}, %s::jsonb)")
                       .format(t=sql.Identifier(table)), (psycopg.types.json.Jsonb(row),))
        db.execute("set local session_replication_role = origin")
        _refresh_rollups(db, sorted({row[CASE_TABLES[table]] for row in saved} if table in CASE_TABLES else ()))


def restore_columns(db: psycopg.Connection, table: str, filters: Filters, row: dict, cols: list[str]) -> None:
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        db.execute(sql.SQL("update public.{t} set ({c}) = (select {c} from jsonb_populate_record(null::public.{t},"
                           " %s::jsonb)) where {w}").format(
            t=sql.Identifier(table), c=sql.SQL(", ").join(map(sql.Identifier, cols)), w=where(filters)),
            (psycopg.types.json.Jsonb(row),))
        db.execute("set local session_replication_role = origin")
        _refresh_rollups(db, _cases_of(db, table, filters))


def attempt(call: Callable[[], Any]) -> list | None:
    """The rows a REST call answered, or None when it was refused for lack of privilege (42501).

    Any other error (a bad row, a constraint, a bad filter value) fails the cell: a denial
    must come from the grants or the policies.
    """
    try:
        return call().data
    except APIError as err:
        assert err.code == "42501", f"refused for another reason than privilege: {err.code} {err.message}"
        return None


# -- one cell ---------------------------------------------------------------------------------

def check_cell(db: psycopg.Connection, client: Any, table: Table, targets: Targets, me: str,
               op: str, allowed: bool) -> None:
    """Run `op` on `table` through `client` (whose user id is `me`) and check the outcome in SQL."""
    key = targets.key(table)
    before = rows(db, table.name, key)
    assert len(before) == 1, f"target row of {table.name} missing: {key}"
    rest = lambda: client.table(table.name)  # noqa: E731

    if op == "select":
        got = attempt(lambda: rest().select("*").match(key).execute())
        assert bool(got) == allowed, f"{'cannot' if allowed else 'can'} read {table.name} {key}: {got}"
        return

    if op == "update":
        _check_update(db, rest, table, key, before, allowed)
        return

    if op == "insert" or (op == "delete" and allowed and not _is_owner_delete(table)):
        _check_insert_or_scratch_delete(db, rest, table, targets.names, me, op, allowed)
        return

    assert op == "delete"
    got = attempt(lambda: rest().delete().match(key).execute())
    after = rows(db, table.name, key)
    if allowed:  # callers besides the service role may delete: the target row goes, then comes back
        # (put back as it was; rows a cascade removed with it would not be: give such tables scratch targets)
        try:
            assert got and after == [], f"could not delete {table.name} {key}"
        finally:
            if after == []:
                put_back(db, table.name, before)
        return
    assert not got, f"deleted {table.name} {key}: {got}"
    assert after == before, f"deleted {table.name} {key}"


def _is_owner_delete(table: Table) -> bool:
    """Whether callers other than the service role may delete: then the cell deletes the target row."""
    return bool(table.delete - SVC)


def _check_update(db, rest, table: Table, key: Filters, before: list[dict], allowed: bool) -> None:
    change = table.change
    got = attempt(lambda: rest().update(change).match(key).execute())
    after = rows(db, table.name, key)
    try:
        if allowed:
            assert got, f"could not update {table.name}"
            assert all(after[0][c] == v or str(after[0][c]).startswith(str(v)[:10]) for c, v in change.items())
        else:
            assert not got, f"updated {table.name} {key}: {got}"
            assert after == before, f"changed {table.name} {key}"
    finally:
        if after != before:
            touched = [c for c in ("updated_at", "since") if c in before[0]]
            restore_columns(db, table.name, key, before[0], list(change) + touched)


def _check_insert_or_scratch_delete(db, rest, table: Table, names: dict[str, Any], me: str, op: str,
                                    allowed: bool) -> None:
    """Insert a new row; for the service role's delete, insert one and delete that scratch row."""
    row = table.new(Names(**names, me=me, mark=f"{MARK}-{uuid.uuid4().hex[:8]}"))
    ident = {c: row[c] for c in table.ident} if table.ident else {
        c: v for c, v in row.items() if isinstance(v, (str, int, float, bool))}
    saved = rows(db, table.name, ident)
    if saved:
        remove_rows(db, table.name, ident)
    try:
        got = attempt(lambda: rest().insert(row).execute())
        made = rows(db, table.name, ident)
        if op == "insert":
            if allowed:
                assert got and len(made) == 1, f"could not insert into {table.name}"
            else:
                assert not got and made == [], f"inserted into {table.name}: {got}"
        else:
            assert len(made) == 1, f"could not make a scratch {table.name} row"
            gone = attempt(lambda: rest().delete().match(ident).execute())
            assert gone and rows(db, table.name, ident) == [], f"could not delete from {table.name}"
    finally:
        remove_rows(db, table.name, ident)
        put_back(db, table.name, saved)
