"""Payment reconciliation and bill reminders: what keeps payments right when notifications get lost.

One pass:
  1. payments created but never taken to a checkout expire (after `created_ttl_s`);
  2. each payment pending for longer than `grace_s` is looked up at its provider: paid -> settled
     (bill paid), failed -> failed, closed -> expired; still open after `checkout_ttl_s` -> the order
     is closed at the provider, then settled by what the provider says (it may have been paid
     in the meantime);
  3. refunds still owed (a bill paid twice) are asked of the provider again;
  4. people get a notification for each unpaid bill due within `reminder_days` days, once.
Everything goes through the service-role RPCs, so a pass is idempotent and may run beside the
notification handler. The application's composition (backend/functions/host.py: beside the local
stack, or `cityloop functions serve` in production) runs it every CITYLOOP_PAYMENTS_INTERVAL seconds
(default 30, 0 disables; CITYLOOP_PAYMENTS_GRACE sets grace_s); `cityloop payments reconcile` runs
one pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from backend.jobs.schedule import Periodic
from backend.payments.provider import PaymentProvider
from backend.payments.settlement import PaymentError, Rpc, refund_payment

log = logging.getLogger("cityloop.jobs.payments")

_SETTLE = {"succeeded": "succeeded", "failed": "failed", "closed": "expired"}


@dataclass(frozen=True)
class ReconcileOptions:
    grace_s: int = 60  # how long a notification may take before we ask the provider
    checkout_ttl_s: int = 15 * 60  # how long a checkout stays payable
    created_ttl_s: int = 30 * 60  # how long a payment may wait for its checkout
    reminder_days: int = 3


async def reconcile(rpc: Rpc, providers: Mapping[str, PaymentProvider],
                    options: ReconcileOptions = ReconcileOptions()) -> dict[str, int]:
    summary = {"expired_created": 0, "settled": 0, "closed": 0, "refunds": 0, "reminders": 0, "errors": 0}
    summary["expired_created"] = int(await rpc("expire_stale_payments", {"created_older_than_s": options.created_ttl_s}))
    for payment in await rpc("payments_to_reconcile", {"older_than_s": options.grace_s}):
        provider = providers.get(payment.get("provider") or "")
        if provider is None:
            continue
        try:
            if payment["status"] == "refunded":
                await refund_payment(rpc, provider, payment)
                summary["refunds"] += 1
            elif await _settle_pending(rpc, provider, payment, options, summary):
                summary["settled"] += 1
        except PaymentError as exc:  # e.g. settled by a notification meanwhile: next pass sees it
            summary["errors"] += 1
            log.warning("reconcile %s: %s %s", payment["id"], exc.code, exc.message)
    summary["reminders"] = int(await rpc("send_bill_reminders", {"days_ahead": options.reminder_days}))
    await rpc("record_job_run", {"job": "payment_reconciliation"})  # job health (migration 1170)
    return summary


async def _settle_pending(rpc: Rpc, provider: PaymentProvider, payment: dict[str, Any],
                          options: ReconcileOptions, summary: dict[str, int]) -> bool:
    status = await provider.query_status(payment["provider_ref"])
    if status.state == "open":
        pending_at = datetime.fromisoformat(payment["pending_at"])
        if (datetime.now(timezone.utc) - pending_at).total_seconds() < options.checkout_ttl_s:
            return False
        await provider.close_checkout(payment["provider_ref"])
        summary["closed"] += 1
        status = await provider.query_status(payment["provider_ref"])  # it may have been paid just now
        if status.state == "open":
            return False
    # The provider's amount for money it took (a mismatch is refused, PT400); ours otherwise.
    amount = status.amount_fen if status.state == "succeeded" else int(payment["amount_fen"])
    result = await rpc("settle_payment", {"provider": provider.name, "provider_ref": payment["provider_ref"],
                                          "outcome": _SETTLE[status.state], "amount_fen": amount,
                                          "nonce": None, "reason": f"reconciled: provider says {status.state}"})
    if result["action"] == "refund":
        await refund_payment(rpc, provider, result["payment"])
    return result["action"] != "unchanged"


class PaymentsJobService(Periodic):
    """A pass every `interval_s` seconds through the service-role `rpc`; failures logged, never fatal."""

    def __init__(self, interval_s: float, options: ReconcileOptions = ReconcileOptions()):
        super().__init__(log)
        self.interval_s = interval_s
        self.options = options

    async def start(self, rpc: Rpc, providers: Mapping[str, PaymentProvider]) -> None:
        if self.interval_s > 0:
            self.every(self.interval_s, lambda: self.run_once(rpc, providers), "cityloop-payments")

    async def run_once(self, rpc: Rpc, providers: Mapping[str, PaymentProvider]) -> dict[str, int] | None:
        return await self.guarded("payments pass", reconcile(rpc, providers, self.options))


async def run_once(url: str, service_key: str, home: Any, options: ReconcileOptions = ReconcileOptions()) -> dict[str, int]:
    """One pass through the HTTP API with the service-role key (`cityloop payments reconcile`)."""
    from supabase import AsyncClientOptions, acreate_client

    from backend.payments.sandbox import provider_for
    from backend.payments.settlement import client_rpc

    client = await acreate_client(url, service_key, options=AsyncClientOptions(persist_session=False,
                                                                              auto_refresh_token=False))
    providers = {"sandbox": provider_for(home, url)}
    return await reconcile(client_rpc(client), providers, options)
