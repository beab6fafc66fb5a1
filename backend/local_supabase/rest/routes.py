"""`/rest/v1`: tables, views and functions of the exposed schemas, with PostgREST's semantics."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..gateway.db import caller_transaction, fetch_one_as_caller, headers_json
from ..gateway.db_share import ShareRefused
from ..gateway.json_body import JsonBodyError, parse_json
from ..gateway.keys import Caller, KeyError_
from ..gateway.state import GatewayState, gateway_state
from . import parser as p
from .builder import Builder, Source
from .errors import ApiError, from_pg
from .mutations import Mutations
from .request import OBJECT_MEDIA, Accept, Prefer, read_plan
from .rpc import find_function, rpc_statement
from .schema_cache import SchemaCache, Table

log = logging.getLogger("cityloop.rest")


@dataclass
class Result:
    total: int | None
    page_total: int
    body: str | None


def _result(row) -> Result:
    return Result(row[0], row[1], row[2])


@functools.lru_cache(maxsize=64)  # one entry per exposed schema
def _search_path(schema: str) -> str:
    names = [schema] + [s for s in ("public", "extensions") if s != schema]
    return ", ".join('"' + n.replace('"', '""') + '"' for n in names)


def _request_path(scope) -> str:
    """What `request.url.path` gives, without building and re-parsing the whole URL.

    Starlette escapes `?`, `#` and `\\` in the path; urlsplit drops tabs and newlines."""
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    if "\t" in path or "\r" in path or "\n" in path:
        path = path.replace("\t", "").replace("\r", "").replace("\n", "")
    return path


class RestContext:
    """What every REST request needs once it is authenticated."""

    def __init__(self, request: Request):
        self.request = request
        self.state: GatewayState = gateway_state(request)
        try:
            self.caller: Caller = self.state.verifier.caller(request)
        except KeyError_ as exc:
            raise ApiError(exc.status, exc.code, exc.message, hint=exc.hint) from None
        cache = self.state.schema_cache
        if cache is None:
            raise ApiError(503, "PGRST002", "Could not query the database for the schema cache. Retrying.")
        self.cache: SchemaCache = cache
        if self.caller.role not in cache.roles:
            raise ApiError(401, "PGRST301", f'JWT role "{self.caller.role}" is not allowed',
                           hint="Tokens may only name the anon, authenticated or service_role roles.")
        self.schema = self._schema()

    def _schema(self) -> str:
        method = self.request.method
        header = "accept-profile" if method in ("GET", "HEAD") else "content-profile"
        wanted = self.request.headers.get(header)
        if wanted is None:
            return self.cache.schemas[0]
        if wanted not in self.cache.schemas:
            raise ApiError(406, "PGRST106", f"The schema must be one of the following: {', '.join(self.cache.schemas)}")
        return wanted

    async def run(self, statement: str, params: dict[str, Any], *, read_only: bool,
                  check=None) -> Result:
        """Run one statement as the caller. `check` sees the result before COMMIT and may raise to roll back."""
        try:
            async with self.db_slot():
                row = await fetch_one_as_caller(
                    self.state.rest_pool, self.caller, statement, params, method=self.request.method,
                    path=_request_path(self.request.scope), headers=self.headers_json(),
                    search_path=_search_path(self.schema), read_only=read_only,
                    check=None if check is None else lambda row: check(_result(row)),
                )
        except psycopg.Error as exc:
            raise from_pg(exc, anonymous=self.caller.role == "anon") from None
        return _result(row)

    async def run_many(self, statements: list[str], params: dict[str, Any], check=None) -> Result:
        """Several writes in one transaction, without RETURNING (`return=minimal`)."""
        affected = 0
        try:
            async with self.db_slot(), caller_transaction(
                self.state.rest_pool, self.caller, method=self.request.method, path=_request_path(self.request.scope),
                headers=self.headers_json(), search_path=_search_path(self.schema),
            ) as conn:
                for statement in statements:
                    cur = await conn.execute(statement, params)
                    affected += max(cur.rowcount, 0)
                result = Result(affected, affected, None)
                if check is not None:
                    check(result)
                return result
        except psycopg.Error as exc:
            raise from_pg(exc, anonymous=self.caller.role == "anon") from None

    @contextlib.asynccontextmanager
    async def db_slot(self):
        """A fair share of the pool (gateway/db_share.py), refused in PostgREST's shape."""
        try:
            async with self.state.db_share.slot(self.caller.role, self.state.client_address(self.request.scope)):
                yield
        except ShareRefused as exc:
            raise ApiError(exc.status, f"PGRST{exc.status}", exc.message) from None

    def headers_json(self) -> str:
        scope = self.request.scope
        return headers_json(scope["headers"], self.state.client_address(scope))

    def table(self, name: str) -> Table:
        table = self.cache.table(self.schema, name)
        if table is None:
            raise ApiError(404, "PGRST205", f"Could not find the table '{self.schema}.{name}' in the schema cache")
        return table


