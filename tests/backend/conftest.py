"""Fixtures for the backend tests: the test-only `tests` schema through supabase-py, as each kind of caller."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest
from postgrest import SyncPostgrestClient
from supabase import Client

from tests.backend.realtime_support import realtime_client
from tests.conftest import StackInfo, TestUser


@pytest.fixture(scope="session")
def as_service(service: Client) -> SyncPostgrestClient:
    """The service role (bypasses RLS) on the `tests` schema."""
    return service.schema("tests")


@pytest.fixture()
def as_anon(stack: StackInfo) -> SyncPostgrestClient:
    """The anon key alone on the `tests` schema."""
    return stack.client(schema="tests").schema("tests")


@pytest.fixture(scope="session")
def user_a(make_user) -> TestUser:
    """A signed-in person whose client defaults to the `tests` schema."""
    return make_user(schema="tests")


@pytest.fixture(scope="session")
def user_b(make_user) -> TestUser:
    """Another signed-in person, to check that A and B never see each other's rows."""
    return make_user(schema="tests")


@pytest.fixture()
async def rt(stack: StackInfo):
    """Factory of supabase-py async clients (the only ones with Realtime), closed after the test."""
    clients = []

    async def make(token: str | None = None, url: str | None = None, **realtime):
        client = await realtime_client(url or stack.url, stack.anon_key, token, **realtime)
        clients.append(client)
        return client

    yield make
    for client in clients:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.remove_all_channels(), 5)


@pytest.fixture()
async def adb(stack: StackInfo):
    """An async superuser connection for writes that Realtime should report."""
    async with await psycopg.AsyncConnection.connect(stack.database_url, autocommit=True) as conn:
        yield conn
