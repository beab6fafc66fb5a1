"""Table shapes, grants and policies as Realtime needs them, read from pg_catalog and cached.

Every identifier and every policy expression that reaches SQL comes from here, never
from a subscriber's request. The catalog is read with an empty search_path so
`format_type()` and `pg_get_expr()` qualify every name they print.

The cache is dropped on the capture's `{"kind": "catalog"}` notifications (sent by
the shim's event trigger after table, publication, policy and grant DDL, in commit
order with the changes), on schema reloads, on listener reconnects and after `TTL_S`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool

TTL_S = 30.0

_NO_SEARCH_PATH = "select set_config('search_path', '', true)"

_TABLE = """
select c.oid, n.nspname, c.relname, c.relreplident::text,
  array(select a.attname from pg_index i cross join unnest(i.indkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = c.oid and i.indisprimary order by k.ord),
  array(select a.attname from pg_index i cross join unnest(i.indkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = c.oid and i.indisreplident order by k.ord)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
"""

_COLUMNS = """
select a.attname, t.typname, format_type(a.atttypid, a.atttypmod)
from pg_attribute a join pg_type t on t.oid = a.atttypid
where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""

# Per role, what PostgreSQL's own checks would decide (check_enable_rls, check_role_for_policy).
# A SELECT policy without USING lets nothing through, hence 'false'.
_ACCESS = """
select r.rolname,
  has_schema_privilege(r.oid, c.relnamespace, 'USAGE'),
  r.rolbypassrls or not c.relrowsecurity
    or (pg_has_role(r.oid, c.relowner, 'USAGE') and not c.relforcerowsecurity),
  array(select a.attname from pg_attribute a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
          and has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT') order by a.attnum),
  array(select coalesce(pg_get_expr(p.polqual, p.polrelid), 'false') from pg_policy p
        where p.polrelid = c.oid and p.polpermissive and p.polcmd in ('r', '*')
          and (0::oid = any(p.polroles) or exists (select from unnest(p.polroles) pr where pg_has_role(r.oid, pr, 'USAGE')))
        order by p.polname),
  array(select coalesce(pg_get_expr(p.polqual, p.polrelid), 'false') from pg_policy p
        where p.polrelid = c.oid and not p.polpermissive and p.polcmd in ('r', '*')
          and (0::oid = any(p.polroles) or exists (select from unnest(p.polroles) pr where pg_has_role(r.oid, pr, 'USAGE')))
        order by p.polname)
from pg_class c cross join pg_roles r
where c.oid = %s and r.rolname = any(%s)
"""


@dataclass(frozen=True)
class Column:
    name: str
    typname: str  # pg_type.typname, what upstream reports in `columns[].type`
    sqltype: str  # format_type(), schema-qualified: safe to splice as a cast or column definition


@dataclass
class TableMeta:
    oid: int
    schema: str
    name: str
    columns: list[Column]
    primary_key: tuple[str, ...]
    # Columns of old_record: the replica identity (primary key by default), None = FULL.
    identity: tuple[str, ...] | None
    by_name: dict[str, Column] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.columns}


@dataclass(frozen=True)
class Access:
    """What one role may see of one table."""

    usable: bool  # schema usage and SELECT on the key columns: deliveries are possible at all
    bypass: bool  # RLS does not apply to this role (disabled, BYPASSRLS or owner)
    columns: frozenset[str]  # SELECT-able columns: the only ones sent
    permissive: tuple[str, ...]  # USING expressions of the SELECT policies that apply to the role
    restrictive: tuple[str, ...]

    @property
    def predicate(self) -> str | None:
        """RLS's combination of those policies, (any permissive) and (every restrictive);
        None when no permissive policy applies, so RLS shows the role nothing."""
        if not self.permissive:
            return None
        permissive = " or ".join(f"({q})" for q in self.permissive)
        return "(" + permissive + ")" + "".join(f" and ({q})" for q in self.restrictive)


class Catalog:
    def __init__(self, pool: AsyncConnectionPool, clock=time.monotonic):
        self._pool = pool
        self._clock = clock
        self._tables: dict[tuple[str, str], TableMeta | None] = {}
        self._access: dict[tuple[int, str], Access] = {}
        self._loaded_at = clock()

    def invalidate(self) -> None:
        self._tables.clear()
        self._access.clear()
        self._loaded_at = self._clock()

    def _expire(self) -> None:
        if self._clock() - self._loaded_at > TTL_S:
            self.invalidate()

    async def table(self, schema: str, name: str) -> TableMeta | None:
        """The table (or partitioned table), or None when there is none of that name."""
        self._expire()
        key = (schema, name)
        if key not in self._tables:
            self._tables[key] = await self._load_table(schema, name)
        return self._tables[key]

    def forget(self, schema: str, name: str) -> None:
        """Re-read one table next time (a record carried a column the cache does not know)."""
        self._tables.pop((schema, name), None)

    async def access(self, table: TableMeta, roles: set[str]) -> dict[str, Access]:
        self._expire()
        missing = [r for r in roles if (table.oid, r) not in self._access]
        if missing:
            await self._load_access(table, missing)
        return {r: self._access[(table.oid, r)] for r in roles if (table.oid, r) in self._access}

    async def _load_table(self, schema: str, name: str) -> TableMeta | None:
        async with self._pool.connection() as conn:
            async with conn.transaction():
                await conn.execute(_NO_SEARCH_PATH)
                row = await (await conn.execute(_TABLE, (schema, name))).fetchone()
                if row is None:
                    return None
                oid, nspname, relname, replident, pk, ident = row
                cols = await (await conn.execute(_COLUMNS, (oid,))).fetchall()
        columns = [Column(n, t, s) for n, t, s in cols]
        identity: tuple[str, ...] | None
        if replident == "f":
            identity = None
        elif replident == "i":
            identity = tuple(ident)
        elif replident == "n":
            identity = ()
        else:
            identity = tuple(pk)
        return TableMeta(oid, nspname, relname, columns, tuple(pk), identity)

    async def _load_access(self, table: TableMeta, roles: list[str]) -> None:
        async with self._pool.connection() as conn:
            async with conn.transaction():
                await conn.execute(_NO_SEARCH_PATH)
                rows = await (await conn.execute(_ACCESS, (table.oid, roles))).fetchall()
        for rolname, schema_usage, bypass, columns, permissive, restrictive in rows:
            cols = frozenset(columns)
            usable = bool(schema_usage) and bool(cols) and all(k in cols for k in table.primary_key)
            self._access[(table.oid, rolname)] = Access(usable, bool(bypass), cols, tuple(permissive), tuple(restrictive))
