"""`/rpc/fn`: pick the function from the schema cache by name and argument names, call it with bound values."""

from __future__ import annotations

import json
from typing import Any

from .builder import Builder, ReadPlan, Source, ident
from .errors import ApiError
from .schema_cache import Column, Function, SchemaCache, Table


def find_function(cache: SchemaCache, schema: str, name: str, arg_names: set[str]) -> Function:
    candidates = cache.functions.get((schema, name), [])
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


def call_expr(builder: Builder, fn: Function, args: dict[str, Any], *, from_query: bool) -> str:
    by_name = {prm.name: prm for prm in fn.params}
    parts = []
    for name, value in args.items():
        prm = by_name[name]
        text = value if from_query else _text_value(value, prm.type)
        if from_query and prm.type.endswith("[]") and isinstance(value, str) and not value.startswith("{"):
            text = "{" + value + "}"
        # The catalog's spelling of the argument name, not the request's (they are equal).
        parts.append(f"{ident(prm.name)} => {builder.cast_param(text, prm.type)}")
    return f"{ident(fn.schema)}.{ident(fn.name)}({', '.join(parts)})"


def rpc_statement(builder: Builder, fn: Function, args: dict[str, Any], plan: ReadPlan, *, from_query: bool,
                  count: bool, single: bool, strip_nulls: bool) -> tuple[str, str]:
    """Statement answering (total, page_total, body) and the shape: 'rows', 'object' or 'scalar'."""
    call = call_expr(builder, fn, args, from_query=from_query)
    columns = _result_columns(builder.cache, fn)
    if columns is not None:
        # Rows of a table type keep the table's relationships, so they can embed like the table.
        table = builder.cache.tables.get(fn.return_table) if fn.return_table else None
        src = Source(table or Table(fn.schema, fn.name, "f", columns), columns, call)
        shape = "rows" if fn.returns_set else "object"
        return builder.read(src, plan, count=count, single=single or shape == "object",
                            strip_nulls=strip_nulls), shape
    if fn.return_type == "void":
        return f"SELECT NULL::bigint AS total, 1 AS page_total, (SELECT {call})::text AS body", "void"
    if fn.returns_set:
        n = ident(fn.name)
        # The function runs once, in a CTE; the page and the count read from it.
        total = "(SELECT count(*) FROM _pgrst_all)" if count else "NULL::bigint"
        return (f"WITH _pgrst_all AS (SELECT _r AS {n} FROM {call} AS _r) "
                f"SELECT {total} AS total, count(*) AS page_total, "
                f"coalesce(json_agg(_pgrst_t.{n}), '[]'::json)::text AS body "
                f"FROM (SELECT {n} FROM _pgrst_all{builder.paging(plan.limit, plan.offset)}) AS _pgrst_t"), "rows"
    # A NULL result is JSON `null`, not an empty body.
    return f"SELECT NULL::bigint AS total, 1 AS page_total, coalesce(to_json({call})::text, 'null') AS body", "scalar"


def _result_columns(cache: SchemaCache, fn: Function) -> dict[str, Column] | None:
    if fn.return_table is not None and fn.return_table in cache.tables:
        return cache.tables[fn.return_table].columns
    if fn.out_columns:
        return {name: Column(name, typ, True, False, i) for i, (name, typ) in enumerate(fn.out_columns)}
    return None
