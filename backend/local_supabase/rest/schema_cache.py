"""The schema cache: every identifier a request may name, read from pg_catalog.

Request text never becomes SQL. Table, column, function and relationship names
are looked up here and quoted from the catalog's own spelling; anything not
found is a 4xx in PostgREST's shape. Reloaded on `NOTIFY pgrst, 'reload schema'`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(), safe to splice as a cast target: it comes from the catalog
    nullable: bool
    has_default: bool
    position: int


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: tuple[str, str]
    columns: tuple[str, ...]
    ref_table: tuple[str, str]
    ref_columns: tuple[str, ...]


@dataclass
class Table:
    schema: str
    name: str
    kind: str  # r table, v view, m materialized view, f foreign, p partitioned
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    unique_keys: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def qualified(self) -> tuple[str, str]:
        return (self.schema, self.name)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    has_default: bool
    variadic: bool


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    params: tuple[Param, ...]
    return_type: str
    returns_set: bool
    returns_composite: bool  # a row type (table or composite): filterable like a table
    volatility: str  # i, s, v
    return_table: tuple[str, str] | None
    out_columns: tuple[tuple[str, str], ...] = ()  # OUT / TABLE parameters: the result's columns

    def accepts(self, names: set[str]) -> bool:
        """PostgREST picks the overload whose named params match the given keys."""
        required = {p.name for p in self.params if not p.has_default}
        known = {p.name for p in self.params}
        return required <= names <= known


@dataclass
class SchemaCache:
    schemas: tuple[str, ...]
    tables: dict[tuple[str, str], Table]
    foreign_keys: list[ForeignKey]
    functions: dict[tuple[str, str], list[Function]]
    types: frozenset[str] = frozenset()  # names allowed as `::cast` targets in select
    roles: frozenset[str] = frozenset()  # roles the gateway's login may switch to
    # Those roles' own settings (`alter role anon set statement_timeout = '3s'`), applied by gateway/db.py.
    role_settings: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def table(self, schema: str, name: str) -> Table | None:
        return self.tables.get((schema, name))

    def relationships(self, table: Table) -> list[tuple[ForeignKey, str]]:
        """FKs touching the table: ('many_to_one', fk on table) or ('one_to_many', fk pointing at it)."""
        out = []
        for fk in self.foreign_keys:
            if fk.table == table.qualified:
                out.append((fk, "many_to_one"))
            if fk.ref_table == table.qualified and fk.table != fk.ref_table:
                out.append((fk, "one_to_many"))
            elif fk.ref_table == table.qualified and fk.table == table.qualified:
                out.append((fk, "one_to_many"))
        return out


_TABLES = """
select n.nspname, c.relname, c.relkind::text, c.oid
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s) and c.relkind in ('r', 'v', 'm', 'f', 'p')
"""

_COLUMNS = """
select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       not a.attnotnull, a.atthasdef or a.attidentity <> '' or a.attgenerated <> '', a.attnum
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%(schemas)s) and c.relkind in ('r', 'v', 'm', 'f', 'p')
  and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""

_KEYS = """
select n.nspname, c.relname, con.contype::text, con.conname,
       array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord),
       rn.nspname, rc.relname,
       array(select a.attname from unnest(con.confkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord)
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_class rc on rc.oid = con.confrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where n.nspname = any(%(schemas)s) and con.contype in ('p', 'u', 'f')
"""

_FUNCTIONS = """
select n.nspname, p.proname,
       coalesce(p.proargnames, '{}'::text[]),
       coalesce(p.proargmodes::text[], '{}'::text[]),
       array(select format_type(t, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t),
       p.pronargs, p.pronargdefaults, p.provariadic <> 0,
       format_type(p.prorettype, null), p.proretset, p.provolatile::text,
       t.typtype::text, rn.nspname, rc.relname, p.prokind::text
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type t on t.oid = p.prorettype
left join pg_class rc on rc.oid = t.typrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where n.nspname = any(%(schemas)s) and p.prokind = 'f'
"""


_TYPES = """
select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
where (n.nspname = 'pg_catalog' or n.nspname = any(%(schemas)s)) and t.typname !~ '^_' and t.typtype in ('b', 'e', 'd', 'r', 'c')
union select unnest(array['int', 'integer', 'smallint', 'bigint', 'real', 'float', 'double precision', 'dec', 'decimal',
  'boolean', 'character varying', 'character', 'timestamp with time zone', 'timestamp without time zone',
  'time with time zone', 'time without time zone', 'bit varying'])
"""

