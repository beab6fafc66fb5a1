"""Resolve a parsed request against the schema cache into a plan (plan_tree.py), which `builder.py` renders.

Every name the request gives is looked up here and nowhere else: tables, columns
(with the type a filter value is cast to), relationships with their join columns,
casts, functions. So every "not found", "ambiguous" and "bad column" answer comes
from this module, in PostgREST's shape (PGRST200/201/202/203/204, 42703, 42704...),
before any SQL exists. Values are checked as they enter (no NUL, `is` keywords, `in`
lists), so the builder only writes SQL and binds values.

Names are resolved in the order the SQL reads them (a level's select list with its
embeds depth-first, then its filters, then its order), so a request with several
mistakes is answered with the first one, as before this module existed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import parser as p
from .errors import ApiError, column_error, parse_error, refuse_nul
from .plan_tree import (AllColumns, Condition, Conflict, DeletePlan, Embed, Exists, Filter, InsertPlan, Join, Logic,
                        Node, OrderBy, OutputColumn, PlannedField, ReadPlan, Representation, RpcPlan, Selected,
                        UpdatePlan, Where)
from .request import EmbedParams, QueryParams
from .schema_cache import Column, ForeignKey, Function, SchemaCache, Table

IS_VALUES = {"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}
COMPARE_OPS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "isdistinct"})
LIKE_OPS = frozenset({"like", "ilike", "match", "imatch"})
RANGE_OPS = frozenset({"cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"})
FTS_OPS = frozenset({"fts", "plfts", "phfts", "wfts"})
_CAST_RE = re.compile(r"^[a-z_][a-z0-9_ ]*(\[\])?$")


# ---------------------------------------------------------------- errors

def table_not_found(schema: str, name: str) -> ApiError:
    return ApiError(404, "PGRST205", f"Could not find the table '{schema}.{name}' in the schema cache")


def missing_column(table: Table, name: str) -> ApiError:
    return ApiError(400, "PGRST204", f"Could not find the '{name}' column of '{table.name}' in the schema cache")


def invalid_body(message: str) -> ApiError:
    return ApiError(400, "PGRST102", message)


# ---------------------------------------------------------------- planner

class Planner:
    def __init__(self, cache: SchemaCache):
        self.cache = cache

    def table(self, schema: str, name: str) -> Table:
        table = self.cache.table(schema, name)
        if table is None:
            raise table_not_found(schema, name)
        return table

    # ------------------------------------------------------------ reads
    def read(self, table: Table, q: QueryParams, *, columns: dict[str, Column] | None = None,
             count: bool = False, single: bool = False, strip_nulls: bool = False,
             max_rows: int | None = None) -> ReadPlan:
        """A table, view or function result (`columns` when they are not the table's)."""
        limit = q.limit
        if max_rows is not None:
            limit = min(limit or max_rows, max_rows)
        root = self._node(table, table.columns if columns is None else columns, q.select, q.filters,
                          q.order, limit, q.offset, q.embeds, "")
        return ReadPlan(root, count, single, strip_nulls)

    def returning(self, table: Table, r: Representation | None) -> ReadPlan | None:
        """The select list over the rows a write returned (its embeds keep their own filters)."""
        if r is None:
            return None
        root = Node(table, table.columns)
        root.select = self._select(root, r.query.select, r.query.embeds, "", {})
        return ReadPlan(root, r.count, r.single, r.strip_nulls)

    def _node(self, table: Table, columns: dict[str, Column], items: list[p.SelectItem], filters: list,
              order: list[p.OrderTerm] | None, limit: int | None, offset: int | None,
              embeds: dict[str, EmbedParams], path: str) -> Node:
        node = Node(table, columns, limit=limit, offset=offset)
        resolved: dict[int, Embed] = {}
        node.select = self._select(node, items, embeds, path, resolved)
        node.where = self._where(node, filters, items, embeds, path, resolved)
        if order is not None:
            node.order = [self._order_term(node, t) for t in order]
        return node

    def _select(self, node: Node, items: list[p.SelectItem], embeds: dict[str, EmbedParams], path: str,
                resolved: dict[int, Embed]) -> list[Selected]:
        out: list[Selected] = []
        for item in items:
            if isinstance(item, p.SelectStar):
                out.append(AllColumns(tuple(node.columns)))
            elif isinstance(item, p.SelectColumn):
                f = self.field(node, item.field)
                cast = self.checked_cast(item.cast) if item.cast else None
                out.append(OutputColumn(f, item.alias or item.field.default_alias, cast))
            else:
                embed = self._embed(node, item, embeds, path)
                resolved[id(item)] = embed
                out.append(embed)
        if not out:
            raise parse_error("select list is empty")
        return out

    def _embed(self, parent: Node, item: p.SelectEmbed, embeds: dict[str, EmbedParams], path: str) -> Embed:
        child, fk, kind = self.relationship(parent.table, item)
        join = Join(fk, kind, _join_pairs(fk, kind), kind == "many_to_one" or _is_unique(child, fk))
        key = path + (item.alias or item.name)
        opts = _embed_params(embeds, item, path)
        # A to-one embed is one row: its order and paging do not apply (nor are they checked).
        order = None if join.to_one else opts.order
        limit, offset = (None, None) if join.to_one else (opts.limit, opts.offset)
        node = self._node(child, child.columns, item.items, opts.filters, order, limit, offset, embeds, key + ".")
        return Embed(item.alias or item.name, join, node)

    def _where(self, node: Node, filters: list, items: list[p.SelectItem], embeds: dict[str, EmbedParams],
               path: str, resolved: dict[int, Embed]) -> list[Where]:
        """A level's filters, then its `!inner` embeds and `rel=(not.)is.null` tests, in select order."""
        where: list[Where] = [self.filter(node, f) for f in filters]
        for item in items:
            if not isinstance(item, p.SelectEmbed):
                continue
            embed = resolved[id(item)]
            if item.inner:
                where.append(Exists(embed, True))
            where.extend(Exists(embed, wanted) for wanted in _embed_params(embeds, item, path).existence)
        return where

    def relationship(self, parent: Table, embed: p.SelectEmbed) -> tuple[Table, ForeignKey, str]:
        """The one foreign key that `name` (and `!hint`) designate, from `parent` to its target."""
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

    # ------------------------------------------------------------ columns, casts, filters
    def field(self, node: Node, f: p.Field) -> PlannedField:
        col = node.columns.get(f.name)
        if col is None:
            raise column_error(node.table.name, f.name)
        typ = col.type
        if f.json_path and typ not in ("json", "jsonb"):
            raise ApiError(400, "22023", f"column {node.table.name}.{col.name} is not JSON; `->` needs a json or jsonb column")
        path = []
        for op, key in f.json_path:
            refuse_nul(key)
            path.append((op, int(key) if _is_int(key) else key))
            typ = "text" if op == "->>" else typ
        return PlannedField(col, tuple(path), typ)

    def checked_cast(self, cast: str) -> str:
        base = cast[:-2] if cast.endswith("[]") else cast
        if not _CAST_RE.match(cast) or base not in self.cache.types:
            raise ApiError(400, "42704", f'type "{cast}" does not exist')
        return cast

    def filter(self, node: Node, f: p.Condition | p.Logic) -> Filter:
        if isinstance(f, p.Logic):
            return Logic(f.operator, [self.filter(node, c) for c in f.children], f.negated)
        return self.condition(node, f)

    def condition(self, node: Node, c: p.Condition) -> Condition:
        pf = self.field(node, c.field)
        op, value, typ = c.operator, c.value, pf.type
        if op == "is":
            keyword = IS_VALUES.get(value.lower())
            if keyword is None:
                raise parse_error(f'"failed to parse filter (is.{value})"', "is accepts null, not_null, true, false or unknown")
            return Condition(pf, op, keyword, typ, c.negated)
        if op in COMPARE_OPS or op in LIKE_OPS:
            if c.modifier:
                operand: Any = p.parse_array(value)
                if op in ("like", "ilike"):
                    operand = [v.replace("*", "%") if v is not None else None for v in operand]
                typ = "text[]" if op in LIKE_OPS else _array_of(typ)
            else:
                operand = value.replace("*", "%") if op in ("like", "ilike") else value
                typ = "text" if op in LIKE_OPS else typ
        elif op == "in":
            operand, typ = p.parse_list(value), _array_of(typ)
        elif op in RANGE_OPS:
            operand = value
        elif op in FTS_OPS:
            operand = value
            if c.modifier:
                refuse_nul(c.modifier)
        else:
            raise parse_error(f"unknown operator {op}")
        refuse_nul(operand)
        return Condition(pf, op, operand, typ, c.negated, c.modifier)

    def _order_term(self, node: Node, t: p.OrderTerm) -> OrderBy:
        if t.relation is not None:
            raise parse_error("ordering by an embedded resource's column is not supported; use rel.order=")
        return OrderBy(self.field(node, t.field), t.descending, t.nulls)

    # ------------------------------------------------------------ writes
    def insert(self, table: Table, body: Any, *, columns_param: list[str] | None, missing_default: bool,
               on_conflict: list[str] | None, resolution: str | None, returning: Representation | None) -> InsertPlan:
        rows = rows_from_body(body)
        if columns_param is not None:
            columns = self.columns(table, columns_param)
            rows = [{k: v for k, v in r.items() if k in columns} for r in rows]
        else:
            seen: dict[str, None] = {}
            for r in rows:
                seen.update(dict.fromkeys(r))
            columns = self.columns(table, list(seen))
        if missing_default:
            # Each distinct key set is inserted on its own so absent keys take the column default.
            groups: dict[tuple[str, ...], list[dict]] = {}
            for r in rows:
                groups.setdefault(tuple(c for c in columns if c in r), []).append(r)
        else:
            groups = {tuple(columns): rows}
        conflict = self._conflict(table, on_conflict, resolution, columns)
        planned = [(cols, group) for cols, group in groups.items() if group]
        # Nothing to insert (`[]`) reads nothing back: the select list is not looked at.
        return InsertPlan(table, planned, conflict, self.returning(table, returning) if planned else None)

    def _conflict(self, table: Table, on_conflict: list[str] | None, resolution: str | None,
                  columns: list[str]) -> Conflict | None:
        if resolution is None:
            return None
        keys = on_conflict or list(table.primary_key)
        if not keys:
            raise ApiError(400, "PGRST204", f"'{table.name}' has no primary key: give on_conflict for an upsert")
        self.columns(table, keys)
        if resolution == "ignore-duplicates":
            return Conflict(tuple(keys), None)
        return Conflict(tuple(keys), tuple([c for c in columns if c not in keys] or keys))

    def update(self, table: Table, body: Any, q: QueryParams, returning: Representation | None) -> UpdatePlan | None:
        """None when the body is `{}`: nothing to change, and nothing else is looked at."""
        if not isinstance(body, dict):
            raise invalid_body("PATCH needs a JSON object")
        if not body:
            return None
        columns = self.columns(table, list(body))
        where = self._write_where(table, q)
        return UpdatePlan(table, body, columns, where, self.returning(table, returning))

    def delete(self, table: Table, q: QueryParams, returning: Representation | None) -> DeletePlan:
        where = self._write_where(table, q)
        return DeletePlan(table, where, self.returning(table, returning))

    def _write_where(self, table: Table, q: QueryParams) -> list[Where]:
        node = Node(table, table.columns)
        return [self.filter(node, f) for f in q.filters]

    @staticmethod
    def columns(table: Table, names: list[str]) -> list[str]:
        for name in names:
            if name not in table.columns:
                raise missing_column(table, name)
        return names

    # ------------------------------------------------------------ functions
    def function(self, schema: str, name: str, arg_names: set[str]) -> Function:
        candidates = self.cache.functions.get((schema, name), [])
        matching = [f for f in candidates if f.accepts(arg_names)]
        if not matching:
            args = ", ".join(sorted(arg_names))
            raise ApiError(404, "PGRST202", f"Could not find the function {schema}.{name}({args}) in the schema cache",
                           f"Searched for the function {schema}.{name} with parameters {args or 'none'}, but no matches were found in the schema cache.")
        if len(matching) > 1:
            # Prefer the overload that uses every given argument and the fewest defaults.
            matching.sort(key=lambda f: len(f.params))
            if len(matching[0].params) == len(matching[1].params):
                raise ApiError(300, "PGRST203", f"Could not choose the best candidate function for {schema}.{name}")
        return matching[0]

    def query_arguments(self, schema: str, name: str, query: list[tuple[str, str]]) -> dict[str, str]:
        """`GET /rpc/fn?a=1`: the keys that name a parameter of some overload are arguments; the rest filter."""
        known = {prm.name for fn in self.cache.functions.get((schema, name), []) for prm in fn.params}
        return {k: v for k, v in query if k in known}

    def rpc(self, fn: Function, args: dict[str, Any], q: QueryParams, *, from_query: bool, count: bool,
            single: bool, strip_nulls: bool) -> RpcPlan:
        by_name = {prm.name: prm for prm in fn.params}
        arguments = []
        for name, value in args.items():
            prm = by_name[name]
            text = value if from_query else _text_value(value, prm.type)
            if from_query and prm.type.endswith("[]") and isinstance(value, str) and not value.startswith("{"):
                text = "{" + value + "}"
            refuse_nul(text)
            # The catalog's spelling of the argument name, not the request's (they are equal).
            arguments.append((prm.name, prm.type, text))
        columns = self._result_columns(fn)
        if columns is not None:
            # Rows of a table type keep the table's relationships, so they can embed like the table.
            table = self.cache.tables.get(fn.return_table) if fn.return_table else None
            shape = "rows" if fn.returns_set else "object"
            read = self.read(table or Table(fn.schema, fn.name, "f", columns), q, columns=columns, count=count,
                             single=single or shape == "object", strip_nulls=strip_nulls)
            return RpcPlan(fn, arguments, shape, read, count, q.limit, q.offset)
        shape = "void" if fn.return_type == "void" else "rows" if fn.returns_set else "scalar"
        return RpcPlan(fn, arguments, shape, None, count, q.limit, q.offset)

    def _result_columns(self, fn: Function) -> dict[str, Column] | None:
        if fn.return_table is not None and fn.return_table in self.cache.tables:
            return self.cache.tables[fn.return_table].columns
        if fn.out_columns:
            return {name: Column(name, typ, True, False, i) for i, (name, typ) in enumerate(fn.out_columns)}
        return None


def rows_from_body(body: Any) -> list[dict]:
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list) and all(isinstance(r, dict) for r in body):
        return body
    raise invalid_body("All object keys must match" if isinstance(body, list) else "Body must be a JSON object or an array of objects")


