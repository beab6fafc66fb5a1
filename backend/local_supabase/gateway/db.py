"""Connection pools and the per-request transaction, set up exactly as PostgREST sets it.

The REST pool logs in as `authenticator` (not a superuser, NOINHERIT, member of
anon/authenticated/service_role only). Each request runs in one transaction that
first switches to the caller's role and publishes the JWT claims, so RLS decides.
`set_config(..., true)` is transaction-local: nothing leaks to the next request
that borrows the same connection.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Mapping

import psycopg
from psycopg_pool import AsyncConnectionPool

from .keys import Caller

_PRELUDE = (
    "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true), "
    "set_config('request.method', %s, true), set_config('request.path', %s, true), "
    "set_config('request.headers', %s, true), set_config('search_path', %s, true)"
)
_READ_ONLY_PRELUDE = _PRELUDE + ", set_config('transaction_read_only', 'on', true)"


async def open_pool(conninfo: str, *, min_size: int = 2, max_size: int = 10, name: str = "pool") -> AsyncConnectionPool:
    pool = AsyncConnectionPool(
        conninfo, min_size=min_size, max_size=max_size, open=False, name=name,
        kwargs={"autocommit": True, "application_name": f"cityloop-gateway-{name}"},
    )
    await pool.open(wait=True, timeout=30)
    return pool


def _prelude_values(caller: Caller, method: str, path: str, headers: Mapping[str, str] | str,
                    search_path: str) -> tuple[str, ...]:
    """The prelude's parameters. `headers` may already be JSON text; the claims' JSON is made
    once per token (`Caller.claims_json`)."""
    claims = caller.claims_json if caller.claims_json is not None else json.dumps(caller.claims)
    headers_json = headers if isinstance(headers, str) else json.dumps(dict(headers))
    return (caller.role, claims, method, path, headers_json, search_path)


@asynccontextmanager
async def caller_transaction(
    pool: AsyncConnectionPool,
    caller: Caller,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str] | str,
    search_path: str = "public",
    read_only: bool = False,
) -> AsyncIterator[psycopg.AsyncConnection]:
    """Yield a connection inside a transaction running as the caller's role with its claims.

    Pipeline mode sends the statements together. A read-only request uses the
    extended protocol's implicit transaction: every statement up to the Sync
    that ends the pipeline shares one transaction (so the transaction-local role
    and claims hold for the query), and the whole request is one round trip
    without BEGIN/COMMIT. Its results are read after the block. Writes use an
    explicit transaction so the caller can look at the result and raise to roll
    back before COMMIT.
    """
    values = _prelude_values(caller, method, path, headers, search_path)
    async with pool.connection() as conn:
        if read_only:
            async with conn.pipeline():
                await conn.execute(_READ_ONLY_PRELUDE, values)
                yield conn
        else:
            async with conn.pipeline():
                async with conn.transaction():
                    await conn.execute(_PRELUDE, values)
                    yield conn


async def fetch_one_as_caller(
    pool: AsyncConnectionPool,
    caller: Caller,
    statement: str,
    params: Mapping[str, Any],
    *,
    method: str,
    path: str,
    headers: Mapping[str, str] | str,
    search_path: str = "public",
    read_only: bool = False,
    check: Callable[[Any], None] | None = None,
) -> Any:
    """`caller_transaction` for one statement: run it and return its first row.

    The same transactions, without the generator context manager on the hot path.
    `check(row)` runs before COMMIT for a write, so raising there rolls it back; a
    read is already over when it runs (its row is read after the Sync)."""
    values = _prelude_values(caller, method, path, headers, search_path)
    async with pool.connection() as conn:
        if read_only:
            async with conn.pipeline():
                await conn.execute(_READ_ONLY_PRELUDE, values)
                cur = await conn.execute(statement, params)
        else:
            async with conn.pipeline(), conn.transaction():
                await conn.execute(_PRELUDE, values)
                cur = await conn.execute(statement, params)
                row = await cur.fetchone()
                if check is not None:
                    check(row)  # raising here rolls the transaction back
                return row
    row = await cur.fetchone()
    if check is not None:
        check(row)
    return row
