"""Escalations: SOS not acknowledged within 60 s, overdue cases to the supervisor.

The work is one SQL pass, `private.run_escalations()` (migration
`20261121000800_escalations.sql`), idempotent and serialised in the database. On hosted
Supabase pg_cron runs it, or `cityloop functions serve` every `CITYLOOP_ESCALATION_INTERVAL`
seconds (default 5, 0 disables), as the local stack's composition does
(backend/functions/host.py). `cityloop jobs escalate` runs one pass.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from backend.jobs.schedule import Periodic
from backend.payments.settlement import Rpc

if TYPE_CHECKING:  # pragma: no cover
    from supabase import Client

log = logging.getLogger("cityloop.jobs.escalations")

Summary = dict[str, int]
RPC = "run_escalations"


def run_escalations(client: "Client") -> Summary:
    """One pass through `/rest/v1/rpc/run_escalations`; `client` must carry the service-role key."""
    return client.rpc(RPC, {}).execute().data


class EscalationService(Periodic):
    """A pass every `interval_s` seconds through the service-role `rpc`; failures are logged, never fatal."""

    def __init__(self, interval_s: float):
        super().__init__(log)
        self.interval_s = interval_s

    async def start(self, rpc: Rpc) -> None:
        if self.interval_s > 0:
            self.every(self.interval_s, lambda: self.run_once(rpc), "cityloop-escalations")

    async def run_once(self, rpc: Rpc) -> Summary | None:
        summary = await self.guarded("escalation pass", rpc(RPC, {}))
        if summary and any(summary.values()):
            log.info("escalations: %s", summary)
        return summary
