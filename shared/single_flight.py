"""One run at a time: a form's second submit while the first still runs is ignored.

A double click, or Enter then a click, reaches the app server as two events before the
browser has drawn the disabled button; the database must not see two sign-ups, reports
or payments, and the person must not see the second one's error ("account exists").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self.running = False

    async def run(self, job: Callable[[], Awaitable[T]], *, ignored: T) -> T:
        """`job()`'s result, or `ignored` at once when a run is under way."""
        if self.running:
            return ignored
        self.running = True
        try:
            return await job()
        finally:
            self.running = False
