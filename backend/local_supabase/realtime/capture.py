"""LISTEN for the shim's change notifications and feed them to the fan-out, in commit order.

One dedicated connection (the gateway's `authenticator` login) listens on
`cityloop_realtime` (changes, catalog events) and `pgrst` (schema reloads). It is
reopened with backoff when lost. On every (re)connect and schema reload the catalog
cache is dropped and the capture triggers are synced. Changes committed while it was
down are not replayed: NOTIFY has no history (a replication slot would).

Notifications are queued as they arrive and taken in batches: whatever piled up
while the previous batch was being delivered goes out together, so a burst costs
one round of visibility checks instead of one per change, and a quiet system adds
no waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from .catalog import Catalog
from .fanout import Change, Fanout

log = logging.getLogger("cityloop.realtime")

CHANNEL = "cityloop_realtime"
MAX_BATCH = 500
# Queue marker for a (re)connect or `NOTIFY pgrst, 'reload schema'`: drop the catalog cache
# at this point of the stream, and re-sync the capture triggers.
_RELOAD = object()


class Capture:
    def __init__(self, conninfo: str, pool: AsyncConnectionPool, catalog: Catalog, fanout: Fanout):
        self._conninfo = conninfo
        self._pool = pool
        self._catalog = catalog
        self._fanout = fanout
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._listening = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._side_tasks: set[asyncio.Task[None]] = set()

    async def start(self, timeout: float = 30) -> None:
        """Returns once LISTEN is in place, so a channel joined afterwards misses nothing."""
        self._tasks = [asyncio.create_task(self._listen_forever(), name="realtime-listen"),
                       asyncio.create_task(self._deliver_forever(), name="realtime-deliver")]
        await asyncio.wait_for(self._listening.wait(), timeout)

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._side_tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def _listen_forever(self) -> None:
        backoff = 0.1
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._conninfo, autocommit=True, application_name="cityloop-gateway-realtime") as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    await conn.execute("listen pgrst")
                    self._queue.put_nowait(_RELOAD)  # anything may have changed while we were not listening
                    self._listening.set()
                    backoff = 0.1
                    async for note in conn.notifies():
                        if note.channel == "pgrst":
                            self._queue.put_nowait(_RELOAD)
                        else:
                            self._queue.put_nowait(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost or refused: try again
                self._listening.clear()
                log.warning("change listener lost (%s); reconnecting in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _deliver_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._deliver(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivering %d notifications failed", len(batch))

    async def _deliver(self, batch: list[Any]) -> None:
        pending: list[dict[str, Any]] = []
        for item in batch:
            if item is _RELOAD:
                await self._flush(pending)  # changes committed before the DDL use the old cache
                pending = []
                self._catalog.invalidate()
                self._background(self._sync_triggers())  # may wait for table locks: not in the delivery path
                continue
            try:
                note = json.loads(item)
            except ValueError:
                log.warning("ignoring a notification that is not JSON")
                continue
            if isinstance(note, dict) and note.get("kind") == "catalog":
                await self._flush(pending)
                pending = []
                self._catalog.invalidate()
            elif isinstance(note, dict) and "type" in note:
                pending.append(note)
        await self._flush(pending)

    async def _flush(self, notes: list[dict[str, Any]]) -> None:
        if not notes:
            return
        stashed = [n["stash"] for n in notes if isinstance(n.get("stash"), int)]
        if stashed:
            bodies = await self._read_stash(stashed)
            notes = [bodies.get(n["stash"], n) if isinstance(n.get("stash"), int) else n for n in notes]
        changes = []
        for n in notes:
            if "stash" in n:
                log.warning("change %s on %s.%s was too large and is gone from the stash",
                            n.get("type"), n.get("schema"), n.get("table"))
                continue
            try:
                changes.append(Change(n["schema"], n["table"], n["type"], n["commit_timestamp"],
                                      n.get("record"), n.get("old_record")))
            except KeyError as exc:
                log.warning("ignoring a change notification without %s", exc)
        await self._fanout.deliver(changes)

    def _background(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _sync_triggers(self) -> None:
        """Safety net beside the shim's event trigger: every published table has its capture trigger."""
        try:
            async with self._pool.connection() as conn:
                await conn.execute("select cityloop_realtime.sync_triggers()")
        except psycopg.Error as exc:
            log.warning("could not sync capture triggers: %s", exc)

    async def _read_stash(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Changes bigger than a NOTIFY payload, kept by the capture trigger (shim/40_realtime_capture.sql)."""
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(
                "select id, payload::text from cityloop_realtime.stash where id = any(%s)", (ids,))).fetchall()
        return {row[0]: json.loads(row[1]) for row in rows}
