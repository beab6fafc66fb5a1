"""Escalations: SOS not acknowledged within 60 s, overdue cases to the supervisor.

The work is one SQL pass, `private.run_escalations()` (migration
`20261121000800_escalations.sql`), idempotent and serialised in the database. On hosted
Supabase pg_cron runs it; locally the gateway's `EscalationService` is the scheduler,
every `CITYLOOP_ESCALATION_INTERVAL` seconds (default 5, 0 disables).
`cityloop jobs escalate` runs one pass through the API with the service-role key.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from backend.jobs.schedule import Periodic

if TYPE_CHECKING:  # pragma: no cover
    from psycopg_pool import AsyncConnectionPool
    from supabase import Client

    from backend.local_supabase.gateway.state import GatewayState

log = logging.getLogger("cityloop.jobs.escalations")

Summary = dict[str, int]
RPC = "run_escalations"


def run_escalations(client: "Client") -> Summary:
    """One pass through `/rest/v1/rpc/run_escalations`; `client` must carry the service-role key."""
    return client.rpc(RPC, {}).execute().data


async def run_escalations_in_pool(pool: "AsyncConnectionPool") -> Summary:
    """One pass on the gateway's pool, as the service role (the transaction PostgREST would open)."""
    # Imported here: the gateway imports this module while its own package is loading.
    from backend.local_supabase.gateway.db import fetch_one_as_caller
    from backend.local_supabase.gateway.keys import Caller

    caller = Caller(role="service_role", claims={"role": "service_role"}, token="")
    row = await fetch_one_as_caller(pool, caller, "select public.run_escalations()", {}, method="POST",
                                    path=f"/rest/v1/rpc/{RPC}", headers={})
    return row[0]


class EscalationService(Periodic):
    """The local scheduler: a pass every `interval_s` seconds inside the gateway; failures are logged, never fatal."""

    def __init__(self, interval_s: float):
        super().__init__(log)
        self.interval_s = interval_s

    async def start(self, state: "GatewayState") -> None:
        if self.interval_s > 0 and state.rest_pool is not None:
            self.every(self.interval_s, lambda: self.run_once(state.rest_pool), "cityloop-escalations")

    async def run_once(self, pool: "AsyncConnectionPool") -> Summary | None:
        summary = await self.guarded("escalation pass", run_escalations_in_pool(pool))
        if summary and any(summary.values()):
            log.info("escalations: %s", summary)
        return summary
