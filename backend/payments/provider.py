"""What CityLoop needs from a payment provider (WeChat Pay, Alipay, UnionPay, the local sandbox).

An adapter implements `PaymentProvider`. The backend never trusts a client about money: a
payment is settled only from a notification the adapter verified, or from the provider's
answer to a status query (reconciliation). See docs/payment-providers.md for what each real
provider's adapter needs (keys, signatures, notification URL, query and refund APIs).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Literal, Mapping, Protocol

Outcome = Literal["succeeded", "failed", "expired"]
OrderState = Literal["open", "succeeded", "failed", "closed"]
# A notification older (or further in the future) than this is refused: a captured one cannot be
# replayed later, and the nonce store only has to remember this long.
MAX_NOTIFICATION_AGE_S = 300


class InvalidNotification(Exception):
    """A notification that must not be acted on (bad signature, stale, replayed, malformed)."""


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: str
    amount_fen: int
    description: str


@dataclass(frozen=True)
class Checkout:
    provider_ref: str  # the provider's order reference, unique per provider
    checkout_url: str  # the page (or deep link) the app opens


@dataclass(frozen=True)
class Notification:
    """A verified notification: the provider's word on one order."""

    provider_ref: str
    outcome: Outcome
    amount_fen: int
    nonce: str
    timestamp: int


@dataclass(frozen=True)
class OrderStatus:
    provider_ref: str
    state: OrderState
    amount_fen: int


@dataclass(frozen=True)
class Refund:
    provider_ref: str
    refund_ref: str


class PaymentProvider(Protocol):
    """One payment provider. All calls are idempotent for the same payment or order."""

    name: str

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open (or find again) the provider's order for this payment; where the payer goes to pay."""

    async def close_checkout(self, provider_ref: str) -> None:
        """Close an order nobody may pay any more (another payment of the bill won, or it expired)."""

    async def query_status(self, provider_ref: str) -> OrderStatus:
        """Ask the provider where the order stands (reconciliation of lost notifications)."""

    def verify_notification(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> Notification:
        """Check signature, freshness and shape of a notification; raise InvalidNotification otherwise.

        Replays within the freshness window are caught by the database (each nonce is stored once)."""

    async def refund(self, provider_ref: str, amount_fen: int, reason: str) -> Refund:
        """Give the money of a paid order back (a bill paid twice)."""


# --- HMAC-SHA256 over (timestamp, nonce, body): the sandbox's scheme, close to WeChat Pay v3's
# "timestamp\nnonce\nbody\n" message (which is signed with RSA/SM2 instead of a shared secret).

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
NONCE_HEADER = "X-Sandbox-Nonce"


def signing_message(timestamp: int | str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def sign(secret: bytes, timestamp: int | str, nonce: str, body: bytes) -> str:
    return hmac.new(secret, signing_message(timestamp, nonce, body), hashlib.sha256).hexdigest()


def check_signed(secret: bytes, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> tuple[int, str]:
    """(timestamp, nonce) of a correctly signed, fresh message; InvalidNotification otherwise."""
    lower = {k.lower(): v for k, v in headers.items()}
    signature = lower.get(SIGNATURE_HEADER.lower(), "")
    nonce = lower.get(NONCE_HEADER.lower(), "")
    try:
        timestamp = int(lower.get(TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        raise InvalidNotification("missing or malformed timestamp") from None
    if not 8 <= len(nonce) <= 100 or not nonce.isascii():
        raise InvalidNotification("missing or malformed nonce")
    expected = sign(secret, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature):
        raise InvalidNotification("signature does not match")
    if abs((time.time() if now is None else now) - timestamp) > MAX_NOTIFICATION_AGE_S:
        raise InvalidNotification("stale notification")
    return timestamp, nonce
