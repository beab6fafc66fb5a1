"""The Pay screens without flet: linked accounts, bills (due, overdue, paid), paying, history, receipts.

Paying is one tap: `pay(bill)` creates the payment under an idempotency key kept for that bill
until the payment is final (a double tap or a retry after a timeout is the same payment), opens
the provider's checkout and waits for the result, which arrives live through Realtime (and is
fetched again when the person comes back, in case the socket missed it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal

from shared import errors
from shared.payments import (BillPublic, BillStatus, PaymentPublic, PaymentStatus, Receipt, UtilityAccountPublic,
                             UtilityKind, format_yuan, new_idempotency_key)
from shared.receipts import render_receipt_png

from .. import device
from .app import AppState

log = logging.getLogger(__name__)

# The utilities of the demo city: the provider code each kind of bill comes from.
UTILITIES: dict[UtilityKind, str] = {UtilityKind.WATER: "city_water", UtilityKind.ELECTRICITY: "city_power",
                                     UtilityKind.GAS: "city_gas"}
BillState = Literal["due", "overdue", "paid", "cancelled"]
Opener = Callable[[str], Awaitable[Any]]


def bill_state(bill: BillPublic, today: date | None = None) -> BillState:
    if bill.status == BillStatus.PAID:
        return "paid"
    if bill.status == BillStatus.CANCELLED:
        return "cancelled"
    return "overdue" if bill.is_overdue(today) else "due"


def sort_bills(bills: list[BillPublic], today: date | None = None) -> list[BillPublic]:
    """Overdue first, then due soonest, paid last (newest paid first)."""
    order = {"overdue": 0, "due": 1, "paid": 2, "cancelled": 3}
    return sorted(bills, key=lambda b: (order[bill_state(b, today)],
                                        b.due_date.toordinal() * (-1 if bill_state(b, today) == "paid" else 1)))


class PaymentsState:
    def __init__(self, state: AppState, open_url: Opener | None = None) -> None:
        self.state = state
        self.open_url = open_url  # the view gives ft.UrlLauncher().launch_url; tests a recorder
        self.accounts: list[UtilityAccountPublic] = []
        self.bills: list[BillPublic] = []
        self.payments: list[PaymentPublic] = []
        self.keys: dict[str, str] = {}  # bill id -> idempotency key of its payment in progress
        self.waiting: dict[str, str] = {}  # payment id -> bill id, checkouts opened and not final yet
        self.failed = False
        self.on_redraw: Callable[[], None] | None = None
        self._subscriptions: list[Any] = []
        self._subscribing: asyncio.Task | None = None

    # ------------------------------------------------------------ loading

    async def load(self) -> None:
        loaded = await self.state.run(self._fetch, busy="app.busy", quiet=True)
        self.failed = not loaded.ok  # the screen says "can't load, retry" rather than "no bills"
        if loaded.ok:
            self.accounts, self.bills, self.payments = loaded.value
            for payment in self.payments:
                if payment.is_final:
                    self._settle_if_final(payment, announce=False)
                else:  # begun earlier (another visit of the screen): a new tap continues it
                    self.keys[str(payment.bill_id)] = payment.idempotency_key
                    if payment.status == PaymentStatus.PENDING:
                        self.waiting[str(payment.id)] = str(payment.bill_id)
        if self._subscribing is None:  # joining takes a few round trips: the screen does not wait for it
            self._subscribing = asyncio.get_running_loop().create_task(self._listen())

    async def wait_live(self) -> None:
        """Until the live updates are joined (or failed); for callers that must not miss one."""
        if self._subscribing is not None:
            await asyncio.shield(self._subscribing)

    async def _fetch(self, client) -> tuple[list, list, list]:
        return await client.payments.utility_accounts(), await client.payments.bills(), await client.payments.payments()

    async def _listen(self) -> None:
        client = await self.state.ensure_client()
        try:
            self._subscriptions = [await client.payments.subscribe_payments(self.on_payment_change),
                                   await client.payments.subscribe_bills(self.on_bill_change)]
        except errors.CityError as exc:  # live updates are a comfort; `refresh_waiting` still works
            log.warning("no live payment updates: %r", exc)
            return
        await self.refresh_waiting()  # a result that arrived before the join

    async def close(self) -> None:
        """Leaving the screen: stop the live updates it opened."""
        self.on_redraw = None
        if self._subscribing is not None:
            with contextlib.suppress(Exception):
                await self._subscribing
        for sub in self._subscriptions:
            await sub.unsubscribe()
        self._subscriptions = []

    @property
    def shown_bills(self) -> list[BillPublic]:
        return sort_bills(self.bills)

    def amount_due(self) -> int:
        return sum(b.amount_fen for b in self.bills if b.status == BillStatus.UNPAID)

    def account_of(self, bill: BillPublic) -> UtilityAccountPublic | None:
        return next((a for a in self.accounts if a.provider == bill.provider and a.account_no == bill.account_no), None)

    def is_waiting(self, bill: BillPublic) -> bool:
        return str(bill.id) in self.waiting.values()

    # ------------------------------------------------------------ linking

    def link_problem(self, account_no: str, holder_name: str) -> str | None:
        if not account_no.strip():
            return "pay.need_account_no"
        if not holder_name.strip():
            return "pay.need_holder"
        return None

    async def link(self, kind: UtilityKind | str, account_no: str, holder_name: str) -> bool:
        problem = self.link_problem(account_no, holder_name)
        if problem:
            self.state.shell.show_message(self.state.t(problem), error=True)
            return False
        kind = UtilityKind(kind)
        linked = await self.state.run(
            lambda c: c.payments.link_utility_account(kind, UTILITIES[kind], account_no, holder_name),
            busy="pay.linking", quiet=True)
        if not linked.ok:
            # The backend answers the same for an unknown number and a wrong name: say it plainly, once.
            self.state.shell.show_message(self.state.t("pay.link_failed"), error=True)
            return False
        self.state.shell.show_message(self.state.t("pay.linked"))
        await self.load()
        return True

    async def unlink(self, account: UtilityAccountPublic) -> None:
        if (await self.state.run(lambda c: c.payments.unlink_utility_account(account.id))).ok:
            await self.load()

    # ------------------------------------------------------------ paying

    async def pay(self, bill: BillPublic) -> PaymentPublic | None:
        """One tap: the payment (same key on a retry), the checkout opened; the result comes live."""
        bill_id = str(bill.id)
        key = self.keys.setdefault(bill_id, new_idempotency_key())
        self.state.shell.set_busy(self.state.t("pay.opening"))
        try:
            payment = await (await self.state.ensure_client()).payments.pay_bill(bill.id, key)
        except errors.InvalidTransition:  # paid meanwhile, or someone of the household is paying it
            self.state.shell.show_message(self.state.t("pay.in_progress"), error=True)
            await self.load()
            return None
        except errors.CityError as exc:
            self.state.shell.show_message(exc.message(self.state.locale), error=True)
            return None
        finally:
            self.state.shell.set_busy(None)
        if payment.is_final:
            self._settle_if_final(payment, announce=True)
            await self.load()
            return payment
        self.waiting[str(payment.id)] = bill_id
        if payment.checkout_url and self.open_url is not None:
            await self.open_url(payment.checkout_url)
        self._redraw()
        return payment

    def on_payment_change(self, payment: Any) -> None:
        if not isinstance(payment, PaymentPublic):
            return
        self.payments = [payment] + [p for p in self.payments if p.id != payment.id]
        self._settle_if_final(payment, announce=True)
        self._redraw()

    def on_bill_change(self, bill: Any) -> None:
        if isinstance(bill, BillPublic):  # paid, or a new bill imported for a linked account
            self.bills = [b for b in self.bills if b.id != bill.id] + [bill]
            self._redraw()

    def _settle_if_final(self, payment: PaymentPublic, *, announce: bool) -> None:
        if not payment.is_final:
            return
        bill_id = self.waiting.pop(str(payment.id), None)
        if self.keys.get(str(payment.bill_id)) == payment.idempotency_key:
            self.keys.pop(str(payment.bill_id), None)  # a new attempt gets a new key
        if not (announce and bill_id):
            return
        t = self.state.t
        if payment.status == PaymentStatus.SUCCEEDED:
            for i, b in enumerate(self.bills):
                if str(b.id) == bill_id:
                    self.bills[i] = b.model_copy(update={"status": BillStatus.PAID, "payment_id": payment.id})
            message = t("pay.succeeded", amount=format_yuan(payment.amount_fen))
        elif payment.status == PaymentStatus.REFUNDED:
            message = t("pay.refunded")
        else:
            message = t("pay.not_paid")
        self.state.shell.show_message(message, error=payment.status != PaymentStatus.SUCCEEDED)
        device.notify(t("pay.title"), message)

    async def refresh_waiting(self) -> None:
        """Back from the provider's page: ask again for payments still open (the socket may have missed one)."""
        for payment_id in list(self.waiting):
            found = await self.state.run(lambda c, pid=payment_id: c.payments.payment(pid), busy=None, quiet=True)
            if found.ok and found.value is not None:
                self.on_payment_change(found.value)

    # ------------------------------------------------------------ receipts

    async def receipt(self, payment_id: str | uuid.UUID) -> Receipt | None:
        return (await self.state.run(lambda c: c.payments.receipt(payment_id), busy="app.busy")).value

    @staticmethod
    def receipt_png(receipt: Receipt) -> bytes:
        return render_receipt_png(receipt)

    def bill_of(self, payment: PaymentPublic) -> BillPublic | None:
        return next((b for b in self.bills if b.id == payment.bill_id), None)

    def _redraw(self) -> None:
        if self.on_redraw is not None:
            self.on_redraw()
        self.state.shell.updated()
