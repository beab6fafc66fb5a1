"""Render a plan (plan.py) as one SQL statement whose answer is JSON built in SQL.

Statements are plain `str`: psycopg caches the conversion of a query by its text, so a
repeated request shape costs no re-parsing (psycopg.sql objects were rebuilt and
re-rendered on every request). Every identifier comes from the plan, which took it
from the schema cache (or is an alias checked by the parser), and is quoted with
`ident()`; every value is a named bound parameter `%(pN)s`, never spliced. Types used
in casts come from the catalog (`format_type`) or from the cache's list of type names.
Nothing here looks a name up or refuses a request: that is plan.py's job.
"""

from __future__ import annotations

import functools
from typing import Any

from . import plan_tree as pl
from .errors import refuse_nul
from .schema_cache import Table

_COMPARE = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "isdistinct": "IS DISTINCT FROM"}
_LIKE_OPS = {"like": "LIKE", "ilike": "ILIKE", "match": "~", "imatch": "~*"}
_RANGE_OPS = {"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-"}
_FTS_FUNCS = {"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery"}


@functools.lru_cache(maxsize=4096)  # the same catalog names in every statement; bounded for request aliases
def ident(name: str) -> str:
    """A quoted identifier for statements run with parameters (all of ours are).

    Quoted as PostgreSQL does (`"` doubled). psycopg reads `%` as the start of a
    placeholder even inside quotes, so an alias such as `%` or `%(p0)s` would break
    the statement or bind a parameter into a name: `%%` is how it is written literally."""
    return '"' + name.replace('"', '""').replace("%", "%%") + '"'


def sql_text(type_name: str) -> str:
    """A catalog type name (or other trusted SQL text) written into a statement run with parameters."""
    return type_name.replace("%", "%%")


