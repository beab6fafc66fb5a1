"""The backend's half of a payment: open a checkout, act on verified notifications, refunds.

Money facts reach the database only through the service-role RPCs of migration
`20261121001200_payments.sql` (start_checkout, settle_payment, record_refund), which hold
the guarantees (idempotent, amount checked, nonce stored once, one live payment per bill).
`Rpc` is how this code calls them: through supabase-py with the service-role key, over the
HTTP API (beside the local stack and beside hosted Supabase alike).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .provider import CheckoutRequest, InvalidNotification, PaymentProvider

log = logging.getLogger("cityloop.payments")

Rpc = Callable[[str, dict[str, Any]], Awaitable[Any]]
KIND_LABEL = {"water": "水费 Water", "electricity": "电费 Electricity", "gas": "燃气费 Gas"}


class PaymentError(Exception):
    """A refusal with an HTTP status and the database's code (PT400, PT404, PT409...)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    @classmethod
    def from_code(cls, code: str | None, message: str) -> "PaymentError":
        code = code or "PT500"
        status = int(code[2:]) if code.startswith("PT") and code[2:].isdigit() else 500
        return cls(status, code, message)


def client_rpc(client: Any) -> Rpc:
    """`public.<name>(...)` over /rest/v1/rpc with an async supabase-py client holding the service-role key."""
    from postgrest.exceptions import APIError

    async def call(name: str, args: dict[str, Any]) -> Any:
        try:
            return (await client.rpc(name, args).execute()).data
        except APIError as exc:
            raise PaymentError.from_code(str(exc.code) if exc.code else None, exc.message or str(exc)) from exc

    return call


async def open_checkout(rpc: Rpc, provider: PaymentProvider, payment: dict, bill: dict) -> dict:
    """Take a created payment to the provider's checkout (pending). Any other payment is answered as it is:
    a repeated request (double tap, retry) sees the same checkout, or the result once there is one."""
    if payment["status"] != "created":
        return payment
    description = f"{KIND_LABEL.get(bill['kind'], bill['kind'])} {bill['period']} · {bill['account_no']}"
    checkout = await provider.create_checkout(CheckoutRequest(str(payment["id"]), int(payment["amount_fen"]), description))
    try:
        return await rpc("start_checkout", {"payment": str(payment["id"]), "provider": provider.name,
                                            "provider_ref": checkout.provider_ref, "checkout_url": checkout.checkout_url})
    except PaymentError as exc:
        if exc.code == "PT409":  # another payment of the bill is live: nobody may pay this order
            await provider.close_checkout(checkout.provider_ref)
        raise


async def handle_notification(rpc: Rpc, provider: PaymentProvider, headers: Mapping[str, str], body: bytes) -> dict:
    """Verify, then settle in one database transaction; refund when the bill was already paid."""
    try:
        note = provider.verify_notification(headers, body)
    except InvalidNotification as exc:
        raise PaymentError(401, "PT401", f"notification refused: {exc}") from None
    result = await rpc("settle_payment", {"provider": provider.name, "provider_ref": note.provider_ref,
                                          "outcome": note.outcome, "amount_fen": note.amount_fen, "nonce": note.nonce})
    if result["action"] == "refund":
        await refund_payment(rpc, provider, result["payment"])
    return result


async def refund_payment(rpc: Rpc, provider: PaymentProvider, payment: dict) -> None:
    """Give back a payment the database marked refunded; a failure is retried by reconciliation."""
    try:
        refund = await provider.refund(payment["provider_ref"], int(payment["amount_fen"]), "bill already paid")
        await rpc("record_refund", {"payment": str(payment["id"]), "refund_ref": refund.refund_ref})
    except Exception as exc:  # noqa: BLE001 - the refund stays owed (refund_ref null) and is retried
        log.warning("refund of payment %s not done yet: %s", payment.get("id"), exc)
