"""What every Storage request needs: the caller, the state folder layout, transactions, JSON bodies.

Reads and writes of `storage.objects` and `storage.buckets` run as the caller
(`caller_transaction`: their role and JWT claims, so RLS decides). Routes that
authorise by themselves (public buckets, signed URLs) and internal reads (a
bucket's limits) use the storage pool, logged in as `supabase_storage_admin`,
the tables' owner: upstream's `asSuperUser()`, without being a superuser.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, AsyncIterator

import psycopg
from psycopg.rows import dict_row
from starlette.requests import Request

from ..gateway.db import caller_transaction, headers_json
from ..gateway.db_share import ShareRefused
from ..gateway.json_body import JsonBodyError, parse_json
from ..gateway.keys import API_ROLES, Caller, KeyError_
from ..gateway.state import GatewayState, gateway_state
from . import errors
from .paths import Layout

Row = dict[str, Any]


class StorageContext:
    def __init__(self, request: Request, *, authenticate: bool = True):
        self.request = request
        self.state: GatewayState = gateway_state(request)
        self.settings = self.state.settings
        self.layout = Layout(self.settings.storage_dir)
        self.caller: Caller | None = _caller(self.state, request) if authenticate else None

    # ------------------------------------------------------------ who

    @property
    def owner_id(self) -> str | None:
        return self.caller.user_id if self.caller else None

    @property
    def owner_uuid(self) -> str | None:
        """`owner` is a uuid column; a `sub` that is no uuid is kept in `owner_id` only."""
        return as_uuid(self.owner_id)

    # ------------------------------------------------------------ transactions

    @asynccontextmanager
    async def as_caller(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """One transaction as the caller's role with their claims: RLS decides every row."""
        assert self.caller is not None
        scope = self.request.scope
        address = self.state.client_address(scope)
        headers = headers_json(scope["headers"], address)
        try:
            # A fair share of the pool (gateway/db_share.py); only its entry refuses, never the body.
            async with self.state.db_share.slot(self.caller.role, self.state.limit_key(scope)), \
                    caller_transaction(self.state.rest_pool, self.caller, method=self.request.method,
                                       path=self.request.url.path, headers=headers) as conn:
                yield conn
        except ShareRefused as exc:
            code = "SlowDown" if exc.status == 429 else "ServiceUnavailable"
            raise errors.StorageError(exc.status, code, exc.message) from None

    @asynccontextmanager
    async def as_service(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """One transaction as the storage service itself (table owner, RLS does not apply)."""
        async with self.state.storage_pool.connection() as conn:
            async with conn.transaction():
                yield conn

    def transaction(self, *, as_service: bool = False) -> AbstractAsyncContextManager[psycopg.AsyncConnection]:
        return self.as_service() if as_service or self.caller is None else self.as_caller()

    # ------------------------------------------------------------ bodies

    async def json(self) -> dict[str, Any]:
        parts: list[bytes] = []
        size = 0
        # Storage's routes take uploads up to the upload limit (gateway/limits.py); a JSON body gets
        # the cap of every other JSON body, checked while it streams.
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                raise errors.entity_too_large("request body")
            parts.append(chunk)
        raw = b"".join(parts)
        if not raw.strip():
            return {}
        try:
            body = parse_json(raw, max_depth=self.settings.max_json_depth)
        except JsonBodyError as exc:
            raise errors.invalid_request(f"Body is not valid JSON: {exc.message}") from None
        if not isinstance(body, dict):
            raise errors.invalid_request("Body must be a JSON object")
        return body


async def query(conn: psycopg.AsyncConnection, statement: str, params: Any = None) -> psycopg.AsyncCursor:
    """Run one statement and wait for its result (errors surface here, even inside the caller's pipeline)."""
    cur = conn.cursor(row_factory=dict_row)
    async with conn.pipeline():  # nested in the caller's pipeline: syncs on exit
        await cur.execute(statement, params)
    return cur


async def fetch_one(conn: psycopg.AsyncConnection, statement: str, params: Any = None) -> Row | None:
    cur = await query(conn, statement, params)
    return await cur.fetchone()


async def fetch_all(conn: psycopg.AsyncConnection, statement: str, params: Any = None) -> list[Row]:
    cur = await query(conn, statement, params)
    return await cur.fetchall()


async def lock_object(conn: psycopg.AsyncConnection, bucket: str, name: str) -> None:
    """Writers of one object name take turns (as upstream's waitObjectLock), until their commit."""
    await query(conn, "select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{bucket}/{name}",))


def _caller(state: GatewayState, request: Request) -> Caller:
    try:
        caller = state.verifier.caller(request)
    except KeyError_ as exc:
        if exc.code == "PGRST000":  # the API key itself: the gateway in front of Storage refuses
            raise errors.unauthorized(exc.message) from None
        raise errors.access_denied(exc.message) from None  # a bad bearer token, as upstream's jwt plugin
    if caller.role not in API_ROLES:
        raise errors.access_denied(f'JWT role "{caller.role}" is not allowed')
    return caller


def as_uuid(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
