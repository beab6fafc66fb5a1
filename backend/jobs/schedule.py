"""The scheduler the application's jobs run with (backend/functions/host.py: beside the local stack,
or `cityloop functions serve` beside hosted Supabase, where pg_cron may take the SQL-only ones).

A job's pass runs every few seconds. A failing pass (the migration not
applied yet, the database restarting) is counted and logged once per distinct error, never
every few seconds, and the next pass runs on time: a job never stops the server it runs in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("cityloop.jobs")


class Periodic:
    """Base of the job services: `guarded` runs one pass, `every` repeats one, `stop` ends them all."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.runs = 0  # passes that succeeded
        self.failures = 0
        self.last_summary: Any = None
        self._log = logger
        self._last_error: str | None = None
        self._tasks: list[asyncio.Task] = []

    async def guarded(self, label: str, work: Awaitable[Any]) -> Any:
        """Await one pass; its result, or None when it failed (logged, counted)."""
        try:
            summary = await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a pass: keep the schedule going
            self.failures += 1
            message = f"{type(exc).__name__}: {exc}"
            if message != self._last_error:
                self._log.warning("%s failed: %s", label, message)
            self._last_error = message
            return None
        self.runs += 1
        self.last_summary = summary
        self._last_error = None
        return summary

    def every(self, interval_s: float, one_pass: Callable[[], Awaitable[Any]], name: str) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                await one_pass()

        self._tasks.append(asyncio.create_task(loop(), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
