"""`/bucket`: create, get, list, update, empty, delete, each run as the caller against storage.buckets.

RLS decides: the service role bypasses it; anon and authenticated need policies
on storage.buckets (and on storage.objects to empty a bucket). Statements carry
no RETURNING, so creating or changing a bucket needs only INSERT or UPDATE
rights, as upstream.
"""

from __future__ import annotations

from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import errors, files, limits, paths, shapes
from .context import StorageContext, fetch_all, fetch_one, query

_SORT_COLUMNS = {"id", "name", "created_at", "updated_at"}


async def list_buckets(request: Request) -> Response:
    ctx = StorageContext(request)
    q = request.query_params
    column = q.get("sortColumn", "name")
    order = q.get("sortOrder", "asc").lower()
    if column not in _SORT_COLUMNS or order not in ("asc", "desc"):
        raise errors.invalid_request("sortColumn must be id, name, created_at or updated_at; sortOrder asc or desc")
    params = {
        "limit": _int_param(q.get("limit"), "limit", minimum=1),
        "offset": _int_param(q.get("offset"), "offset", minimum=0) or 0,
        "search": _like_pattern(q["search"]) if q.get("search") else None,
    }
    # Identifiers come from the fixed set above, never from the request text.
    statement = (f"select {shapes.BUCKET_COLUMNS} from storage.buckets"
                 " where (%(search)s::text is null or name ilike %(search)s escape '\\')"
                 f" order by {column} {order}, id limit %(limit)s offset %(offset)s")
    async with ctx.as_caller() as conn:
        rows = await fetch_all(conn, statement, params)
    return JSONResponse([shapes.bucket(r) for r in rows])


async def get_bucket(request: Request) -> Response:
    ctx = StorageContext(request)
    bucket = paths.bucket_id(request.path_params["bucket"])
    async with ctx.as_caller() as conn:
        row = await fetch_one(conn, f"select {shapes.BUCKET_COLUMNS} from storage.buckets where id = %s", (bucket,))
    if row is None:
        raise errors.no_such_bucket()
    return JSONResponse(shapes.bucket(row))


async def create_bucket(request: Request) -> Response:
    ctx = StorageContext(request)
    body = await ctx.json()
    name = body.get("name")
    if name is None:
        raise errors.invalid_request("body must have required property 'name'")
    name = paths.bucket_id(name)
    bucket = paths.bucket_id(body.get("id") or name)
    public = body.get("public", False)
    if public is None:
        public = False
    if not isinstance(public, bool):
        raise errors.invalid_request("public must be a boolean")
    size_limit = limits.file_size_limit(body.get("file_size_limit"), ctx.settings.storage_max_bytes)
    mime_types = limits.allowed_mime_types(body.get("allowed_mime_types"))
    async with ctx.as_caller() as conn:
        await query(conn, "insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit,"
                          " allowed_mime_types) values (%s, %s, %s, %s, %s, %s, %s)",
                    (bucket, name, ctx.owner_uuid, ctx.owner_id, public, size_limit, mime_types))
    return JSONResponse({"name": name})


async def update_bucket(request: Request) -> Response:
    ctx = StorageContext(request)
    bucket = paths.bucket_id(request.path_params["bucket"])
    body = await ctx.json()
    sets = ["updated_at = now()"]
    values: list[Any] = []
    # Only what the body names changes; a null limit or MIME list removes the restriction.
    if "public" in body and body["public"] is not None:
        if not isinstance(body["public"], bool):
            raise errors.invalid_request("public must be a boolean")
        sets.append("public = %s")
        values.append(body["public"])
    if "file_size_limit" in body:
        sets.append("file_size_limit = %s")
        values.append(limits.file_size_limit(body["file_size_limit"], ctx.settings.storage_max_bytes))
    if "allowed_mime_types" in body:
        sets.append("allowed_mime_types = %s")
        values.append(limits.allowed_mime_types(body["allowed_mime_types"]))
    async with ctx.as_caller() as conn:
        cur = await query(conn, f"update storage.buckets set {', '.join(sets)} where id = %s", (*values, bucket))
        if cur.rowcount == 0:
            raise errors.no_such_bucket()
    return JSONResponse({"message": "Successfully updated"})


async def empty_bucket(request: Request) -> Response:
    ctx = StorageContext(request)
    bucket = paths.bucket_id(request.path_params["bucket"])
    async with ctx.as_caller() as conn:
        if await fetch_one(conn, "select 1 as found from storage.buckets where id = %s", (bucket,)) is None:
            raise errors.no_such_bucket()
        visible = await fetch_all(conn, "select name from storage.objects where bucket_id = %s", (bucket,))
        deleted = await fetch_all(conn, "delete from storage.objects where bucket_id = %s returning name, version",
                                  (bucket,))
        if len(deleted) < len(visible):
            # All or nothing: raising here rolls every deletion back.
            kept = sorted({r["name"] for r in visible} - {r["name"] for r in deleted})
            raise errors.access_denied(f"Cannot delete: {' ,'.join(kept[:20])}, "
                                       "you may have SELECT but not DELETE permissions")
    remove_files(ctx, bucket, deleted)
    return JSONResponse({"message": "Successfully emptied"})


async def delete_bucket(request: Request) -> Response:
    ctx = StorageContext(request)
    bucket = paths.bucket_id(request.path_params["bucket"])
    # Objects the caller cannot see still keep the bucket, as upstream counts them as its superuser.
    async with ctx.as_service() as conn:
        if await fetch_one(conn, "select 1 as found from storage.objects where bucket_id = %s limit 1", (bucket,)):
            raise errors.bucket_not_empty()
    async with ctx.as_caller() as conn:
        try:
            cur = await query(conn, "delete from storage.buckets where id = %s", (bucket,))
        except psycopg.Error as exc:  # an object arrived meanwhile: the foreign key refuses
            if exc.sqlstate == "23503":
                raise errors.bucket_not_empty() from None
            raise
        if cur.rowcount == 0:
            raise errors.no_such_bucket()
    files.prune_tree(ctx.layout.bucket_dir(bucket))
    return JSONResponse({"message": "Successfully deleted"})


def remove_files(ctx: StorageContext, bucket: str, rows: list[dict]) -> None:
    """After the commit that deleted `rows`: their version files go, and the folders they leave empty."""
    stop_at = ctx.layout.bucket_dir(bucket)
    for row in rows:
        try:
            path = ctx.layout.version_file(bucket, row["name"], row.get("version"))
        except errors.StorageError:  # a name written by hand that could never be a path
            continue
        files.remove(path, stop_at)


def _int_param(value: str | None, name: str, *, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise errors.invalid_parameter(name, f"{name} must be an integer") from None
    if number < minimum:
        raise errors.invalid_parameter(name, f"{name} must be >= {minimum}")
    return number


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
