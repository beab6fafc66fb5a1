"""Turn a parsed request into one SQL statement whose answer is JSON built in SQL.

Statements are plain `str`: psycopg caches the conversion of a query by its text, so a
repeated request shape costs no re-parsing (psycopg.sql objects were rebuilt and
re-rendered on every request). Every identifier is looked up in the schema cache (or
is an alias checked by the parser) and quoted with `ident()`; every value is a named
bound parameter `%(pN)s`, never spliced. Types used in casts come from the catalog
(`format_type`) or from the cache's list of type names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Union

from . import parser as p
from .errors import ApiError, column_error, parse_error
from .schema_cache import Column, ForeignKey, SchemaCache, Table

_IS_VALUES = {"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}
_COMPARE = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "isdistinct": "IS DISTINCT FROM"}
_LIKE_OPS = {"like": "LIKE", "ilike": "ILIKE", "match": "~", "imatch": "~*"}
_RANGE_OPS = {"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-"}
_FTS_FUNCS = {"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery"}
_CAST_RE = re.compile(r"^[a-z_][a-z0-9_ ]*(\[\])?$")

Filter = Union[p.Condition, p.Logic]


def ident(name: str) -> str:
    """A quoted identifier for statements run with parameters (all of ours are).

    Quoted as PostgreSQL does (`"` doubled). psycopg reads `%` as the start of a
    placeholder even inside quotes, so an alias such as `%` or `%(p0)s` would break
    the statement or bind a parameter into a name: `%%` is how it is written literally."""
    return '"' + name.replace('"', '""').replace("%", "%%") + '"'


def sql_text(type_name: str) -> str:
    """A catalog type name (or other trusted SQL text) written into a statement run with parameters."""
    return type_name.replace("%", "%%")


@dataclass
class EmbedOptions:
    """Filters, order and paging that apply inside one embedded resource (`rel.col=...`)."""

    filters: list[Filter] = field(default_factory=list)
    order: list[p.OrderTerm] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    existence: list[bool] = field(default_factory=list)  # rel=is.null -> False, rel=not.is.null -> True


@dataclass
class ReadPlan:
    select: list[p.SelectItem]
    filters: list[Filter] = field(default_factory=list)
    order: list[p.OrderTerm] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    embeds: dict[str, EmbedOptions] = field(default_factory=dict)


@dataclass
class Source:
    """What the select list reads from: a table, or the rows a write returned (same columns)."""

    table: Table
    columns: dict[str, Column]
    from_sql: str  # SQL text: a quoted table name, a function call or a CTE name


class Builder:
    def __init__(self, cache: SchemaCache):
        self.cache = cache
        self.params: dict[str, Any] = {}
        self._alias_n = 0

    # ------------------------------------------------------------ basics
    def param(self, value: Any) -> str:
        _refuse_nul(value)
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def cast_param(self, value: Any, type_name: str) -> str:
        return f"{self.param(value)}::{sql_text(type_name)}"

    def alias(self) -> str:
        self._alias_n += 1
        return f'"t{self._alias_n}"'

    @staticmethod
    def qualified(table: Table) -> str:
        return f"{ident(table.schema)}.{ident(table.name)}"

    def column(self, columns: dict[str, Column], table: Table, name: str) -> Column:
        col = columns.get(name)
        if col is None:
            raise column_error(table.name, name)
        return col

    def field_expr(self, alias: str, columns: dict[str, Column], table: Table, f: p.Field) -> tuple[str, str]:
        """SQL for a column or JSON path, with the type of its value."""
        col = self.column(columns, table, f.name)
        expr = f"{alias}.{ident(col.name)}"
        typ = col.type
        if f.json_path and typ not in ("json", "jsonb"):
            raise ApiError(400, "22023", f"column {table.name}.{col.name} is not JSON; `->` needs a json or jsonb column")
        if f.json_path:
            # One flat `(col -> k1 ->> k2)`, however long the path.
            parts = [expr]
            for op, key in f.json_path:
                key_param = self.cast_param(int(key), "integer") if _is_int(key) else self.cast_param(key, "text")
                parts += [op, key_param]
                typ = "text" if op == "->>" else typ
            expr = "(" + " ".join(parts) + ")"
        return expr, typ

    # ------------------------------------------------------------ select list
    def select_list(self, src: Source, alias: str, items: list[p.SelectItem],
                    embeds: dict[str, EmbedOptions], path: str = "") -> list[str]:
        out: list[str] = []
        for item in items:
            if isinstance(item, p.SelectStar):
                out.extend(f"{alias}.{ident(c)}" for c in src.columns)
            elif isinstance(item, p.SelectColumn):
                expr, _ = self.field_expr(alias, src.columns, src.table, item.field)
                if item.cast:
                    expr = f"({expr})::{self.checked_cast(item.cast)}"
                name = item.alias or item.field.default_alias
                out.append(f"{expr} AS {ident(name)}")
            else:
                out.append(self.embed(src, alias, item, embeds, path))
        if not out:
            raise parse_error("select list is empty")
        return out

    def checked_cast(self, cast: str) -> str:
        base = cast[:-2] if cast.endswith("[]") else cast
        if not _CAST_RE.match(cast) or base not in self.cache.types:
            raise ApiError(400, "42704", f'type "{cast}" does not exist')
        return cast

    # ------------------------------------------------------------ embedding
    def resolve(self, parent: Table, embed: p.SelectEmbed) -> tuple[Table, ForeignKey, str]:
        matches = []
        for fk, kind in self.cache.relationships(parent):
            target_key = fk.ref_table if kind == "many_to_one" else fk.table
            target = self.cache.tables.get(target_key)
            if target is None:
                continue
            by_table = embed.name == target.name
            by_column = kind == "many_to_one" and len(fk.columns) == 1 and embed.name == fk.columns[0]
            by_fk = embed.name == fk.name
            if not (by_table or by_column or by_fk):
                continue
            if embed.hint is not None and embed.hint not in (fk.name, target.name, *fk.columns):
                continue
            matches.append((target, fk, kind))
        if not matches:
            raise ApiError(400, "PGRST200",
                           f"Could not find a relationship between '{parent.name}' and '{embed.name}' in the schema cache",
                           f"Searched for a foreign key relationship between '{parent.name}' and '{embed.name}'"
                           + (f" using the hint '{embed.hint}'" if embed.hint else "") + " in the schema cache, but no matches were found.",
                           "Check the relationship's name, or give a hint with `!` (`rel!fk_name(...)`).")
        if len(matches) > 1:
            raise ApiError(300, "PGRST201",
                           f"Could not embed because more than one relationship was found for '{parent.name}' and '{embed.name}'",
                           "; ".join(f"{fk.name} ({kind})" for _, fk, kind in matches),
                           f"Try changing '{embed.name}' to one of the relationships above, e.g. '{embed.name}!{matches[0][1].name}'.")
        return matches[0]

    def join_condition(self, parent_alias: str, child_alias: str, fk: ForeignKey, kind: str) -> str:
        if kind == "many_to_one":  # parent.col -> child.ref
            pairs = zip(fk.ref_columns, fk.columns)
        else:  # child.col -> parent.ref
            pairs = zip(fk.columns, fk.ref_columns)
        return " AND ".join(f"{child_alias}.{ident(c)} = {parent_alias}.{ident(pc)}" for c, pc in pairs)

    def is_to_one(self, child: Table, fk: ForeignKey, kind: str) -> bool:
        if kind == "many_to_one":
            return True
        return any(set(u) == set(fk.columns) for u in child.unique_keys)

    @staticmethod
    def embed_options(embeds: dict[str, EmbedOptions], embed: p.SelectEmbed, path: str) -> EmbedOptions:
        """Options given as `alias.col=...` (or `name.col=...`) for the embed at `path`."""
        return embeds.get(path + (embed.alias or embed.name)) or embeds.get(path + embed.name) or EmbedOptions()

    def embed(self, src: Source, parent_alias: str, embed: p.SelectEmbed,
              embeds: dict[str, EmbedOptions], path: str) -> str:
        child, fk, kind = self.resolve(src.table, embed)
        key = path + (embed.alias or embed.name)
        opts = self.embed_options(embeds, embed, path)
        child_alias = self.alias()
        child_src = Source(child, child.columns, self.qualified(child))
        items = self.select_list(child_src, child_alias, embed.items, embeds, key + ".")
        where = [self.join_condition(parent_alias, child_alias, fk, kind)]
        where += self.conditions(child_alias, child_src, opts.filters, embed.items, embeds, key + ".")
        inner = f"SELECT {', '.join(items)} FROM {child_src.from_sql} AS {child_alias} WHERE {' AND '.join(where)}"
        name = ident(embed.alias or embed.name)
        e = self.alias()
        if self.is_to_one(child, fk, kind):
            return f"(SELECT row_to_json({e}) FROM ({inner} LIMIT 1) AS {e}) AS {name}"
        inner += self.order_by(child_alias, child_src, opts.order) + self.paging(opts.limit, opts.offset)
        return f"COALESCE((SELECT json_agg({e}) FROM ({inner}) AS {e}), '[]'::json) AS {name}"

    def embed_exists(self, src: Source, parent_alias: str, embed: p.SelectEmbed,
                     embeds: dict[str, EmbedOptions], path: str) -> str:
        """`!inner` and `rel=not.is.null`: keep parents whose embed has a matching row.

        The embed's own filters and its nested `!inner` embeds decide what matches."""
        child, fk, kind = self.resolve(src.table, embed)
        key = path + (embed.alias or embed.name)
        opts = self.embed_options(embeds, embed, path)
        child_alias = self.alias()
        child_src = Source(child, child.columns, self.qualified(child))
        where = [self.join_condition(parent_alias, child_alias, fk, kind)]
        where += self.conditions(child_alias, child_src, opts.filters, embed.items, embeds, key + ".")
        return f"EXISTS (SELECT 1 FROM {child_src.from_sql} AS {child_alias} WHERE {' AND '.join(where)})"

    def conditions(self, alias: str, src: Source, filters: list[Filter], items: list[p.SelectItem],
                   embeds: dict[str, EmbedOptions], path: str) -> list[str]:
        """The WHERE terms of one level: its filters, `!inner` embeds and `rel=(not.)is.null` tests."""
        conds = [self.filter(alias, src, f) for f in filters]
        for item in items:
            if not isinstance(item, p.SelectEmbed):
                continue
            existence = self.embed_options(embeds, item, path).existence
            if item.inner:
                conds.append(self.embed_exists(src, alias, item, embeds, path))
            for wanted in existence:
                exists = self.embed_exists(src, alias, item, embeds, path)
                conds.append(exists if wanted else f"NOT {exists}")
        return conds

    # ------------------------------------------------------------ filters
    def filter(self, alias: str, src: Source, f: Filter) -> str:
        if isinstance(f, p.Logic):
            if not f.children:
                expr = "TRUE" if f.operator == "and" else "FALSE"
            else:
                joiner = " AND " if f.operator == "and" else " OR "
                expr = "(" + joiner.join(self.filter(alias, src, c) for c in f.children) + ")"
            return f"NOT {expr}" if f.negated else expr
        expr = self.condition(alias, src, f)
        return f"NOT ({expr})" if f.negated else expr

    def condition(self, alias: str, src: Source, c: p.Condition) -> str:
        lhs, typ = self.field_expr(alias, src.columns, src.table, c.field)
        op, value = c.operator, c.value
        if op == "is":
            kw = _IS_VALUES.get(value.lower())
            if kw is None:
                raise parse_error(f'"failed to parse filter (is.{value})"', "is accepts null, not_null, true, false or unknown")
            return f"{lhs} IS {kw}"
        # `c.modifier` is `any` or `all` (checked by the parser), so it is safe to write.
        if op in _COMPARE:
            if c.modifier:
                return f"{lhs} {_COMPARE[op]} {c.modifier.upper()}({self.cast_param(_array_items(value), _array_of(typ))})"
            return f"{lhs} {_COMPARE[op]} {self.cast_param(value, typ)}"
        if op in _LIKE_OPS:
            sql_op = _LIKE_OPS[op]
            conv = (lambda v: v.replace("*", "%")) if op in ("like", "ilike") else (lambda v: v)
            if c.modifier:
                patterns = [conv(v) if v is not None else None for v in _array_items(value)]
                return f"{lhs}::text {sql_op} {c.modifier.upper()}({self.cast_param(patterns, 'text[]')})"
            return f"{lhs}::text {sql_op} {self.cast_param(conv(value), 'text')}"
        if op == "in":
            return f"{lhs} = ANY({self.cast_param(p.parse_list(value), _array_of(typ))})"
        if op in _RANGE_OPS:
            return f"{lhs} {_RANGE_OPS[op]} {self.cast_param(value, typ)}"
        if op in _FTS_FUNCS:
            fn = _FTS_FUNCS[op]
            if c.modifier:
                config = self.cast_param(c.modifier, "regconfig")
                query = f"{fn}({config}, {self.cast_param(value, 'text')})"
                doc = lhs if typ == "tsvector" else f"to_tsvector({config}, {lhs}::text)"
            else:
                query = f"{fn}({self.cast_param(value, 'text')})"
                doc = lhs if typ == "tsvector" else f"to_tsvector({lhs}::text)"
            return f"{doc} @@ {query}"
        raise parse_error(f"unknown operator {op}")

    # ------------------------------------------------------------ order and paging
    def order_by(self, alias: str, src: Source, terms: list[p.OrderTerm]) -> str:
        if not terms:
            return ""
        parts = []
        for t in terms:
            if t.relation is not None:
                raise parse_error("ordering by an embedded resource's column is not supported; use rel.order=")
            expr, _ = self.field_expr(alias, src.columns, src.table, t.field)
            s = f"{expr} {'DESC' if t.descending else 'ASC'}"
            if t.nulls:
                s += f" NULLS {t.nulls.upper()}"
            parts.append(s)
        return " ORDER BY " + ", ".join(parts)

    def paging(self, limit: int | None, offset: int | None) -> str:
        out = ""
        if limit is not None:
            out += f" LIMIT {self.cast_param(limit, 'bigint')}"
        if offset:
            out += f" OFFSET {self.cast_param(offset, 'bigint')}"
        return out

    # ------------------------------------------------------------ whole statements
    def where(self, alias: str, src: Source, plan: ReadPlan) -> str:
        conds = self.conditions(alias, src, plan.filters, plan.select, plan.embeds, "")
        if not conds:
            return ""
        return " WHERE " + " AND ".join(conds)

    def read(self, src: Source, plan: ReadPlan, *, count: bool, single: bool, strip_nulls: bool) -> str:
        """SELECT answering (total, page_total, body) for a table, view, function result or write result."""
        alias = '"t0"'
        items = self.select_list(src, alias, plan.select, plan.embeds)
        where = self.where(alias, src, plan)
        inner = (f"SELECT {', '.join(items)} FROM {src.from_sql} AS {alias}{where}"
                 f"{self.order_by(alias, src, plan.order)}{self.paging(plan.limit, plan.offset)}")
        total = f"(SELECT count(*) FROM {src.from_sql} AS {alias}{where})" if count else "NULL::bigint"
        return self.envelope(inner, total, single=single, strip_nulls=strip_nulls)

    @staticmethod
    def envelope(inner: str, total: str, *, single: bool, strip_nulls: bool) -> str:
        agg = "json_strip_nulls(json_agg(_pgrst_t))" if strip_nulls else "json_agg(_pgrst_t)"
        body = f"coalesce(({agg}) -> 0, 'null'::json)::text" if single else f"coalesce({agg}, '[]'::json)::text"
        return f"SELECT {total} AS total, count(_pgrst_t) AS page_total, {body} AS body FROM ({inner}) AS _pgrst_t"


def _refuse_nul(value: Any) -> None:
    """PostgreSQL text cannot hold NUL: refuse it here, as the server would, instead of failing in the driver."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(400, "22021", 'invalid byte sequence for encoding "UTF8": 0x00',
                           "Text values cannot contain the NUL character.")
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_nul(item)


def _is_int(key: str) -> bool:
    return key.lstrip("-").isdigit() and len(key) < 10


def _array_of(type_name: str) -> str:
    return type_name if type_name.endswith("[]") else type_name + "[]"


def _array_items(value: str) -> list[str | None]:
    """`{a,"b c"}` (PostgreSQL array literal, as supabase-py sends `like(any)`) or `(a,b)`."""
    if value.startswith("{") and value.endswith("}"):
        body = value[1:-1]
    elif value.startswith("(") and value.endswith(")"):
        body = value[1:-1]
    else:
        raise parse_error(f"expected a list like {{a,b}}, got {value!r}")
    if body.strip() == "":
        return []
    items: list[str | None] = []
    for raw in p.split_top(body):
        raw = raw.strip()
        if raw.upper() == "NULL":
            items.append(None)
        else:
            items.append(p.unquote(raw))
    return items
