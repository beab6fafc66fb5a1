"""Fair shares of the database: no anonymous crowd, and no single client, holds every connection.

The REST pool has `pool_size` connections. A slow statement holds one until its role's
`statement_timeout` ends it (anon: 3 s), so sixteen anonymous clients sending slow filters
would otherwise take the whole pool and every resident's request would queue behind them.
Two limits keep the pool for everyone:

- anonymous requests (the anon key alone) together hold at most `anon_db_connections`
  connections; more wait up to `anon_db_wait_s` for one, then answer 503;
- one client address holds at most `db_requests_per_address` connections at once; more
  answer 429 at once (a person's app never needs that many in parallel).

Signed-in callers and the service role share the rest of the pool as before. The limits are
counted in this process (as the connection caps are) and cost nothing on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import AsyncIterator


class ShareRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class DatabaseShare:
    def __init__(self, *, anon_connections: int, anon_wait_s: float, per_address: int):
        self.anon_connections = anon_connections
        self.anon_wait_s = anon_wait_s
        self.per_address = per_address
        self._anon = asyncio.Semaphore(anon_connections)
        self.in_flight: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def slot(self, role: str, address: str) -> AsyncIterator[None]:
        if self.in_flight[address] >= self.per_address:
            raise ShareRefused(429, f"Too many requests at once from this address (at most {self.per_address}); "
                                    "try again in a moment.")
        self.in_flight[address] += 1
        try:
            if role != "anon":
                yield
                return
            try:
                await asyncio.wait_for(self._anon.acquire(), self.anon_wait_s)
            except asyncio.TimeoutError:
                raise ShareRefused(503, "The service is busy with other requests without sign-in; "
                                        "try again in a moment.") from None
            try:
                yield
            finally:
                self._anon.release()
        finally:
            self.in_flight[address] -= 1
            if self.in_flight[address] <= 0:
                del self.in_flight[address]
