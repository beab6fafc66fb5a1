"""`/rpc/fn`: render the call of the function plan.py chose, with bound values."""

from __future__ import annotations

from . import plan_tree as pl
from .builder import Builder, ident


def call_expr(builder: Builder, plan: pl.RpcPlan) -> str:
    fn = plan.function
    parts = [f"{ident(name)} => {builder.cast_param(text, typ)}" for name, typ, text in plan.arguments]
    return f"{ident(fn.schema)}.{ident(fn.name)}({', '.join(parts)})"


def rpc_statement(builder: Builder, plan: pl.RpcPlan) -> str:
    """Statement answering (total, page_total, body) for the plan's shape."""
    call = call_expr(builder, plan)
    fn = plan.function
    if plan.read is not None:
        return builder.read(plan.read, call)
    if plan.shape == "void":
        return f"SELECT NULL::bigint AS total, 1 AS page_total, (SELECT {call})::text AS body"
    if plan.shape == "rows":
        n = ident(fn.name)
        # The function runs once, in a CTE; the page and the count read from it.
        total = "(SELECT count(*) FROM _pgrst_all)" if plan.count else "NULL::bigint"
        return (f"WITH _pgrst_all AS (SELECT _r AS {n} FROM {call} AS _r) "
                f"SELECT {total} AS total, count(*) AS page_total, "
                f"coalesce(json_agg(_pgrst_t.{n}), '[]'::json)::text AS body "
                f"FROM (SELECT {n} FROM _pgrst_all{builder.paging(plan.limit, plan.offset)}) AS _pgrst_t")
    # A NULL result is JSON `null`, not an empty body.
    return f"SELECT NULL::bigint AS total, 1 AS page_total, coalesce(to_json({call})::text, 'null') AS body"
