"""The SMS job: drains `public.sms_outbox` through an `SmsProvider`.

One pass claims the texts that are due (`claim_sms_batch`: leased for 60 s, so a second job
running beside this one skips them), sends each, and marks it (`finish_sms`): sent with the
provider's reference, or failed and retried later with backoff (30 s, 1, 2, 4 min..., five
attempts at most). A crash between sending and marking sends that text once more after the
lease: at least once, never in a loop. The application's composition (backend/functions/host.py)
runs a pass every CITYLOOP_SMS_INTERVAL seconds (default 10, 0 disables), towards the local
stack's SMS sink unless it is handed the city's provider (backend/notify/sms.py).
"""

from __future__ import annotations

import logging
from typing import Any

from backend.jobs.schedule import Periodic
from backend.notify import SmsError, SmsProvider
from backend.payments.settlement import Rpc

log = logging.getLogger("cityloop.jobs.sms")

BATCH_SIZE = 20


async def send_due_sms(rpc: Rpc, provider: SmsProvider, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """One pass: every text due now goes to the provider once; what happened, counted."""
    summary = {"sent": 0, "failed": 0}
    for sms in await rpc("claim_sms_batch", {"batch_size": batch_size}):
        try:
            reference = await provider.send(sms["phone"], sms["body"])
        except SmsError as exc:
            summary["failed"] += 1
            log.warning("SMS %s (attempt %s) failed: %s", sms["id"], sms["attempts"], exc)
            await rpc("finish_sms", {"sms_id": sms["id"], "provider_ref": None, "error": str(exc)})
            continue
        summary["sent"] += 1
        await rpc("finish_sms", {"sms_id": sms["id"], "provider_ref": reference, "error": None})
    return summary


class SmsJobService(Periodic):
    """The scheduler: a pass every `interval_s` seconds through the service-role `rpc` and `provider`."""

    def __init__(self, interval_s: float, provider: SmsProvider):
        super().__init__(log)
        self.interval_s = interval_s
        self.provider = provider

    async def start(self, rpc: Rpc) -> None:
        if self.interval_s > 0:
            self.every(self.interval_s, lambda: self.run_once(rpc), "cityloop-sms")

    async def run_once(self, rpc: Rpc) -> dict[str, int] | None:
        summary = await self.guarded("SMS pass", send_due_sms(rpc, self.provider))
        if summary and any(summary.values()):
            log.info("sms: %s", summary)
        return summary


async def run_once(url: str, service_key: str, provider: SmsProvider) -> dict[str, int]:
    """One pass through the HTTP API with the service-role key (any scheduler, hosted Supabase)."""
    from supabase import AsyncClientOptions, acreate_client

    from backend.payments.settlement import client_rpc

    client: Any = await acreate_client(url, service_key, options=AsyncClientOptions(persist_session=False,
                                                                                   auto_refresh_token=False))
    return await send_due_sms(client_rpc(client), provider)
