"""Connection pools and the per-request transaction, set up exactly as PostgREST sets it.

The REST pool logs in as `authenticator` (not a superuser, NOINHERIT, member of
anon/authenticated/service_role only). Each request runs in one transaction that
first switches to the caller's role and publishes the JWT claims, so RLS decides.
`set_config(..., true)` is transaction-local: nothing leaks to the next request
that borrows the same connection.

`SET ROLE` does not apply a role's own settings (`alter role anon set
statement_timeout = '3s'`), so, as PostgREST does, the prelude applies them: the
schema cache reads them from `pg_db_role_setting` (rest/schema_cache.py) and hands
them to the pool (`RolePool.role_settings`); every transaction opened here, and the
realtime visibility checks, take them from there. A role without a setting keeps
the login's own (authenticator's). Names and values are bound parameters.

`request.headers` carries the caller's resolved address as `x-forwarded-for`
(GatewayState.client_address, as hosted Supabase's edge sets it): a value the
caller wrote is never passed on.
"""

from __future__ import annotations

import functools
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Iterable, Mapping

import psycopg
from psycopg_pool import AsyncConnectionPool

from .keys import Caller

# role -> ((setting, value), ...): the roles' own settings, as `pg_db_role_setting` holds them.
RoleSettings = Mapping[str, tuple[tuple[str, str], ...]]

_PRELUDE = (
    "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true), "
    "set_config('request.method', %s, true), set_config('request.path', %s, true), "
    "set_config('request.headers', %s, true), set_config('search_path', %s, true)"
)
_SETTING = ", set_config(%s, %s, true)"
_READ_ONLY = ", set_config('transaction_read_only', 'on', true)"


class RolePool(AsyncConnectionPool):
    """A pool whose login switches to the API roles, knowing those roles' own settings."""

    role_settings: RoleSettings = {}


def role_settings(pool: AsyncConnectionPool, role: str) -> tuple[tuple[str, str], ...]:
    return getattr(pool, "role_settings", {}).get(role, ())


@functools.lru_cache(maxsize=16)
def _prelude(settings: int, read_only: bool) -> str:
    return _PRELUDE + _SETTING * settings + (_READ_ONLY if read_only else "")


def headers_json(headers: Iterable[tuple[bytes | str, bytes | str]], client_address: str | None) -> str:
    """`request.headers` as PostgREST publishes it (lower-case names, the last of a repeated name wins),
    with `x-forwarded-for` set to the resolved client address (dropped when there is none)."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
        out[key] = value.decode("latin-1") if isinstance(value, bytes) else value
    out.pop("x-forwarded-for", None)
    if client_address is not None:
        out["x-forwarded-for"] = client_address
    return json.dumps(out)


async def open_pool(conninfo: str, *, min_size: int = 2, max_size: int = 10, name: str = "pool") -> RolePool:
    pool = RolePool(
        conninfo, min_size=min_size, max_size=max_size, open=False, name=name,
        kwargs={"autocommit": True, "application_name": f"cityloop-gateway-{name}"},
    )
    await pool.open(wait=True, timeout=30)
    return pool


def _prelude_values(pool: AsyncConnectionPool, caller: Caller, method: str, path: str,
                    headers: Mapping[str, str] | str, search_path: str) -> tuple[int, tuple[str, ...]]:
    """How many role settings the prelude applies, and its parameters. `headers` may already be
    `headers_json()`'s text; the claims' JSON is made once per token (`Caller.claims_json`)."""
    claims = caller.claims_json if caller.claims_json is not None else json.dumps(caller.claims)
    headers_text = headers if isinstance(headers, str) else headers_json(headers.items(), None)
    own = role_settings(pool, caller.role)
    return len(own), (caller.role, claims, method, path, headers_text, search_path, *(x for kv in own for x in kv))


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
    settings, values = _prelude_values(pool, caller, method, path, headers, search_path)
    async with pool.connection() as conn:
        if read_only:
            async with conn.pipeline():
                await conn.execute(_prelude(settings, True), values)
                yield conn
        else:
            async with conn.pipeline():
                async with conn.transaction():
                    await conn.execute(_prelude(settings, False), values)
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
    settings, values = _prelude_values(pool, caller, method, path, headers, search_path)
    async with pool.connection() as conn:
        if read_only:
            async with conn.pipeline():
                await conn.execute(_prelude(settings, True), values)
                cur = await conn.execute(statement, params)
        else:
            async with conn.pipeline(), conn.transaction():
                await conn.execute(_prelude(settings, False), values)
                cur = await conn.execute(statement, params)
                row = await cur.fetchone()
                if check is not None:
                    check(row)  # raising here rolls the transaction back
                return row
    row = await cur.fetchone()
    if check is not None:
        check(row)
    return row
