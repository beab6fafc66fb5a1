"""The start-up sweep: files a crash left in the storage folder, removed when the gateway starts.

A gateway killed mid-upload leaves its temporary file in `~tmp`; one killed
between placing a version file and COMMIT leaves a version file no row names
(writes.py removes both on every path it survives). At start-up, before the
gateway serves, this removes every such file, in `~tmp` or under a bucket,
that no committed `storage.objects` row names. Only files older than
`storage_sweep_grace_s` are touched: another gateway process on the same folder
(CITYLOOP_WORKERS) may be writing a new one right now, and a file is written
and placed within moments of its last byte. Rows are read as the storage
service (the tables' owner), so RLS hides none.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
from psycopg_pool import AsyncConnectionPool

from . import files
from .paths import TEMP_DIR_NAME, Layout

log = logging.getLogger("cityloop.storage")

_BATCH = 1000
_NAMED = """
select t.b, t.n, t.v from unnest(%s::text[], %s::text[], %s::text[]) as t(b, n, v)
where exists (select from storage.objects o where o.bucket_id = t.b and o.name = t.n and o.version = t.v)
"""

Key = tuple[str, str, str]  # bucket, object name, version


@dataclass
class Swept:
    temporary: int = 0
    orphans: int = 0


def _old_files(root: Path, cutoff: float) -> list[Path]:
    found = []
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                if path.lstat().st_mtime < cutoff:
                    found.append(path)
            except FileNotFoundError:
                pass
    return found


def _scan(layout: Layout, cutoff: float) -> tuple[list[Path], dict[Key, Path]]:
    """Old temporary files, and old files under the buckets by the (bucket, name, version) they would be."""
    temporary = _old_files(layout.temp_dir, cutoff) if layout.temp_dir.is_dir() else []
    candidates: dict[Key, Path] = {}
    if not layout.root.is_dir():
        return temporary, candidates
    for bucket_dir in layout.root.iterdir():
        if bucket_dir.name == TEMP_DIR_NAME or not bucket_dir.is_dir() or bucket_dir.is_symlink():
            continue
        for path in _old_files(bucket_dir, cutoff):
            parts = path.relative_to(bucket_dir).parts
            name = "/".join(parts[:-1])  # a file straight under the bucket is no object's version
            candidates[(bucket_dir.name, name, parts[-1])] = path
    return temporary, candidates


async def _named(pool: AsyncConnectionPool, keys: list[Key]) -> set[Key]:
    named: set[Key] = set()
    async with pool.connection() as conn:
        for start in range(0, len(keys), _BATCH):
            batch = keys[start:start + _BATCH]
            cur = await conn.execute(_NAMED, ([k[0] for k in batch], [k[1] for k in batch], [k[2] for k in batch]))
            named.update((b, n, v) for b, n, v in await cur.fetchall())
    return named


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


async def sweep(layout: Layout, pool: AsyncConnectionPool, grace_s: float, *, now: float | None = None) -> Swept:
    cutoff = (time.time() if now is None else now) - grace_s
    temporary, candidates = await anyio.to_thread.run_sync(_scan, layout, cutoff)
    named = await _named(pool, list(candidates)) if candidates else set()
    orphans = [path for key, path in candidates.items() if key not in named]
    await anyio.to_thread.run_sync(_remove, temporary + orphans)
    if orphans:
        await anyio.to_thread.run_sync(_prune, layout, {p.parent for p in orphans})
    swept = Swept(len(temporary), len(orphans))
    if temporary or orphans:
        log.info("storage sweep: removed %d temporary and %d orphaned files", swept.temporary, swept.orphans)
    return swept


def _prune(layout: Layout, folders: set[Path]) -> None:
    for folder in folders:
        files.prune(folder, layout.root)
