"""`/object`: upload, update, download, info, remove, move, copy.

Access is decided as upstream decides it, by reading and writing
storage.objects rows as the caller: upload needs INSERT (and, to overwrite,
SELECT and UPDATE), download and info need SELECT, remove needs SELECT and
DELETE, move SELECT and UPDATE, copy SELECT on the source and INSERT on the
destination. Public buckets and signed URLs are read as the storage service.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import body, errors, limits, paths, shapes, writes
from .buckets import remove_files
from .context import Row, StorageContext, fetch_all, fetch_one
from .files import open_version
from .serve import object_response


# ---------------------------------------------------------------- upload / update

async def upload_object(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    upsert = request.headers.get("x-upsert", "").lower() == "true"
    return await store(ctx, bucket, name, upsert=upsert, owner_id=ctx.owner_id, owner_uuid=ctx.owner_uuid)


async def update_object(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    return await store(ctx, bucket, name, upsert=True, owner_id=ctx.owner_id, owner_uuid=ctx.owner_uuid)


async def store(ctx: StorageContext, bucket: str, name: str, *, upsert: bool, owner_id: str | None,
                owner_uuid: str | None, as_service: bool = False) -> Response:
    """Check the bucket and the caller's right to write, then stream the body in and commit the row."""
    config = await bucket_config(ctx, bucket)
    target = writes.Target(bucket, name, owner_id, owner_uuid, upsert)
    await writes.probe(ctx, target, as_service=as_service)
    placeholder = paths.is_placeholder(name)  # a folder marker: empty, any type, as upstream
    rules = body.Rules(
        limit=0 if placeholder else limits.upload_limit(config["file_size_limit"], ctx.settings.storage_max_bytes),
        allowed_mime_types=None if placeholder else config["allowed_mime_types"],
        drain_limit=ctx.settings.storage_max_bytes,
        max_json_depth=ctx.settings.max_json_depth,
    )
    upload = await body.receive(ctx.request, ctx.layout.temp_dir, rules)
    try:
        now = dt.datetime.now(dt.timezone.utc)
        metadata = shapes.file_metadata(size=upload.temp.size, mimetype=upload.mimetype,
                                        cache_control=upload.cache_control, etag=upload.temp.etag, now=now)
        written = await writes.write_new_version(ctx, target, upload.temp.path, metadata, upload.user_metadata,
                                                 as_service=as_service)
    finally:
        upload.temp.discard()  # a no-op once the file was renamed into place
    return JSONResponse({"Id": written.id, "Key": f"{bucket}/{name}"})


async def bucket_config(ctx: StorageContext, bucket: str) -> Row:
    async with ctx.as_service() as conn:
        row = await fetch_one(conn, "select id, public, file_size_limit, allowed_mime_types"
                                    " from storage.buckets where id = %s", (bucket,))
    if row is None:
        raise errors.no_such_bucket()
    return row


# ---------------------------------------------------------------- download / info

