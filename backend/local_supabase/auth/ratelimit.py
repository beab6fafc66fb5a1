"""In-memory sliding-window counters for sign-in throttling.

One gateway process serves the local stack, so process memory is the right
place: nothing to clean up in the database, and a restart forgets. (With
CITYLOOP_WORKERS > 1 each process counts on its own, so the limits multiply
by the number of workers.) All methods are synchronous, so on the event loop
a check followed by a `hit` cannot interleave with another request.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

Clock = Callable[[], float]


class SlidingWindow:
    """At most `limit` events per key within the last `window_s` seconds."""

    def __init__(self, limit: int, window_s: float, *, clock: Clock = time.monotonic, max_keys: int = 100_000):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float | None:
        """Seconds until `key` may act again, or None if it may act now."""
        events = self._current(key)
        if events is None or len(events) < self.limit:
            return None
        return max(0.0, events[0] + self.window_s - self._clock())

    def hit(self, key: str) -> None:
        if key not in self._events and len(self._events) >= self._max_keys:
            self._sweep()
        self._events.setdefault(key, deque()).append(self._clock())

    def release(self, key: str) -> None:
        """Take back the latest event of `key` (a reserved failure that turned out a success)."""
        events = self._events.get(key)
        if events:
            events.pop()
            if not events:
                del self._events[key]

    def _current(self, key: str) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        horizon = self._clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def _sweep(self) -> None:
        # Bounded memory: forget keys with no event inside the window.
        for key in list(self._events):
            self._current(key)
