"""Test-suite set-up: one real local stack per test session.

The stack runs from a temporary state folder on free ports, so a developer's
`make run` keeps working beside the tests. Everything goes through the real
HTTP API with the unmodified supabase-py client; `DATABASE_URL` (superuser) is
used only to install the test-only schema and to compare answers with SQL.
Set `CITYLOOP_TEST_DATABASE_URL` to run the suite against another PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg
import pytest
from supabase import Client, ClientOptions, create_client

FIXTURES = Path(__file__).parent / "fixtures"
STORAGE_MAX_BYTES = 4 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class StackInfo:
    url: str
    anon_key: str
    service_key: str
    database_url: str
    jwt_secret: str
    home: Path

    def client(self, key: str | None = None, schema: str = "public") -> Client:
        return create_client(self.url, key or self.anon_key,
                             options=ClientOptions(schema=schema, auto_refresh_token=False, persist_session=False))


@pytest.fixture(scope="session")
def stack() -> StackInfo:
    from backend.functions.local import local_stack

    # Not pytest's tmp_path: pytest keeps its base folder at mode 0700, which the
    # database's own system user (when tests run as root) could not enter.
    home = Path(tempfile.mkdtemp(prefix="cityloop-test-"))
    os.environ.update({
        "CITYLOOP_HOME": str(home),
        "CITYLOOP_API_PORT": str(free_port()),
        "CITYLOOP_DB_PORT": str(free_port()),
        "CITYLOOP_DB_SCHEMAS": "public,graphql_public,tests",
        # The whole suite signs in from 127.0.0.1; the per-address limit has its own test.
        "CITYLOOP_SIGNIN_ADDRESS_ATTEMPTS": "100000",
        # Likewise its concurrency tests (100 identical payments at once); the share has its own test.
        "CITYLOOP_DB_REQUESTS_PER_ADDRESS": "100000",
        # Likewise sign-ups, code requests and code checks (their own tests start stricter gateways).
        "CITYLOOP_SIGNUP_ADDRESS_ATTEMPTS": "100000",
        "CITYLOOP_VERIFY_ADDRESS_ATTEMPTS": "100000",
        # Small enough that the Storage tests can pass the global upload limit cheaply.
        "CITYLOOP_STORAGE_MAX_BYTES": str(STORAGE_MAX_BYTES),
        # The SMS job's tests drive it themselves, towards their own test server.
        "CITYLOOP_SMS_INTERVAL": "0",
    })
    if os.environ.get("CITYLOOP_TEST_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["CITYLOOP_TEST_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    s = local_stack()  # the stack with the application's functions and jobs, as `cityloop` starts it
    s.start()
    env = s.env()
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        for path in sorted(FIXTURES.glob("*.sql")):
            conn.execute(path.read_text(encoding="utf-8"))
        conn.execute("notify pgrst, 'reload schema'")
    info = StackInfo(env["SUPABASE_URL"], env["SUPABASE_ANON_KEY"], env["SUPABASE_SERVICE_ROLE_KEY"],
                     env["DATABASE_URL"], s.secrets.jwt_secret, home)
    _wait_for_schema(info)
    yield info
    s.stop()
    if s.embedded is not None:
        s.embedded.destroy()
    shutil.rmtree(home, ignore_errors=True)


def _wait_for_schema(info: StackInfo, timeout: float = 15) -> None:
    """The fixture tables appear once the gateway has reloaded its schema cache."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(f"{info.url}/rest/v1/notes?select=id&limit=0",
                      headers={"apikey": info.service_key, "Authorization": f"Bearer {info.service_key}",
                               "Accept-Profile": "tests"})
        if r.status_code == 200 or time.monotonic() > deadline:
            return
        time.sleep(0.1)


@pytest.fixture(scope="session")
def db(stack: StackInfo):
    """A superuser connection, for set-up and for comparing answers with plain SQL."""
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def service(stack: StackInfo) -> Client:
    return stack.client(stack.service_key)


@pytest.fixture()
def anon(stack: StackInfo) -> Client:
    return stack.client()


@dataclass
class TestUser:
    id: str
    email: str
    password: str
    client: Client
    access_token: str


@pytest.fixture(scope="session")
def make_user(stack: StackInfo, service: Client) -> Callable[..., TestUser]:
    """Create a confirmed user through the admin API and sign them in through /auth/v1."""

    def _make(app_metadata: dict | None = None, schema: str = "public", **user_metadata) -> TestUser:
        email = f"u{uuid.uuid4().hex[:12]}@test.cityloop.local"
        password = "pw-" + uuid.uuid4().hex
        created = service.auth.admin.create_user({
            "email": email, "password": password, "email_confirm": True,
            "app_metadata": app_metadata or {}, "user_metadata": user_metadata,
        })
        client = stack.client(schema=schema)
        session = client.auth.sign_in_with_password({"email": email, "password": password}).session
        return TestUser(created.user.id, email, password, client, session.access_token)

    return _make