# session_user, not current_user: the login's roles, even if SQL on this pooled connection ever left a `set role`.
_ROLES = "select rolname from pg_roles where pg_has_role(session_user, oid, 'member') and rolname <> session_user"

# The settings of those roles that a session may set (`context = 'user'`), all-database ones first so a
# database-specific one wins; not the ones the prelude sets itself.
_ROLE_SETTINGS = """
select r.rolname, split_part(c.cfg, '=', 1), substr(c.cfg, strpos(c.cfg, '=') + 1)
from pg_db_role_setting s
join pg_roles r on r.oid = s.setrole
cross join lateral unnest(s.setconfig) with ordinality as c(cfg, n)
join pg_settings p on p.name = split_part(c.cfg, '=', 1) and p.context = 'user'
where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
  and pg_has_role(session_user, r.oid, 'member') and r.rolname <> session_user
  and p.name not in ('search_path', 'role', 'session_authorization', 'transaction_read_only')
order by r.rolname, s.setdatabase, c.n
"""


def _role_settings(rows) -> dict[str, tuple[tuple[str, str], ...]]:
    by_role: dict[str, dict[str, str]] = {}
    for role, name, value in rows:
        by_role.setdefault(role, {})[name] = value
    return {role: tuple(values.items()) for role, values in by_role.items()}


async def load_schema_cache(conn: psycopg.AsyncConnection, schemas: tuple[str, ...]) -> SchemaCache:
    params = {"schemas": list(schemas)}
    tables: dict[tuple[str, str], Table] = {}
    for schema, name, kind, _oid in await (await conn.execute(_TABLES, params)).fetchall():
        tables[(schema, name)] = Table(schema, name, kind)
    for schema, name, col, typ, nullable, has_default, pos in await (await conn.execute(_COLUMNS, params)).fetchall():
        t = tables.get((schema, name))
        if t is not None:
            t.columns[col] = Column(col, typ, nullable, has_default, pos)
    fks: list[ForeignKey] = []
    for schema, name, kind, conname, cols, rschema, rname, rcols in await (await conn.execute(_KEYS, params)).fetchall():
        t = tables.get((schema, name))
        if t is None:
            continue
        if kind == "p":
            t.primary_key = tuple(cols)
            t.unique_keys.append(tuple(cols))
        elif kind == "u":
            t.unique_keys.append(tuple(cols))
        elif kind == "f" and (rschema, rname) in tables:
            fks.append(ForeignKey(conname, (schema, name), tuple(cols), (rschema, rname), tuple(rcols)))
    functions: dict[tuple[str, str], list[Function]] = {}
    for row in await (await conn.execute(_FUNCTIONS, params)).fetchall():
        (schema, name, argnames, argmodes, argtypes, nargs, ndefaults, variadic, rettype, retset,
         volatility, typtype, rschema, rname, _kind) = row
        modes = list(argmodes) or ["i"] * len(argtypes)
        in_params = []
        out_cols = []
        for i, (mode, typ) in enumerate(zip(modes, argtypes)):
            pname = argnames[i] if i < len(argnames) else ""
            if mode in ("i", "b", "v"):
                in_params.append((pname, typ, mode == "v"))
            if mode in ("o", "b", "t"):
                out_cols.append((pname, typ))
        first_default = nargs - ndefaults
        params_t = tuple(
            Param(pname, typ, idx >= first_default, is_var) for idx, (pname, typ, is_var) in enumerate(in_params)
        )
        if any(not p.name for p in params_t):
            continue  # unnamed parameters cannot be called with named arguments
        fn = Function(schema, name, params_t, rettype, retset, typtype == "c" or rettype == "record",
                      volatility, (rschema, rname) if rname else None,
                      tuple(out_cols) if len(out_cols) > 1 or (out_cols and retset and rettype == "record") else ())
        functions.setdefault((schema, name), []).append(fn)
    types = frozenset(r[0] for r in await (await conn.execute(_TYPES, params)).fetchall())
    roles = frozenset(r[0] for r in await (await conn.execute(_ROLES)).fetchall())
    settings = _role_settings(await (await conn.execute(_ROLE_SETTINGS)).fetchall())
    return SchemaCache(tuple(schemas), tables, fks, functions, types, roles, settings)
