"""The SMS job: drains `public.sms_outbox` through an `SmsProvider`.

One pass claims the texts that are due (`claim_sms_batch`: leased for 60 s, so a second job
running beside this one skips them), sends each, and marks it (`finish_sms`): sent with the
provider's reference, or failed and retried later with backoff (30 s, 1, 2, 4 min..., five
attempts at most). A crash between sending and marking sends that text once more after the
lease: at least once, never in a loop. Locally the gateway runs a pass every
CITYLOOP_SMS_INTERVAL seconds (default 10, 0 disables) towards the stack's SMS sink; in
production any scheduler calls `run_once` with SUPABASE_URL, the service-role key and the
city's provider (backend/notify/sms.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from backend.jobs.schedule import Periodic
from backend.notify import LocalSinkSms, SmsError, SmsProvider
from backend.payments.settlement import Rpc

if TYPE_CHECKING:  # pragma: no cover
    from backend.local_supabase.gateway.state import GatewayState

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
    """The local scheduler inside the gateway: a pass every `interval_s` seconds through the stack's SMS sink."""

    def __init__(self, interval_s: float, provider: SmsProvider | None = None):
        super().__init__(log)
        self.interval_s = interval_s
        self.provider = provider

    async def start(self, state: "GatewayState") -> None:
        if self.provider is None:
            self.provider = LocalSinkSms(state.settings.api_url, state.secrets.service_role_key)
        if self.interval_s > 0 and state.rest_pool is not None:
            self.every(self.interval_s, lambda: self.run_once(state), "cityloop-sms")

    async def run_once(self, state: "GatewayState") -> dict[str, int] | None:
        from backend.payments.settlement import pool_rpc

        assert self.provider is not None
        summary = await self.guarded("SMS pass", send_due_sms(pool_rpc(state.rest_pool), self.provider))
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
