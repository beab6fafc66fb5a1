"""Living-bill payments: utility accounts, bills, payments, receipts.

The database decides everything that matters (who sees what, the amount, one payment per
idempotency key, one live payment per bill); these methods only shape calls and answers.
Paying is: `create_payment(bill, key)` -> `start_checkout(payment)` (open `checkout_url`)
-> the provider notifies the backend -> `subscribe_payments` sees the payment succeed.
"""

from __future__ import annotations

from shared import errors
from shared.payments import (CHECKOUT_FUNCTION, BillPublic, BillStatus, LedgerEntryPublic, PaymentPublic,
                             PaymentStatus, Receipt, UtilityAccountPublic, UtilityKind)
from shared.realtime import Callback, Subscription
from shared.transport import ID, Transport


class PaymentsFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def utility_accounts(self) -> list[UtilityAccountPublic]:
        query = self._t.table("utility_accounts").select("*").order("created_at")
        return self._t.models(UtilityAccountPublic, await self._t.rows(query))

    async def link_utility_account(self, kind: UtilityKind | str, provider: str, account_no: str,
                                   holder_name: str) -> UtilityAccountPublic:
        """Link an account after its number and holder name match the provider's data.

        NotFound when nothing matches (the same for a wrong number and a wrong name); RateLimited
        after 5 misses in 15 minutes.
        """
        if not account_no.strip() or not holder_name.strip():
            raise errors.ValidationError("account number and holder name are required", code="account")
        row = await self._t.rpc("link_utility_account", {"kind": UtilityKind(kind).value, "provider": provider,
                                                         "account_no": account_no.strip(),
                                                         "holder_name": holder_name.strip()})
        if not row or (isinstance(row, dict) and row.get("id") is None):
            raise errors.NotFound("no account matches this number and holder name", code="PT404")
        return self._t.model(UtilityAccountPublic, row)

    async def unlink_utility_account(self, account_id: ID) -> bool:
        return bool(await self._t.rows(self._t.table("utility_accounts").delete().eq("id", str(account_id))))

    async def bills(self, *, status: BillStatus | str | None = None, limit: int = 100) -> list[BillPublic]:
        """The bills of the accounts the person linked, soonest due first."""
        query = self._t.table("bills").select("*")
        if status is not None:
            query = query.eq("status", BillStatus(status).value)
        query = query.order("due_date").order("kind").limit(limit)
        return self._t.models(BillPublic, await self._t.rows(query))

    async def bill(self, bill_id: ID) -> BillPublic:
        return self._t.model(BillPublic, await self._t.rows(self._t.table("bills").select("*").eq("id", str(bill_id))))

    async def create_payment(self, bill_id: ID, idempotency_key: str) -> PaymentPublic:
        """The payment of this bill under this key: the same key always answers the same payment."""
        return self._t.model(PaymentPublic, await self._t.rpc("create_payment", {"bill": str(bill_id),
                                                                                 "idempotency_key": idempotency_key}))

    async def start_checkout(self, payment_id: ID, provider: str = "sandbox") -> PaymentPublic:
        """Open the provider's checkout (the payment becomes pending); its `checkout_url` is the page to open."""
        from supabase_functions.errors import FunctionsError

        try:
            data = await self._t.supabase.functions.invoke(CHECKOUT_FUNCTION, {
                "body": {"payment_id": str(payment_id), "provider": provider}, "responseType": "json"})
        except FunctionsError as exc:
            raise _function_error(exc) from exc
        except Exception as exc:
            raise errors.from_exception(exc) from exc
        return self._t.model(PaymentPublic, data["payment"])

    async def pay_bill(self, bill_id: ID, idempotency_key: str, provider: str = "sandbox") -> PaymentPublic:
        """create_payment then start_checkout: safe to repeat with the same key."""
        payment = await self.create_payment(bill_id, idempotency_key)
        if payment.is_final:
            return payment
        return await self.start_checkout(payment.id, provider)

    async def payment(self, payment_id: ID) -> PaymentPublic:
        rows = await self._t.rows(self._t.table("payments").select("*").eq("id", str(payment_id)))
        return self._t.model(PaymentPublic, rows)

    async def payments(self, *, limit: int = 50) -> list[PaymentPublic]:
        """The person's payment history, newest first."""
        query = self._t.table("payments").select("*").order("created_at", desc=True).limit(limit)
        return self._t.models(PaymentPublic, await self._t.rows(query))

    async def ledger(self, payment_id: ID | None = None) -> list[LedgerEntryPublic]:
        query = self._t.table("payment_ledger").select("*")
        if payment_id is not None:
            query = query.eq("payment_id", str(payment_id))
        return self._t.models(LedgerEntryPublic, await self._t.rows(query.order("id")))

    async def receipt(self, payment_id: ID) -> Receipt:
        """The receipt of a succeeded payment (NotFound for any other)."""
        payment = await self.payment(payment_id)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise errors.NotFound(f"payment {payment_id} has no receipt ({payment.status})")
        bill = await self.bill(payment.bill_id)
        accounts = [a for a in await self.utility_accounts()
                    if a.provider == bill.provider and a.account_no == bill.account_no]
        return Receipt(payment=payment, bill=bill, address=accounts[0].address if accounts else None)

    async def subscribe_payments(self, callback: Callback) -> Subscription:
        """`callback(PaymentPublic)` on each change of the person's payments."""
        uid = await self._t.uid()
        return await self._t.subscribe("payments", [("*", "payments", f"payer_id=eq.{uid}", PaymentPublic)], callback)

    async def subscribe_bills(self, callback: Callback) -> Subscription:
        """`callback(BillPublic)` on each change of a bill the person may see (paid, imported)."""
        return await self._t.subscribe("bills", [("*", "bills", None, BillPublic)], callback)


def _function_error(exc: Exception) -> errors.CityError:
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", None) or str(exc)
    cls: type[errors.CityError] = {400: errors.ValidationError, 401: errors.AuthError, 403: errors.PermissionDenied,
                                   404: errors.NotFound, 409: errors.InvalidTransition}.get(status or 0, errors.ServerError)
    return cls(message, status=status)
