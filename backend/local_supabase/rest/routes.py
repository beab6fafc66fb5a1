"""`/rest/v1`: tables, views and functions of the exposed schemas, with PostgREST's semantics.

Every handler is parse -> plan -> render -> run: `RestContext` (the prologue: caller,
schema cache, schema, Accept and Prefer), `request.py` + `parser.py` (the query string),
`plan.py` (names resolved, every 4xx about them), `builder.py` / `mutations.py` / `rpc.py`
(SQL), `RestContext.run` (as the caller). `rest_endpoint` is the one error handler."""

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
from .builder import Builder
from .errors import ApiError, from_pg
from .mutations import Mutations
from .plan import Planner
from .plan_tree import ReadPlan, Representation
from .request import OBJECT_MEDIA, Accept, Prefer, QueryParams, query_params
from .rpc import rpc_statement
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

    accept: Accept
    prefer: Prefer

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
        self.planner = Planner(cache)

    def negotiate(self, default_return: str) -> None:
        """Accept, then Prefer: after the resource is known, so a missing one answers 404 first."""
        self.accept = Accept.parse(self.request)
        self.prefer = Prefer.parse(self.request, default_return)

    @property
    def count(self) -> bool:
        return self.prefer.count is not None

    def representation(self, q: QueryParams) -> Representation | None:
        """What a write answers with: its rows through the select list, or nothing (`return=minimal`)."""
        if not self.prefer.representation:
            return None
        return Representation(q, self.count, self.accept.single, self.accept.strip_nulls)

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
            async with self.state.db_share.slot(self.caller.role, self.state.limit_key(self.request.scope)):
                yield
        except ShareRefused as exc:
            raise ApiError(exc.status, f"PGRST{exc.status}", exc.message) from None

    def headers_json(self) -> str:
        scope = self.request.scope
        return headers_json(scope["headers"], self.state.client_address(scope))

    def table(self) -> Table:
        return self.planner.table(self.schema, self.request.path_params["table"])


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

def rest_endpoint(handler):
    """The one error handler: PostgREST's shape for every refusal, never a stack trace."""
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except ClientDisconnect:  # gone, or its body cut off at the cap (gateway/limits.py answers that)
            return Response(status_code=400)
        except Exception:  # never a stack trace to the client
            log.exception("REST request failed")
            return ApiError(500, "PGRST000", "Internal error in the REST gateway").response()
    return endpoint


@rest_endpoint
async def table_endpoint(request: Request) -> Response:
    ctx = RestContext(request)
    table = ctx.table()
    ctx.negotiate("minimal")
    if request.method in ("GET", "HEAD"):
        return await _read(ctx, table)
    if request.method == "POST":
        return await _insert(ctx, table)
    if request.method == "PATCH":
        return await _update(ctx, table)
    if request.method == "DELETE":
        return await _delete(ctx, table)
    raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {request.method}")


async def _read(ctx: RestContext, table: Table) -> Response:
    plan = ctx.planner.read(table, query_params(ctx.request), count=ctx.count, single=ctx.accept.single,
                            strip_nulls=ctx.accept.strip_nulls, max_rows=ctx.state.settings.max_rows)
    b = Builder()
    result = await ctx.run(b.read(plan, Builder.qualified(table)), b.params, read_only=True,
                           check=_single_check(ctx.accept))
    offset = plan.root.offset or 0
    status = 200
    if plan.count and result.total is not None:
        if offset > 0 and offset >= result.total and result.total > 0:
            raise ApiError(416, "PGRST103", "Requested range not satisfiable",
                           f"An offset of {offset} was requested, but there are only {result.total} rows.")
        if result.page_total < result.total:
            status = 206
    headers = {"Content-Range": _content_range(offset, result, plan.count)}
    if ctx.prefer.count:
        headers["Preference-Applied"] = f"count={ctx.prefer.count}"
    return _answer(result, status=status, accept=ctx.accept, head=ctx.request.method == "HEAD", headers=headers)


def _max_affected_check(prefer: Prefer, accept: Accept):
    single = _single_check(accept)

    def check(result: Result) -> None:
        single(result)
        if prefer.max_affected is not None and result.page_total > prefer.max_affected:
            raise ApiError(400, "PGRST124", "Query result exceeds max-affected preference constraint",
                           f"The query affects {result.page_total} rows")
    return check


