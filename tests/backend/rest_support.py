"""What the REST tests share: raw HTTP calls, answers computed in SQL, tokens, error checks.

The REST features are driven through supabase-py; raw `httpx` is used only where
a test needs a header or a status code the client hides.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import httpx
import jwt
import psycopg

from tests.conftest import StackInfo

ERROR_KEYS = {"code", "message", "details", "hint"}
# Text that would mean internals (a stack trace, the driver, raw SQL) reached a client.
LEAKS = ("Traceback", "psycopg", "syntax error at or near", 'File "', "asyncpg", "starlette")
# Every table the test fixtures install, for checksums of the whole `tests` schema.
FIXTURE_TABLES = ("notes", "authors", "books", "reviews", "kv", "tasks", "loans", "odd_names")


def sql_rows(db: psycopg.Connection, query: str, params: Any = None) -> list:
    """`query`'s rows as JSON values, built by PostgreSQL the way the gateway builds them."""
    row = db.execute(f"select coalesce(json_agg(_q), '[]'::json) from ({query}) as _q", params).fetchone()
    return row[0]


def sql_ids(db: psycopg.Connection, table: str, where: str, params: Any = None) -> list[int]:
    return [r["id"] for r in sql_rows(db, f"select id from tests.{table} where {where} order by id", params)]


def checksum(db: psycopg.Connection, tables: tuple[str, ...] = FIXTURE_TABLES) -> dict[str, str]:
    """One md5 per table over all its rows: equal before and after means nothing changed."""
    out = {}
    for table in tables:
        out[table] = db.execute(
            f"select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '')"
            f" from tests.{table} t").fetchone()[0]
    return out


def sign(stack: StackInfo, claims: dict[str, Any], *, algorithm: str = "HS256", secret: str | None = None) -> str:
    return jwt.encode(claims, secret or stack.jwt_secret, algorithm=algorithm)


def user_claims(sub: str, role: str = "authenticated", lifetime: int = 3600, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": sub, "role": role, "aud": "authenticated", "iat": now, "exp": now + lifetime,
            "email": f"{sub[:8]}@test.cityloop.local", **extra}


def rest(stack: StackInfo, method: str, path: str, *, key: str | None = "service", token: str | None = None,
         profile: str | None = "tests", params: Any = None, headers: dict[str, str] | None = None,
         body: Any = None, client: httpx.Client | None = None) -> httpx.Response:
    """One raw call to /rest/v1. `key`: "service", "anon", a literal key, or None for no apikey at all."""
    key = {"service": stack.service_key, "anon": stack.anon_key}.get(key, key) if key else None
    h: dict[str, str] = {}
    if key is not None:
        h["apikey"] = key
    if token or key:
        h["Authorization"] = f"Bearer {token or key}"
    if profile is not None:
        h["Accept-Profile" if method in ("GET", "HEAD") else "Content-Profile"] = profile
    h.update(headers or {})
    content = None if body is None else (body if isinstance(body, (str, bytes)) else json.dumps(body))
    if content is not None:
        h.setdefault("Content-Type", "application/json")
    send = client.request if client is not None else httpx.request
    return send(method, f"{stack.url}/rest/v1{path}", params=params, headers=h, content=content, timeout=30)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """A PostgREST-shaped error: the status, `{code, message, details, hint}`, no internals."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    assert not any(leak in response.text for leak in LEAKS), response.text
    return body


def reload_schema(db: psycopg.Connection, probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    """`NOTIFY pgrst, 'reload schema'`, then retry `probe` until it stops raising (or `timeout`)."""
    db.execute("notify pgrst, 'reload schema'")
    deadline = time.monotonic() + timeout
    while True:
        try:
            return probe()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