def _text_value(value: Any, type_name: str) -> str | None:
    """JSON argument -> the text PostgreSQL parses for `type_name` (sent as a bound parameter)."""
    if value is None:
        return None
    if type_name in ("json", "jsonb"):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and type_name.endswith("[]"):
        return _array_literal(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _array_literal(items: list) -> str:
    parts = []
    for item in items:
        if item is None:
            parts.append("NULL")
        elif isinstance(item, list):
            parts.append(_array_literal(item))
        else:
            text = json.dumps(item, ensure_ascii=False) if isinstance(item, dict) else \
                ("true" if item is True else "false" if item is False else str(item))
            parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


def _embed_params(embeds: dict[str, EmbedParams], embed: p.SelectEmbed, path: str) -> EmbedParams:
    """Options given as `alias.col=...` (or `name.col=...`) for the embed at `path`."""
    return embeds.get(path + (embed.alias or embed.name)) or embeds.get(path + embed.name) or EmbedParams()


def _join_pairs(fk: ForeignKey, kind: str) -> tuple[tuple[str, str], ...]:
    if kind == "many_to_one":  # parent.col -> child.ref
        return tuple(zip(fk.ref_columns, fk.columns))
    return tuple(zip(fk.columns, fk.ref_columns))  # child.col -> parent.ref


def _is_unique(child: Table, fk: ForeignKey) -> bool:
    """A one-to-many FK whose columns are a key of the child: at most one row, so an object."""
    return any(set(u) == set(fk.columns) for u in child.unique_keys)


def _is_int(key: str) -> bool:
    return key.lstrip("-").isdigit() and len(key) < 10


def _array_of(type_name: str) -> str:
    return type_name if type_name.endswith("[]") else type_name + "[]"
