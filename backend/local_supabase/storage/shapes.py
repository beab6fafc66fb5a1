"""JSON shapes Storage answers with: buckets, objects, object info, object metadata."""

from __future__ import annotations

import datetime as dt
from typing import Any

Row = dict[str, Any]

BUCKET_COLUMNS = "id, name, owner, owner_id, public, file_size_limit, allowed_mime_types, created_at, updated_at"
OBJECT_COLUMNS = ("id, bucket_id, name, owner, owner_id, version, metadata, user_metadata, "
                  "created_at, updated_at, last_accessed_at")


def iso(value: dt.datetime | None) -> str | None:
    """Timestamps as node-postgres renders them through JSON: UTC with milliseconds and a Z."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bucket(row: Row) -> Row:
    # Upstream's response schema types `owner` as a string, so a null owner is sent as "" (storage3 needs a str).
    owner = row.get("owner_id") or (str(row["owner"]) if row.get("owner") else "")
    return {
        "id": row["id"], "name": row["name"], "owner": owner, "public": bool(row["public"]),
        "file_size_limit": row["file_size_limit"], "allowed_mime_types": row["allowed_mime_types"],
        "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]), "type": "STANDARD",
    }


def stored_object(row: Row) -> Row:
    return {
        "id": str(row["id"]) if row.get("id") else None,
        "bucket_id": row["bucket_id"], "name": row["name"],
        "owner": str(row["owner"]) if row.get("owner") else None, "owner_id": row.get("owner_id"),
        "version": row.get("version"), "metadata": row.get("metadata"), "user_metadata": row.get("user_metadata"),
        "created_at": iso(row.get("created_at")), "updated_at": iso(row.get("updated_at")),
        "last_accessed_at": iso(row.get("last_accessed_at")),
    }


def object_info(row: Row) -> Row:
    """GET /object/info: upstream's InfoRenderer body."""
    meta = row.get("metadata") or {}
    return {
        "id": str(row["id"]), "name": row["name"], "version": row.get("version"), "bucket_id": row["bucket_id"],
        "size": meta.get("size"), "content_type": meta.get("mimetype"), "cache_control": meta.get("cacheControl"),
        "etag": meta.get("eTag"), "metadata": row.get("user_metadata"),
        "last_modified": iso(row.get("updated_at")), "created_at": iso(row.get("created_at")),
    }


def file_metadata(*, size: int, mimetype: str, cache_control: str, etag: str, now: dt.datetime) -> Row:
    """`storage.objects.metadata` as upstream writes it."""
    return {
        "eTag": etag, "size": size, "mimetype": mimetype, "cacheControl": cache_control,
        "lastModified": iso(now), "contentLength": size, "httpStatusCode": 200,
    }