# ------------------------------------------------------------------ responses

def _content_range(offset: int, result: Result, count: bool) -> str:
    total = str(result.total) if count and result.total is not None else "*"
    if result.page_total <= 0:
        return f"*/{total}"
    return f"{offset}-{offset + result.page_total - 1}/{total}"


def _answer(result: Result, *, status: int, accept: Accept, head: bool = False, headers: dict | None = None) -> Response:
    headers = dict(headers or {})
    if accept.csv:
        return Response("" if head else _to_csv(result.body), status_code=status, headers=headers,
                        media_type="text/csv; charset=utf-8")
    media = f"{OBJECT_MEDIA}; charset=utf-8" if accept.single else "application/json; charset=utf-8"
    return Response(b"" if head or result.body is None else result.body.encode(), status_code=status,
                    headers=headers, media_type=media)


def _to_csv(body: str | None) -> str:
    rows = json.loads(body or "[]")
    if isinstance(rows, dict):
        rows = [rows]
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()})
    return out.getvalue()


def _single_check(accept: Accept):
    def check(result: Result) -> None:
        if accept.single and result.page_total != 1:
            raise ApiError(406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                           f"The result contains {result.page_total} rows")
    return check


async def _json_body(request: Request, *, empty: Any = None) -> Any:
    """The body as JSON (gateway/json_body.py's checks); `empty` is what an empty body means, None refuses it."""
    raw = await request.body()
    if not raw.strip():
        if empty is None:
            raise ApiError(400, "PGRST102", "Empty or invalid json")
        return empty
    try:
        return parse_json(raw, max_depth=gateway_state(request).settings.max_json_depth)
    except JsonBodyError as exc:
        raise ApiError(400, "PGRST102", "Empty or invalid json", exc.message) from None


# ------------------------------------------------------------------ handlers

async def table_endpoint(request: Request) -> Response:
    try:
        ctx = RestContext(request)
        table = ctx.table(request.path_params["table"])
        if request.method in ("GET", "HEAD"):
            return await _read(ctx, table)
        if request.method == "POST":
            return await _insert(ctx, table)
        if request.method == "PATCH":
            return await _update(ctx, table)
        if request.method == "DELETE":
            return await _delete(ctx, table)
        raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {request.method}")
    except ApiError as exc:
        return exc.response()
    except ClientDisconnect:  # gone, or its body cut off at the cap (gateway/limits.py answers that)
        return Response(status_code=400)
    except Exception:  # never a stack trace to the client
        log.exception("REST request failed")
        return ApiError(500, "PGRST000", "Internal error in the REST gateway").response()


async def _read(ctx: RestContext, table: Table) -> Response:
    request = ctx.request
    accept = Accept.parse(request)
    prefer = Prefer.parse(request, "minimal")
    plan = read_plan(request)
    if ctx.state.settings.max_rows is not None:
        plan.limit = min(plan.limit or ctx.state.settings.max_rows, ctx.state.settings.max_rows)
    b = Builder(ctx.cache)
    count = prefer.count is not None
    stmt = b.read(Source(table, table.columns, Builder.qualified(table)), plan, count=count,
                  single=accept.single, strip_nulls=accept.strip_nulls)
    result = await ctx.run(stmt, b.params, read_only=True, check=_single_check(accept))
    status = 200
    if count and result.total is not None:
        if plan.offset > 0 and plan.offset >= result.total and result.total > 0:
            raise ApiError(416, "PGRST103", "Requested range not satisfiable",
                           f"An offset of {plan.offset} was requested, but there are only {result.total} rows.")
        if result.page_total < result.total:
            status = 206
    headers = {"Content-Range": _content_range(plan.offset, result, count)}
    if prefer.count:
        headers["Preference-Applied"] = f"count={prefer.count}"
    return _answer(result, status=status, accept=accept, head=request.method == "HEAD", headers=headers)


def _max_affected_check(prefer: Prefer, accept: Accept):
    single = _single_check(accept)

    def check(result: Result) -> None:
        single(result)
        if prefer.max_affected is not None and result.page_total > prefer.max_affected:
            raise ApiError(400, "PGRST124", "Query result exceeds max-affected preference constraint",
                           f"The query affects {result.page_total} rows")
    return check


