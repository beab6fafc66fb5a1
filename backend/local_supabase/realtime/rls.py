"""Who may see a change: asked of PostgreSQL as each subscriber, in batches.

Two kinds of check, both run with the subscriber's role and `request.jwt.claims` set
exactly as REST sets them, so PostgreSQL's own RLS and grants decide:

- `exists` (INSERT, UPDATE): upstream's check. The row is selected by primary key as
  the subscriber; visible if it comes back. One statement checks every change of a
  batch on that table for one subscriber identity (`jsonb_to_recordset` of the keys).
- `policy` (DELETE, and the old row of an UPDATE under REPLICA IDENTITY FULL): the
  row is gone, so it cannot be selected. It is rebuilt from the captured old record
  with `jsonb_populate_record(null::<table>, ...)`, aliased as the table, and the
  table's SELECT policies that apply to the role are evaluated on it as RLS would
  combine them: (any permissive) and (every restrictive). The expressions are
  `pg_get_expr()` of `pg_policy.polqual` (catalog.py), never request text.

The checks of a batch go in one pipeline: one read-only transaction, one round trip,
the role and claims switched between statements with transaction-local `set_config`
(a large batch is split over `PARALLEL` connections, so PostgreSQL evaluates the
policies on several cores). If any statement fails, each check is retried alone so
one broken policy does not hide other tables' changes; a failing check shows nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from ..gateway.db import role_settings
from .catalog import Access, TableMeta

log = logging.getLogger("cityloop.realtime")

_TX = ("select set_config('transaction_read_only', 'on', true), "
       "set_config('search_path', 'public, extensions', true)")
_AS = "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)"
_SETTING = ", set_config(%s, %s, true)"
PARALLEL = 2  # connections a large batch of checks is spread over
PARALLEL_FROM = 16  # checks below this go in one round trip
# Names of the helper columns: chosen so they do not clash with a table's own columns.
_I, _R = sql.Identifier("_cityloop_i"), sql.Identifier("_cityloop_r")


@dataclass
class Check:
    kind: Literal["exists", "policy"]
    table: TableMeta
    role: str
    claims_json: str
    access: Access
    # (change index, primary key values) for `exists`; (change index, whole old row) for `policy`.
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _catalog_text(text: str) -> sql.SQL:
    # Catalog text (a type name, a policy expression) may contain `%`, psycopg's placeholder sign.
    return sql.SQL(text.replace("%", "%%"))


def _statement(check: Check) -> sql.Composed:
    table = check.table
    target = sql.Identifier(table.schema, table.name)
    if check.kind == "exists":
        keys = [table.by_name[k] for k in table.primary_key]
        coldefs = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), _catalog_text(c.sqltype)) for c in keys)
        match = sql.SQL(" and ").join(sql.SQL("t.{0} = k.{0}").format(sql.Identifier(c.name)) for c in keys)
        return sql.SQL("select k.{i} from jsonb_to_recordset(%s::jsonb) as k({i} int, {coldefs}) "
                       "where exists (select from {target} as t where {match})").format(
            i=_I, coldefs=coldefs, target=target, match=match)
    predicate = check.access.predicate
    assert predicate is not None, "checks without a permissive policy are decided without asking"
    # Aliased as the table's own name: deparsed policies refer to its columns as `<table>.<column>` in sub-selects.
    return sql.SQL("select k.{i} from jsonb_to_recordset(%s::jsonb) as k({i} int, {r} jsonb) "
                   "cross join lateral jsonb_populate_record(null::{target}, k.{r}) as {alias} "
                   "where {predicate}").format(
        i=_I, r=_R, target=target, alias=sql.Identifier(table.name), predicate=_catalog_text(predicate))


def _argument(check: Check) -> str:
    if check.kind == "exists":
        return json.dumps([{"_cityloop_i": i, **keys} for i, keys in check.items])
    return json.dumps([{"_cityloop_i": i, "_cityloop_r": row} for i, row in check.items])


async def _run(pool: AsyncConnectionPool, checks: list[Check]) -> list[set[int]]:
    cursors = []
    # The subscribers of a group share one list of changes (fanout.py): encode each list once.
    arguments: dict[int, str] = {}
    statements: dict[tuple[str, int, str | None], sql.Composed] = {}
    async with pool.connection() as conn:
        async with conn.pipeline():
            await conn.execute(_TX)
            current: tuple[str, str] | None = None
            for check in checks:
                who = (check.role, check.claims_json)
                if who != current:
                    # The role's own settings (its statement_timeout) hold here too, as in every REST request.
                    own = role_settings(pool, check.role)
                    await conn.execute(_AS + _SETTING * len(own), (*who, *(x for kv in own for x in kv)))
                    current = who
                key = id(check.items)
                if key not in arguments:
                    arguments[key] = _argument(check)
                skey = (check.kind, check.table.oid, check.access.predicate if check.kind == "policy" else None)
                if skey not in statements:
                    statements[skey] = _statement(check)
                cursors.append(await conn.execute(statements[skey], (arguments[key],)))
        return [{row[0] for row in await cur.fetchall()} for cur in cursors]


async def _run_or_split(pool: AsyncConnectionPool, checks: list[Check]) -> list[set[int]]:
    try:
        return await _run(pool, checks)
    except psycopg.Error as exc:
        if len(checks) == 1:
            log.warning("visibility check on %s.%s failed: %s", checks[0].table.schema, checks[0].table.name, exc)
            return [set()]
        return [(await _run_or_split(pool, [c]))[0] for c in checks]


async def run_checks(pool: AsyncConnectionPool, checks: list[Check]) -> list[set[int]]:
    """For each check, the change indexes the subscriber may see.

    Many checks are split over `PARALLEL` connections: PostgreSQL then evaluates the
    policies on several cores while this process waits."""
    if not checks:
        return []
    order = sorted(range(len(checks)), key=lambda n: (checks[n].role, checks[n].claims_json))
    parts = PARALLEL if len(checks) >= PARALLEL_FROM else 1
    size = -(-len(order) // parts)
    chunks = [order[i:i + size] for i in range(0, len(order), size)]
    answers = await asyncio.gather(*(_run_or_split(pool, [checks[n] for n in chunk]) for chunk in chunks))
    out: list[set[int]] = [set()] * len(checks)
    for chunk, results in zip(chunks, answers):
        for n, result in zip(chunk, results):
            out[n] = result
    return out
