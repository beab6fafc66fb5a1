"""Fixtures for the REST tests: the test-only `tests` schema through supabase-py, as each kind of caller."""

from __future__ import annotations

import pytest
from postgrest import SyncPostgrestClient
from supabase import Client

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