async def _insert(ctx: RestContext, table: Table) -> Response:
    request = ctx.request
    accept = Accept.parse(request)
    prefer = Prefer.parse(request, "minimal")
    plan = read_plan(request)
    body = await _json_body(request)
    q = request.query_params
    columns = p.parse_columns(q["columns"]) if "columns" in q else None
    on_conflict = p.parse_columns(q["on_conflict"]) if "on_conflict" in q else None
    b = Builder(ctx.cache)
    m = Mutations(b, table)
    returning = prefer.representation
    statements = m.insert(body, columns_param=columns, missing_default=prefer.missing_default,
                          on_conflict=on_conflict, resolution=prefer.resolution, returning=returning)
    count = prefer.count is not None
    if not statements:
        result = Result(0, 0, "[]")
    elif returning:
        stmt = m.with_returning(statements, plan, count=count, single=accept.single, strip_nulls=accept.strip_nulls)
        result = await ctx.run(stmt, b.params, read_only=False, check=_max_affected_check(prefer, accept))
    else:
        result = await ctx.run_many(statements, b.params, check=_max_affected_check(prefer, Accept()))
    headers = {"Content-Range": f"*/{result.total if count and result.total is not None else '*'}"}
    applied = [x for x in prefer.raw if x.startswith(("resolution=", "missing=", "count=", "return="))]
    if applied:
        headers["Preference-Applied"] = ", ".join(applied)
    if not returning:
        return Response(status_code=201, headers=headers)
    return _answer(result, status=201, accept=accept, headers=headers)


async def _update(ctx: RestContext, table: Table) -> Response:
    request = ctx.request
    accept = Accept.parse(request)
    prefer = Prefer.parse(request, "minimal")
    plan = read_plan(request)
    body = await _json_body(request)
    b = Builder(ctx.cache)
    m = Mutations(b, table)
    returning = prefer.representation
    stmt = m.update(body, plan, returning=returning)
    return await _write(ctx, m, b, stmt, plan, prefer, accept)


async def _delete(ctx: RestContext, table: Table) -> Response:
    request = ctx.request
    accept = Accept.parse(request)
    prefer = Prefer.parse(request, "minimal")
    plan = read_plan(request)
    b = Builder(ctx.cache)
    m = Mutations(b, table)
    stmt = m.delete(plan, returning=prefer.representation)
    return await _write(ctx, m, b, stmt, plan, prefer, accept)


async def _write(ctx: RestContext, m: Mutations, b: Builder, stmt, plan, prefer: Prefer, accept: Accept) -> Response:
    count = prefer.count is not None
    if stmt is None:  # PATCH with an empty object changes nothing
        result = Result(0, 0, "[]")
    elif prefer.representation:
        full = m.with_returning([stmt], plan, count=count, single=accept.single, strip_nulls=accept.strip_nulls)
        result = await ctx.run(full, b.params, read_only=False, check=_max_affected_check(prefer, accept))
    else:
        result = await ctx.run_many([stmt], b.params, check=_max_affected_check(prefer, Accept()))
    headers = {"Content-Range": _content_range(0, result, count)}
    if prefer.representation:
        return _answer(result, status=200, accept=accept, headers=headers)
    return Response(status_code=204, headers=headers)


async def rpc_endpoint(request: Request) -> Response:
    try:
        ctx = RestContext(request)
        name = request.path_params["function"]
        accept = Accept.parse(request)
        prefer = Prefer.parse(request, "representation")
        from_query = request.method in ("GET", "HEAD")
        if from_query:
            known = {prm.name for fn in ctx.cache.functions.get((ctx.schema, name), []) for prm in fn.params}
            args = {k: v for k, v in request.query_params.items() if k in known}
        elif request.method == "POST":
            args = await _json_body(request, empty={})
            if not isinstance(args, dict):
                raise ApiError(400, "PGRST102", "Function arguments must be a JSON object")
        else:
            raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {request.method}")
        fn = find_function(ctx.cache, ctx.schema, name, set(args))
        plan = read_plan(request, skip=set(args))
        b = Builder(ctx.cache)
        stmt, shape = rpc_statement(b, fn, args, plan, from_query=from_query, count=prefer.count is not None,
                                    single=accept.single, strip_nulls=accept.strip_nulls)
        read_only = from_query or fn.volatility in ("s", "i")
        check = _single_check(accept) if shape == "rows" else None
        result = await ctx.run(stmt, b.params, read_only=read_only, check=check)
        if shape == "void":
            return Response(status_code=204)
        headers = {"Content-Range": _content_range(plan.offset, result, prefer.count is not None)}
        return _answer(result, status=200, accept=accept, head=request.method == "HEAD", headers=headers)
    except ApiError as exc:
        return exc.response()
    except ClientDisconnect:
        return Response(status_code=400)
    except Exception:
        log.exception("RPC request failed")
        return ApiError(500, "PGRST000", "Internal error in the REST gateway").response()


async def root_endpoint(request: Request) -> Response:
    try:
        ctx = RestContext(request)
    except ApiError as exc:
        return exc.response()
    tables = sorted(name for (schema, name) in ctx.cache.tables if schema == ctx.schema)
    return JSONResponse({"swagger": "2.0", "info": {"title": "CityLoop local REST", "version": "12"},
                         "paths": {f"/{t}": {} for t in tables}})


def rest_routes() -> list[Route]:
    return [
        Route("/", root_endpoint, methods=["GET", "HEAD"]),
        Route("/rpc/{function}", rpc_endpoint, methods=["GET", "POST", "HEAD"]),
        Route("/{table}", table_endpoint, methods=["GET", "HEAD", "POST", "PATCH", "DELETE"]),
    ]
