"""Writing objects: the row as the caller (RLS decides), the version file placed before COMMIT.

Every write of one object name takes the same advisory lock, reads the row it
replaces, writes the row, and renames (or links) the new version file into
place while the row is still uncommitted. If anything fails before COMMIT
completes, the new version file is removed again (unless the row did commit
after all); once the transaction has committed, the replaced version file is
removed. So a committed row always names a complete file, and a file is
never removed while a committed row still names it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import psycopg

from . import errors, files, shapes
from .context import Row, StorageContext, fetch_one, lock_object, query

log = logging.getLogger("cityloop.storage")

_INSERT = ("insert into storage.objects (id, bucket_id, name, owner, owner_id, version, metadata, user_metadata)"
           " values (%(id)s, %(bucket)s, %(name)s, %(owner)s, %(owner_id)s, %(version)s, %(metadata)s, %(user_metadata)s)")
_UPSERT = _INSERT + (" on conflict (bucket_id, name) do update set owner = excluded.owner,"
                     " owner_id = excluded.owner_id, version = excluded.version, metadata = excluded.metadata,"
                     " user_metadata = excluded.user_metadata, updated_at = now(), last_accessed_at = now()")


@dataclass
class Target:
    """Where an object is written, and by whom."""

    bucket: str
    name: str
    owner_id: str | None
    owner_uuid: str | None
    upsert: bool


@dataclass(frozen=True)
class Written:
    id: str
    version: str


class _Probe(Exception):
    """Raised to roll a permission probe back."""


async def probe(ctx: StorageContext, target: Target, *, as_service: bool = False) -> None:
    """Would the caller be allowed to write this row? Asked before any byte is read, as upstream's canUpload."""
    try:
        async with ctx.transaction(as_service=as_service) as conn:
            await query(conn, _UPSERT if target.upsert else _INSERT,
                        _row_params(target, str(uuid.uuid4()), "probe", None, None))
            raise _Probe
    except _Probe:
        return


async def write_new_version(ctx: StorageContext, target: Target, source: Path, metadata: Row,
                            user_metadata: Any, *, linked: bool = False, as_service: bool = False) -> Written:
    """Insert (or upsert) the row and put `source` in place as its new version.

    `source` is a finished temporary file (renamed) or, with `linked`, another
    object's version file (hard-linked, for copies).
    """
    version = str(uuid.uuid4())
    new_file = ctx.layout.version_file(target.bucket, target.name, version)
    placed = False
    previous: Row | None = None
    try:
        async with ctx.transaction(as_service=as_service) as conn:
            await lock_object(conn, target.bucket, target.name)
            previous = await fetch_one(conn, "select id, version from storage.objects"
                                             " where bucket_id = %s and name = %s", (target.bucket, target.name))
            if previous is not None and not target.upsert:
                raise errors.already_exists("KeyAlreadyExists")
            object_id = str(previous["id"]) if previous else str(uuid.uuid4())
            await query(conn, _UPSERT if target.upsert else _INSERT,
                        _row_params(target, object_id, version, metadata, user_metadata))
            try:
                (files.link if linked else files.place)(source, new_file)
            except FileNotFoundError:  # a copy's source was removed meanwhile
                raise errors.no_such_key() from None
            placed = True
    except BaseException:
        if placed:
            await _undo_placement(ctx, target, version, new_file)
        raise
    if previous is not None:
        _drop_version(ctx, target.bucket, target.name, previous.get("version"))
    return Written(object_id, version)


async def move(ctx: StorageContext, bucket: str, source: str, dest_bucket: str, dest: str) -> Row:
    """Rename an object (needs SELECT and UPDATE on it); its bytes get a new version file under the new name."""
    version = str(uuid.uuid4())
    new_file = ctx.layout.version_file(dest_bucket, dest, version)
    placed = False
    try:
        async with ctx.as_caller() as conn:
            for lock_bucket, lock_name in sorted({(bucket, source), (dest_bucket, dest)}):  # one order: no deadlock
                await lock_object(conn, lock_bucket, lock_name)
            row = await fetch_one(conn, "select id, version, metadata from storage.objects"
                                        " where bucket_id = %s and name = %s", (bucket, source))
            if row is None:
                raise errors.no_such_key()
            old_file = ctx.layout.version_file(bucket, source, row.get("version"))
            cur = await query(conn, "update storage.objects set bucket_id = %s, name = %s, version = %s,"
                                    " owner = %s, owner_id = %s, updated_at = now()"
                                    " where bucket_id = %s and name = %s",
                              (dest_bucket, dest, version, ctx.owner_uuid, ctx.owner_id, bucket, source))
            if cur.rowcount == 0:  # visible but not updatable: RLS filtered it out
                raise errors.no_such_key()
            if old_file is None or not old_file.exists():
                raise errors.no_such_key()
            files.link(old_file, new_file)
            placed = True
    except BaseException:
        if placed:
            await _undo_placement(ctx, Target(dest_bucket, dest, None, None, False), version, new_file)
        raise
    files.remove(old_file, ctx.layout.bucket_dir(bucket))
    return {"id": str(row["id"]), "name": dest, "bucket_id": dest_bucket, "version": version}


async def read_source(ctx: StorageContext, bucket: str, name: str) -> tuple[Row, Path]:
    """The object to copy from, as the caller sees it (SELECT), and its version file."""
    async with ctx.as_caller() as conn:
        row = await fetch_one(conn, f"select {shapes.OBJECT_COLUMNS} from storage.objects"
                                    " where bucket_id = %s and name = %s", (bucket, name))
    path = ctx.layout.version_file(bucket, name, row.get("version")) if row else None
    if row is None or path is None or not path.exists():
        raise errors.no_such_key()
    return row, path


def fresh_metadata(metadata: Row | None, now: dt.datetime) -> Row:
    out = dict(metadata or {})
    out["lastModified"] = shapes.iso(now)
    return out


def _row_params(target: Target, object_id: str, version: str, metadata: Any, user_metadata: Any) -> dict:
    return {
        "id": object_id, "bucket": target.bucket, "name": target.name, "owner": target.owner_uuid,
        "owner_id": target.owner_id, "version": version,
        "metadata": json.dumps(metadata) if metadata is not None else None,
        "user_metadata": json.dumps(user_metadata) if user_metadata is not None else None,
    }


def _drop_version(ctx: StorageContext, bucket: str, name: str, version: str | None) -> None:
    try:
        path = ctx.layout.version_file(bucket, name, version)
    except errors.StorageError:
        return
    files.remove(path, ctx.layout.bucket_dir(bucket))


async def _undo_placement(ctx: StorageContext, target: Target, version: str, path: Path | None) -> None:
    """The transaction failed after the new file was placed: remove it, unless its row committed after all."""
    with anyio.CancelScope(shield=True):
        try:
            async with ctx.as_service() as conn:
                committed = await fetch_one(conn, "select 1 as found from storage.objects where bucket_id = %s"
                                                  " and name = %s and version = %s",
                                            (target.bucket, target.name, version))
        except psycopg.Error:
            log.exception("could not check whether %s/%s committed; keeping its file", target.bucket, target.name)
            return
        if committed is None:
            files.remove(path, ctx.layout.bucket_dir(target.bucket))
