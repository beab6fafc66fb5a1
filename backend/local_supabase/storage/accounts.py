"""An account's objects go with the account: what the local Auth admin delete calls.

GoTrue does not touch Storage, and hosted Supabase refuses direct deletes on `storage.objects`
(the bytes live in S3), so a hosted project removes a person's objects through the Storage API
before deleting the account (docs/account-deletion.md). Locally the Auth admin delete does both:
after the account's row is gone, every object the person owns (`owner`) or that lies in a
top-level folder named by their id (`<uid>/...`, the layout of every bucket here) is deleted,
rows first, then their bytes.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from . import errors, files
from .paths import Layout

log = logging.getLogger("cityloop.storage")


async def remove_account_objects(pool: AsyncConnectionPool, storage_dir: Path, user_id: uuid.UUID) -> int:
    """Delete the person's objects in every bucket; how many went."""
    async with pool.connection() as conn, conn.transaction():
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(
            "delete from storage.objects where owner = %(id)s or owner_id = %(text)s"
            " or split_part(name, '/', 1) = %(text)s returning bucket_id, name, version",
            {"id": user_id, "text": str(user_id)})
        rows = await cursor.fetchall()
    layout = Layout(storage_dir)
    for row in rows:  # after the commit: a row that is gone never names missing bytes
        try:
            path = layout.version_file(row["bucket_id"], row["name"], row["version"])
            files.remove(path, layout.bucket_dir(row["bucket_id"]))
        except errors.StorageError:  # a name written by hand that could never be a path
            log.warning("object %s/%s of a deleted account had no file", row["bucket_id"], row["name"])
    return len(rows)