async def _insert(ctx: RestContext, table: Table) -> Response:
    q = query_params(ctx.request)
    body = await _json_body(ctx.request)
    args = ctx.request.query_params
    prefer = ctx.prefer
    plan = ctx.planner.insert(
        table, body, columns_param=p.parse_columns(args["columns"]) if "columns" in args else None,
        missing_default=prefer.missing_default,
        on_conflict=p.parse_columns(args["on_conflict"]) if "on_conflict" in args else None,
        resolution=prefer.resolution, returning=ctx.representation(q))
    b = Builder()
    m = Mutations(b, table)
    statements = m.insert(plan)
    result = await _run_write(ctx, m, b, statements, plan.returning) if statements else Result(0, 0, "[]")
    headers = {"Content-Range": f"*/{result.total if ctx.count and result.total is not None else '*'}"}
    applied = [x for x in prefer.raw if x.startswith(("resolution=", "missing=", "count=", "return="))]
    if applied:
        headers["Preference-Applied"] = ", ".join(applied)
    if not prefer.representation:
        return Response(status_code=201, headers=headers)
    return _answer(result, status=201, accept=ctx.accept, headers=headers)


async def _update(ctx: RestContext, table: Table) -> Response:
    q = query_params(ctx.request)
    body = await _json_body(ctx.request)
    plan = ctx.planner.update(table, body, q, ctx.representation(q))
    if plan is None:  # PATCH with an empty object changes nothing
        return _write_answer(ctx, Result(0, 0, "[]"))
    b = Builder()
    m = Mutations(b, table)
    return _write_answer(ctx, await _run_write(ctx, m, b, [m.update(plan)], plan.returning))


async def _delete(ctx: RestContext, table: Table) -> Response:
    q = query_params(ctx.request)
    plan = ctx.planner.delete(table, q, ctx.representation(q))
    b = Builder()
    m = Mutations(b, table)
    return _write_answer(ctx, await _run_write(ctx, m, b, [m.delete(plan)], plan.returning))


async def _run_write(ctx: RestContext, m: Mutations, b: Builder, statements: list[str],
                     returning: ReadPlan | None) -> Result:
    """With a representation: one statement reading the written rows; without: the statements, counted."""
    if returning is not None:
        stmt = m.with_returning(statements, returning)
        return await ctx.run(stmt, b.params, read_only=False, check=_max_affected_check(ctx.prefer, ctx.accept))
    return await ctx.run_many(statements, b.params, check=_max_affected_check(ctx.prefer, Accept()))


def _write_answer(ctx: RestContext, result: Result) -> Response:
    headers = {"Content-Range": _content_range(0, result, ctx.count)}
    if ctx.prefer.representation:
        return _answer(result, status=200, accept=ctx.accept, headers=headers)
    return Response(status_code=204, headers=headers)


@rest_endpoint
async def rpc_endpoint(request: Request) -> Response:
    ctx = RestContext(request)
    name = request.path_params["function"]
    ctx.negotiate("representation")
    from_query = request.method in ("GET", "HEAD")
    if from_query:
        args = ctx.planner.query_arguments(ctx.schema, name, request.query_params.items())
    elif request.method == "POST":
        args = await _json_body(request, empty={})
        if not isinstance(args, dict):
            raise ApiError(400, "PGRST102", "Function arguments must be a JSON object")
    else:
        raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {request.method}")
    # The function first: its parameters decide which query keys are arguments and which filter.
    fn = ctx.planner.function(ctx.schema, name, set(args))
    plan = ctx.planner.rpc(fn, args, query_params(request, skip=set(args)), from_query=from_query,
                           count=ctx.count, single=ctx.accept.single, strip_nulls=ctx.accept.strip_nulls)
    b = Builder()
    stmt = rpc_statement(b, plan)
    read_only = from_query or fn.volatility in ("s", "i")
    check = _single_check(ctx.accept) if plan.shape == "rows" else None
    result = await ctx.run(stmt, b.params, read_only=read_only, check=check)
    if plan.shape == "void":
        return Response(status_code=204)
    headers = {"Content-Range": _content_range(plan.offset, result, ctx.count)}
    return _answer(result, status=200, accept=ctx.accept, head=request.method == "HEAD", headers=headers)


@rest_endpoint
async def root_endpoint(request: Request) -> Response:
    ctx = RestContext(request)
    tables = sorted(name for (schema, name) in ctx.cache.tables if schema == ctx.schema)
    return JSONResponse({"swagger": "2.0", "info": {"title": "CityLoop local REST", "version": "12"},
                         "paths": {f"/{t}": {} for t in tables}})


def rest_routes() -> list[Route]:
    return [
        Route("/", root_endpoint, methods=["GET", "HEAD"]),
        Route("/rpc/{function}", rpc_endpoint, methods=["GET", "POST", "HEAD"]),
        Route("/{table}", table_endpoint, methods=["GET", "HEAD", "POST", "PATCH", "DELETE"]),
    ]
