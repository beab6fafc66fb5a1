"""A clock for tests of timed flows: `sleep` waits until `advance` moves time past it, with no real waiting.

Hand `clock` (the instance) and `clock.sleep` to code that takes injectable time, e.g.
`SosFlow(..., clock=clock, sleep=clock.sleep)`, then `await clock.advance(3)`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class VirtualClock:
    """A clock for tests: `sleep` waits until `advance` moves time past it (no real waiting)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    @property
    def pending(self) -> int:
        """How many sleeps wait for time to move (a test can wait for a timer to be set)."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking each sleeper in order and letting it run before the next."""
        target = self.now + seconds
        await _settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            wake, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            if not future.done():
                future.set_result(None)
                await _settle()
        self.now = target
        await _settle()


async def _settle(rounds: int = 20) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)