class Builder:
    """Renders a plan (plan.py) as SQL text; binds every value it meets as a parameter."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._alias_n = 0

    # ------------------------------------------------------------ basics
    def param(self, value: Any) -> str:
        refuse_nul(value)  # the last guard: plan.py refuses NUL where a value enters
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

    def field_expr(self, alias: str, f: pl.PlannedField) -> str:
        """SQL for a column or JSON path."""
        expr = f"{alias}.{ident(f.column.name)}"
        if not f.json_path:
            return expr
        # One flat `(col -> k1 ->> k2)`, however long the path.
        parts = [expr]
        for op, key in f.json_path:
            parts += [op, self.cast_param(key, "integer") if isinstance(key, int) else self.cast_param(key, "text")]
        return "(" + " ".join(parts) + ")"

    # ------------------------------------------------------------ select list
    def select_list(self, node: pl.Node, alias: str) -> list[str]:
        out: list[str] = []
        for item in node.select:
            if isinstance(item, pl.AllColumns):
                out.extend(f"{alias}.{ident(c)}" for c in item.names)
            elif isinstance(item, pl.OutputColumn):
                expr = self.field_expr(alias, item.field)
                if item.cast:
                    expr = f"({expr})::{item.cast}"
                out.append(f"{expr} AS {ident(item.name)}")
            else:
                out.append(self.embed(alias, item))
        return out

    # ------------------------------------------------------------ embedding
    @staticmethod
    def join_condition(parent_alias: str, child_alias: str, join: pl.Join) -> str:
        return " AND ".join(f"{child_alias}.{ident(c)} = {parent_alias}.{ident(pc)}" for c, pc in join.pairs)

    def embed(self, parent_alias: str, embed: pl.Embed) -> str:
        node = embed.node
        child_alias = self.alias()
        items = self.select_list(node, child_alias)
        where = [self.join_condition(parent_alias, child_alias, embed.join)]
        where += self.conditions(child_alias, node.where)
        inner = f"SELECT {', '.join(items)} FROM {self.qualified(node.table)} AS {child_alias} WHERE {' AND '.join(where)}"
        name = ident(embed.name)
        e = self.alias()
        if embed.join.to_one:
            return f"(SELECT row_to_json({e}) FROM ({inner} LIMIT 1) AS {e}) AS {name}"
        inner += self.order_by(child_alias, node.order) + self.paging(node.limit, node.offset)
        return f"COALESCE((SELECT json_agg({e}) FROM ({inner}) AS {e}), '[]'::json) AS {name}"

    def embed_exists(self, parent_alias: str, embed: pl.Embed) -> str:
        """Parents whose embed has a row matching the embed's own filters and nested `!inner` embeds."""
        child_alias = self.alias()
        where = [self.join_condition(parent_alias, child_alias, embed.join)]
        where += self.conditions(child_alias, embed.node.where)
        return f"EXISTS (SELECT 1 FROM {self.qualified(embed.node.table)} AS {child_alias} WHERE {' AND '.join(where)})"

    def conditions(self, alias: str, where: list[pl.Where]) -> list[str]:
        out = []
        for term in where:
            if isinstance(term, pl.Exists):
                exists = self.embed_exists(alias, term.embed)
                out.append(exists if term.wanted else f"NOT {exists}")
            else:
                out.append(self.filter(alias, term))
        return out

    # ------------------------------------------------------------ filters
    def filter(self, alias: str, f: pl.Filter) -> str:
        if isinstance(f, pl.Logic):
            if not f.children:
                expr = "TRUE" if f.operator == "and" else "FALSE"
            else:
                joiner = " AND " if f.operator == "and" else " OR "
                expr = "(" + joiner.join(self.filter(alias, c) for c in f.children) + ")"
            return f"NOT {expr}" if f.negated else expr
        expr = self.condition(alias, f)
        return f"NOT ({expr})" if f.negated else expr

    def condition(self, alias: str, c: pl.Condition) -> str:
        lhs = self.field_expr(alias, c.field)
        op = c.operator
        if op == "is":
            return f"{lhs} IS {c.operand}"  # a keyword of plan.IS_VALUES
        # `c.modifier` is `any` or `all` (checked by the parser), so it is safe to write.
        if op in _COMPARE:
            if c.modifier:
                return f"{lhs} {_COMPARE[op]} {c.modifier.upper()}({self.cast_param(c.operand, c.type)})"
            return f"{lhs} {_COMPARE[op]} {self.cast_param(c.operand, c.type)}"
        if op in _LIKE_OPS:
            if c.modifier:
                return f"{lhs}::text {_LIKE_OPS[op]} {c.modifier.upper()}({self.cast_param(c.operand, c.type)})"
            return f"{lhs}::text {_LIKE_OPS[op]} {self.cast_param(c.operand, c.type)}"
        if op == "in":
            return f"{lhs} = ANY({self.cast_param(c.operand, c.type)})"
        if op in _RANGE_OPS:
            return f"{lhs} {_RANGE_OPS[op]} {self.cast_param(c.operand, c.type)}"
        fn = _FTS_FUNCS[op]
        doc_is_vector = c.field.type == "tsvector"
        if c.modifier:
            config = self.cast_param(c.modifier, "regconfig")
            query = f"{fn}({config}, {self.cast_param(c.operand, 'text')})"
            doc = lhs if doc_is_vector else f"to_tsvector({config}, {lhs}::text)"
        else:
            query = f"{fn}({self.cast_param(c.operand, 'text')})"
            doc = lhs if doc_is_vector else f"to_tsvector({lhs}::text)"
        return f"{doc} @@ {query}"

    # ------------------------------------------------------------ order and paging
    def order_by(self, alias: str, terms: list[pl.OrderBy]) -> str:
        if not terms:
            return ""
        parts = []
        for t in terms:
            s = f"{self.field_expr(alias, t.field)} {'DESC' if t.descending else 'ASC'}"
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
    def where(self, alias: str, where: list[pl.Where]) -> str:
        conds = self.conditions(alias, where)
        if not conds:
            return ""
        return " WHERE " + " AND ".join(conds)

    def read(self, plan: pl.ReadPlan, from_sql: str) -> str:
        """SELECT answering (total, page_total, body) for a table, view or function result.

        `from_sql` is what the root reads: a quoted table name or a function call."""
        alias = '"t0"'
        root = plan.root
        items = self.select_list(root, alias)
        where = self.where(alias, root.where)
        inner = (f"SELECT {', '.join(items)} FROM {from_sql} AS {alias}{where}"
                 f"{self.order_by(alias, root.order)}{self.paging(root.limit, root.offset)}")
        total = f"(SELECT count(*) FROM {from_sql} AS {alias}{where})" if plan.count else "NULL::bigint"
        return self.envelope(inner, total, single=plan.single, strip_nulls=plan.strip_nulls)

    @staticmethod
    def envelope(inner: str, total: str, *, single: bool, strip_nulls: bool) -> str:
        agg = "json_strip_nulls(json_agg(_pgrst_t))" if strip_nulls else "json_agg(_pgrst_t)"
        body = f"coalesce(({agg}) -> 0, 'null'::json)::text" if single else f"coalesce({agg}, '[]'::json)::text"
        return f"SELECT {total} AS total, count(_pgrst_t) AS page_total, {body} AS body FROM ({inner}) AS _pgrst_t"
