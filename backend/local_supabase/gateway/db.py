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
from typing import AsyncIterator, Mapping

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


@asynccontextmanager
async def caller_transaction(
    pool: AsyncConnectionPool,
    caller: Caller,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
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
    values = (caller.role, json.dumps(caller.claims), method, path, json.dumps(dict(headers)), search_path)
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
