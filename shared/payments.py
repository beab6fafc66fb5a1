"""Living-bill payments: utility accounts, bills, payments, receipts.

The models and money helpers; the calls are `shared.facades.payments` (`client.payments`).
The database decides everything that matters (who sees what, the amount, one payment per
idempotency key, one live payment per bill).
Paying is: `create_payment(bill, key)` -> `start_checkout(payment)` (open `checkout_url`)
-> the provider notifies the backend -> `subscribe_payments` sees the payment succeed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


CHECKOUT_FUNCTION = "payments-checkout"


class UtilityKind(StrEnum):
    WATER = "water"
    ELECTRICITY = "electricity"
    GAS = "gas"


class BillStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


FINAL_PAYMENT_STATUSES = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.EXPIRED,
                                    PaymentStatus.REFUNDED})


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UtilityAccountPublic(_Row):
    id: uuid.UUID
    user_id: uuid.UUID
    provider: str
    account_no: str
    kind: UtilityKind
    address: str
    label: str | None = None
    verified_at: datetime


class BillPublic(_Row):
    id: uuid.UUID
    provider: str
    account_no: str
    kind: UtilityKind
    period: str
    amount_fen: int
    due_date: date
    status: BillStatus
    paid_at: datetime | None = None
    payment_id: uuid.UUID | None = None

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == BillStatus.UNPAID and self.due_date < (today or date.today())


class PaymentPublic(_Row):
    id: uuid.UUID
    bill_id: uuid.UUID
    payer_id: uuid.UUID
    amount_fen: int
    idempotency_key: str
    provider: str | None = None
    provider_ref: str | None = None
    checkout_url: str | None = None
    status: PaymentStatus
    failure_reason: str | None = None
    receipt_no: str | None = None
    pending_at: datetime | None = None
    settled_at: datetime | None = None
    refund_ref: str | None = None
    created_at: datetime

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_PAYMENT_STATUSES


class LedgerEntryPublic(_Row):
    id: int
    payment_id: uuid.UUID
    bill_id: uuid.UUID
    kind: str
    amount_fen: int
    provider: str
    created_at: datetime


class Receipt(BaseModel):
    """What a receipt shows: a succeeded payment, its bill and the account's address."""

    payment: PaymentPublic
    bill: BillPublic
    address: str | None = None


def format_yuan(amount_fen: int) -> str:
    """Integer fen as '¥46.30' (no float ever touches money)."""
    sign = "-" if amount_fen < 0 else ""
    fen = abs(amount_fen)
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


def new_idempotency_key() -> str:
    return uuid.uuid4().hex
