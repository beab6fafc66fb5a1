"""What the Storage tests share: raw HTTP calls, the rows and files an object leaves behind, error checks.

The features are driven through supabase-py's storage client; raw `httpx` is
used where a test needs a request the client would not send (a traversal name,
a forged token, no API key) or a header the client hides.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from storage3.exceptions import StorageApiError

from tests.conftest import StackInfo

# Text that would mean internals reached a client.
LEAKS = ("Traceback", "psycopg", "syntax error", 'File "', "starlette", "sqlstate")


def tag() -> str:
    return uuid.uuid4().hex[:10]


def storage_root(stack: StackInfo) -> Path:
    return stack.home / "storage"


def version_files(stack: StackInfo, bucket: str, name: str) -> list[Path]:
    """The files in an object's folder: its version files (one for a settled object)."""
    folder = storage_root(stack) / bucket / name
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def temp_files(stack: StackInfo) -> list[Path]:
    folder = storage_root(stack) / "~tmp"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def files_under(stack: StackInfo, bucket: str, prefix: str = "") -> list[str]:
    """Every file below a bucket folder (or a folder in it), relative to the bucket folder."""
    base = storage_root(stack) / bucket
    start = base / prefix if prefix else base
    if not start.exists():
        return []
    return sorted(str(p.relative_to(base)) for p in start.rglob("*") if p.is_file())


def object_row(db: psycopg.Connection, bucket: str, name: str) -> dict[str, Any] | None:
    row = db.execute("select to_jsonb(o) from storage.objects o where bucket_id = %s and name = %s",
                     (bucket, name)).fetchone()
    return row[0] if row else None


def snapshot(db: psycopg.Connection, stack: StackInfo, bucket: str, prefix: str) -> tuple:
    """Rows and files under a prefix: equal before and after means nothing changed."""
    rows = db.execute("select name, version, metadata::text, owner_id from storage.objects"
                      " where bucket_id = %s and name like %s order by name",
                      (bucket, prefix.replace("%", r"\%").replace("_", r"\_") + "%")).fetchall()
    return rows, files_under(stack, bucket, prefix.rstrip("/") if "/" in prefix else "")


def assert_settled(stack: StackInfo, db: psycopg.Connection, bucket: str, name: str, content: bytes) -> None:
    """The row names exactly one version file, holding `content`, and no temporary file is left."""
    row = object_row(db, bucket, name)
    assert row is not None, f"no row for {bucket}/{name}"
    files = version_files(stack, bucket, name)
    assert [p.name for p in files] == [row["version"]]
    assert files[0].read_bytes() == content
    assert row["metadata"]["size"] == len(content)
    assert temp_files(stack) == []


def assert_absent(stack: StackInfo, db: psycopg.Connection, bucket: str, name: str) -> None:
    assert object_row(db, bucket, name) is None
    assert not (storage_root(stack) / bucket / name).exists()
    assert temp_files(stack) == []


def raw(stack: StackInfo, method: str, path: str, *, key: str | None = "anon", token: str | None = None,
        **kwargs: Any) -> httpx.Response:
    """One request to /storage/v1 with exactly the headers given: `key` is "anon", "service" or None."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if key is not None:
        headers["apikey"] = stack.anon_key if key == "anon" else stack.service_key
    bearer = token or (headers.get("apikey") if key is not None else None)
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return httpx.request(method, f"{stack.url}/storage/v1{path}", headers=headers, timeout=30, **kwargs)


def assert_error(response: httpx.Response, status: int, error: str | None = None, *, http: int | None = None) -> dict:
    """An answer in Storage's error shape, with upstream's body status (HTTP 400 for a 4xx, as upstream)."""
    assert response.status_code == (http or (status if status >= 500 else 400)), response.text
    body = response.json()
    assert set(body) >= {"statusCode", "error", "message"}, body
    assert body["statusCode"] == str(status), body
    if error is not None:
        assert body["error"] == error, body
    assert not any(leak in response.text for leak in LEAKS), response.text
    return body


def api_error(call, status: int, error: str | None = None) -> StorageApiError:
    """Run a storage3 call that must fail; return the client's error after checking status and error name."""
    with pytest.raises(StorageApiError) as caught:
        call()
    assert str(caught.value.status) == str(status), caught.value.to_dict()
    if error is not None:
        assert caught.value.code == error, caught.value.to_dict()
    return caught.value
