"""Living-bill payments: utility accounts, bills, payments, receipts.

`PaymentsClientMixin` is mixed into `shared.client.CityClient`: its methods use the client's
plumbing (`self._rpc`, `self._call`, `self._model`, `self._models`, `self.supabase`).
The database decides everything that matters (who sees what, the amount, one payment per
idempotency key, one live payment per bill); these methods only shape calls and answers.
Paying is: `create_payment(bill, key)` -> `start_checkout(payment)` (open `checkout_url`)
-> the provider notifies the backend -> `subscribe_payments` sees the payment succeed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared import errors

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


class PaymentsClientMixin:
    """Methods of CityClient for this feature (see the module docstring)."""

    supabase: Any

    async def utility_accounts(self) -> list[UtilityAccountPublic]:
        query = self.supabase.table("utility_accounts").select("*").order("created_at")
        return self._models(UtilityAccountPublic, (await self._call(query.execute())).data)

    async def link_utility_account(self, kind: UtilityKind | str, provider: str, account_no: str,
                                   holder_name: str) -> UtilityAccountPublic:
        """Link an account after its number and holder name match the provider's data.

        NotFound when nothing matches (the same for a wrong number and a wrong name); RateLimited
        after 5 misses in 15 minutes.
        """
        if not account_no.strip() or not holder_name.strip():
            raise errors.ValidationError("account number and holder name are required", code="account")
        row = await self._rpc("link_utility_account", {"kind": UtilityKind(kind).value, "provider": provider,
                                                       "account_no": account_no.strip(), "holder_name": holder_name.strip()})
        if not row or (isinstance(row, dict) and row.get("id") is None):
            raise errors.NotFound("no account matches this number and holder name", code="PT404")
        return self._model(UtilityAccountPublic, row)

    async def unlink_utility_account(self, account_id: uuid.UUID | str) -> bool:
        query = self.supabase.table("utility_accounts").delete().eq("id", str(account_id))
        return bool((await self._call(query.execute())).data)

    async def bills(self, *, status: BillStatus | str | None = None, limit: int = 100) -> list[BillPublic]:
        """The bills of the accounts the person linked, soonest due first."""
        query = self.supabase.table("bills").select("*")
        if status is not None:
            query = query.eq("status", BillStatus(status).value)
        query = query.order("due_date").order("kind").limit(limit)
        return self._models(BillPublic, (await self._call(query.execute())).data)

    async def bill(self, bill_id: uuid.UUID | str) -> BillPublic:
        response = await self._call(self.supabase.table("bills").select("*").eq("id", str(bill_id)).execute())
        return self._model(BillPublic, response.data)

    async def create_payment(self, bill_id: uuid.UUID | str, idempotency_key: str) -> PaymentPublic:
        """The payment of this bill under this key: the same key always answers the same payment."""
        return self._model(PaymentPublic, await self._rpc("create_payment", {"bill": str(bill_id),
                                                                             "idempotency_key": idempotency_key}))

    async def start_checkout(self, payment_id: uuid.UUID | str, provider: str = "sandbox") -> PaymentPublic:
        """Open the provider's checkout (the payment becomes pending); its `checkout_url` is the page to open."""
        from supabase_functions.errors import FunctionsError

        try:
            data = await self.supabase.functions.invoke(CHECKOUT_FUNCTION, {
                "body": {"payment_id": str(payment_id), "provider": provider}, "responseType": "json"})
        except FunctionsError as exc:
            raise _function_error(exc) from exc
        except Exception as exc:
            raise errors.from_exception(exc) from exc
        return self._model(PaymentPublic, data["payment"])

    async def pay_bill(self, bill_id: uuid.UUID | str, idempotency_key: str,
                       provider: str = "sandbox") -> PaymentPublic:
        """create_payment then start_checkout: safe to repeat with the same key."""
        payment = await self.create_payment(bill_id, idempotency_key)
        if payment.is_final:
            return payment
        return await self.start_checkout(payment.id, provider)

    async def payment(self, payment_id: uuid.UUID | str) -> PaymentPublic:
        response = await self._call(self.supabase.table("payments").select("*").eq("id", str(payment_id)).execute())
        return self._model(PaymentPublic, response.data)

    async def payments(self, *, limit: int = 50) -> list[PaymentPublic]:
        """The person's payment history, newest first."""
        query = self.supabase.table("payments").select("*").order("created_at", desc=True).limit(limit)
        return self._models(PaymentPublic, (await self._call(query.execute())).data)

    async def ledger(self, payment_id: uuid.UUID | str | None = None) -> list[LedgerEntryPublic]:
        query = self.supabase.table("payment_ledger").select("*")
        if payment_id is not None:
            query = query.eq("payment_id", str(payment_id))
        return self._models(LedgerEntryPublic, (await self._call(query.order("id").execute())).data)

    async def receipt(self, payment_id: uuid.UUID | str) -> Receipt:
        """The receipt of a succeeded payment (NotFound for any other)."""
        payment = await self.payment(payment_id)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise errors.NotFound(f"payment {payment_id} has no receipt ({payment.status})")
        bill = await self.bill(payment.bill_id)
        accounts = [a for a in await self.utility_accounts()
                    if a.provider == bill.provider and a.account_no == bill.account_no]
        return Receipt(payment=payment, bill=bill, address=accounts[0].address if accounts else None)

    async def subscribe_payments(self, callback):
        """`callback(PaymentPublic)` on each change of the person's payments."""
        uid = await self._uid()
        return await self._subscribe("payments", [("*", "payments", f"payer_id=eq.{uid}", PaymentPublic)], callback)

    async def subscribe_bills(self, callback):
        """`callback(BillPublic)` on each change of a bill the person may see (paid, imported)."""
        return await self._subscribe("bills", [("*", "bills", None, BillPublic)], callback)


def _function_error(exc: Exception) -> errors.CityError:
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", None) or str(exc)
    cls: type[errors.CityError] = {400: errors.ValidationError, 401: errors.AuthError, 403: errors.PermissionDenied,
                                   404: errors.NotFound, 409: errors.InvalidTransition}.get(status or 0, errors.ServerError)
    return cls(message, status=status)