async def download_object(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    row, file = await open_object(ctx, bucket, name)
    return object_response(request, row, file)


async def download_public_object(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request, authenticate=False)
    await _public_bucket(ctx, bucket)
    row, file = await open_object(ctx, bucket, name, as_service=True)
    return object_response(request, row, file)


async def object_info(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    row = await find_object(ctx, bucket, name)
    return JSONResponse(shapes.object_info(row))


async def public_object_info(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request, authenticate=False)
    await _public_bucket(ctx, bucket)
    row = await find_object(ctx, bucket, name, as_service=True)
    return JSONResponse(shapes.object_info(row))


async def find_object(ctx: StorageContext, bucket: str, name: str, *, as_service: bool = False) -> Row:
    async with ctx.transaction(as_service=as_service) as conn:
        row = await fetch_one(conn, f"select {shapes.OBJECT_COLUMNS} from storage.objects"
                                    " where bucket_id = %s and name = %s", (bucket, name))
    if row is None:
        raise errors.no_such_key()
    return row


async def open_object(ctx: StorageContext, bucket: str, name: str, *,
                      as_service: bool = False) -> tuple[Row, IO[bytes]]:
    """The row (as the caller may see it) and its open version file."""
    for _ in range(3):  # an overwrite may replace the version between reading the row and opening its file
        row = await find_object(ctx, bucket, name, as_service=as_service)
        file = open_version(ctx.layout.version_file(bucket, name, row.get("version")))
        if file is not None:
            return row, file
    raise errors.no_such_key()


async def _public_bucket(ctx: StorageContext, bucket: str) -> None:
    async with ctx.as_service() as conn:
        row = await fetch_one(conn, "select 1 as found from storage.buckets where id = %s and public", (bucket,))
    if row is None:
        raise errors.no_such_bucket()


# ---------------------------------------------------------------- remove / move / copy

async def remove_objects(request: Request) -> Response:
    bucket = paths.bucket_id(request.path_params["bucket"])
    ctx = StorageContext(request)
    data = await ctx.json()
    prefixes = data.get("prefixes")
    if not isinstance(prefixes, list) or not prefixes or not all(isinstance(p, str) for p in prefixes):
        raise errors.invalid_request("body must have required property 'prefixes' (a non-empty list of names)")
    async with ctx.as_caller() as conn:
        # RLS: only rows the caller may see (SELECT) and delete (DELETE) go; the others stay, silently.
        rows = await fetch_all(conn, f"delete from storage.objects where bucket_id = %s and name = any(%s)"
                                     f" returning {shapes.OBJECT_COLUMNS}", (bucket, prefixes))
    remove_files(ctx, bucket, rows)
    return JSONResponse([shapes.stored_object(r) for r in rows])


async def delete_object(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    async with ctx.as_caller() as conn:
        rows = await fetch_all(conn, "delete from storage.objects where bucket_id = %s and name = %s"
                                     " returning name, version", (bucket, name))
    if not rows:
        raise errors.no_such_key()
    remove_files(ctx, bucket, rows)
    return JSONResponse({"message": "Successfully deleted"})


async def move_object(request: Request) -> Response:
    ctx = StorageContext(request)
    bucket, source, dest_bucket, dest = await _transfer_body(ctx)
    moved = await writes.move(ctx, bucket, source, dest_bucket, dest)
    return JSONResponse({"message": "Successfully moved", "Id": moved["id"], "Key": dest})


async def copy_object(request: Request) -> Response:
    ctx = StorageContext(request)
    bucket, source, dest_bucket, dest = await _transfer_body(ctx)
    upsert = request.headers.get("x-upsert", "").lower() == "true"
    row, path = await writes.read_source(ctx, bucket, source)
    await bucket_config(ctx, dest_bucket)
    target = writes.Target(dest_bucket, dest, ctx.owner_id, ctx.owner_uuid, upsert)
    metadata = writes.fresh_metadata(row.get("metadata"), dt.datetime.now(dt.timezone.utc))
    written = await writes.write_new_version(ctx, target, path, metadata, row.get("user_metadata"), linked=True)
    now = dt.datetime.now(dt.timezone.utc)
    copied = shapes.stored_object({**row, "id": written.id, "bucket_id": dest_bucket, "name": dest,
                                   "owner": ctx.owner_uuid, "owner_id": ctx.owner_id, "version": written.version,
                                   "metadata": metadata, "created_at": now, "updated_at": now})
    return JSONResponse({"Id": written.id, "Key": f"{dest_bucket}/{dest}", **copied})


async def _transfer_body(ctx: StorageContext) -> tuple[str, str, str, str]:
    data = await ctx.json()
    for field in ("bucketId", "sourceKey", "destinationKey"):
        if not isinstance(data.get(field), str):
            raise errors.invalid_request(f"body must have required property '{field}'")
    bucket = paths.bucket_id(data["bucketId"])
    dest_bucket = paths.bucket_id(data.get("destinationBucket") or bucket)
    return bucket, paths.object_name(data["sourceKey"]), dest_bucket, paths.object_name(data["destinationKey"])
