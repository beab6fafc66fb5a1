"""Fair turns at the socket writes, so a broadcast flood cannot hold the event loop.

A socket's writer with a backlog never yields by itself (a full queue's `get()` and a
send to a writable socket both return at once), and 50 subscribers of a flood each
sending one 60 KB frame per loop iteration made every iteration milliseconds long;
every REST request waits several iterations. Here at most `PER_ITERATION` frames go
out per iteration across all sockets; the other writers wait their turn in order, and
whatever else is ready (requests, database answers) runs in between.
"""

from __future__ import annotations

import asyncio
from collections import deque

PER_ITERATION = 8  # ~0.5 ms of 60 KB sends: a request's step waits about that long, not a whole fan-out


class WriteTurns:
    def __init__(self, per_iteration: int = PER_ITERATION) -> None:
        self.per_iteration = per_iteration
        self._used = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._refill_scheduled = False

    async def take(self) -> None:
        """Wait until this writer may send one frame."""
        self._schedule_refill()
        if self._used < self.per_iteration and not self._waiters:
            self._used += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        await turn  # granted by a refill; a cancelled writer's turn is skipped

    def _schedule_refill(self) -> None:
        if not self._refill_scheduled:
            self._refill_scheduled = True
            asyncio.get_running_loop().call_soon(self._refill)

    def _refill(self) -> None:
        """Next iteration: a fresh budget, first to those who waited longest."""
        self._refill_scheduled = False
        self._used = 0
        while self._waiters and self._used < self.per_iteration:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                self._used += 1
        if self._waiters:
            self._schedule_refill()
