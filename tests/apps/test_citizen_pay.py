"""The Pay screens without a browser: the view's handlers drive the state against the local stack.

Built as the app builds them (the session's AppState with a recording shell and in-memory
preferences); the checkout page is "opened" by a recorder, and paid with the request the
sandbox page's button sends. The result arrives through Realtime as in the app.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest

from citizen_app.state.app import AppState, RecordingShell
from shared.prefs import MemoryPrefs
from citizen_app.state.payments import PaymentsState, bill_state, sort_bills
from citizen_app.strings import STRINGS
from citizen_app.theme import ELDERLY, NORMAL
from citizen_app.views.pay import PayView
from shared.config import BackendConfig
from shared.payments import BillPublic, PaymentStatus
from tests.backend.payments_support import decide, new_account

pytestmark = pytest.mark.timeout(180)


async def until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def texts(control, found: list | None = None) -> list:
    """Every ft.Text under `control` (value and size)."""
    found = [] if found is None else found
    if type(control).__name__ == "Text":
        found.append(control)
    for child in list(getattr(control, "controls", None) or []) + [getattr(control, "content", None)]:
        if child is not None and not isinstance(child, str):
            texts(child, found)
    return found


@pytest.fixture()
async def screen(stack, make_user):
    opened = []

    async def _open(*, elderly: bool = False):
        citizen = make_user(app_metadata={"role": "citizen"})
        state = AppState(BackendConfig(stack.url, stack.anon_key, "environment"), MemoryPrefs(), RecordingShell())
        assert await state.sign_in(citizen.email, citizen.password)
        state.elderly = elderly
        urls: list[str] = []

        async def open_url(url: str) -> None:
            urls.append(url)

        pay = PaymentsState(state, open_url=open_url)
        view = PayView(state, pay)
        opened.append((state, pay))
        return view, pay, state, urls

    yield _open
    for state, pay in opened:
        await pay.close()
        await state.close()


def test_bills_are_sorted_overdue_first_and_paid_last() -> None:
    today = date(2026, 11, 21)

    def bill(days: int, status: str = "unpaid") -> BillPublic:
        return BillPublic(id=f"00000000-0000-4000-8000-{abs(days) + (100 if status == 'paid' else 0):012d}",
                          provider="p", account_no="A1", kind="water", period="2026-10", amount_fen=100,
                          due_date=today + timedelta(days=days), status=status)

    bills = [bill(5), bill(-2, "paid"), bill(-3), bill(1)]
    assert [bill_state(b, today) for b in sort_bills(bills, today)] == ["overdue", "due", "due", "paid"]
    assert [b.due_date.day for b in sort_bills(bills, today)][:3] == [18, 22, 26]


async def test_link_pay_and_see_it_paid_live_with_a_receipt(screen, service) -> None:
    account = new_account(service, amount_fen=9720, kind="electricity", holder_name="陈伟")
    view, pay, state, urls = await screen()
    await view.load()
    assert view.tab == "accounts"  # nothing linked yet: the screen starts where one can act

    view.kind.selected = ["electricity"]
    view.account_no.value, view.holder.value = account.account_no, "张三"
    await view.on_link()
    assert state.shell.messages[-1] == (STRINGS["pay.link_failed"][0], True)
    view.holder.value = "陈伟"
    await view.on_link()
    assert state.shell.messages[-1] == (STRINGS["pay.linked"][0], False)
    assert view.tab == "bills" and [str(b.id) for b in pay.bills] == [account.bill_id]
    assert any(t.value == "待缴合计 ¥97.20" for t in texts(view.root))

    bill = pay.bills[0]
    await pay.wait_live()
    await view.on_pay(bill)
    assert len(urls) == 1 and "/sandbox-pay/checkout/" in urls[0] and pay.is_waiting(bill)
    again = await pay.pay(bill)  # a double tap: the same payment, the same page
    assert again is not None and urls[1] == urls[0] and len(pay.waiting) == 1

    ref = urls[0].rsplit("/", 1)[1]
    decide(state.config.url, ref, "pay")
    await until(lambda: not pay.waiting)
    assert bill_state(pay.bills[0]) == "paid"
    assert (STRINGS["pay.succeeded"][0].format(amount="¥97.20"), False) in state.shell.messages
    view.render()
    assert any(t.value == STRINGS["pay.state_paid"][0] for t in texts(view.root))

    view.tabs.selected = ["history"]
    await view.on_tab()
    assert [p.status for p in pay.payments] == [PaymentStatus.SUCCEEDED]
    receipt = await pay.receipt(pay.payments[0].id)
    assert receipt is not None and receipt.bill.account_no == account.account_no
    assert pay.receipt_png(receipt).startswith(b"\x89PNG")


async def test_a_failed_checkout_says_so_and_leaves_the_bill_due(screen, service) -> None:
    account = new_account(service)
    view, pay, state, urls = await screen()
    assert await pay.link(account.kind, account.account_no, account.holder_name)
    await pay.wait_live()
    await view.on_pay(pay.bills[0])
    decide(state.config.url, urls[0].rsplit("/", 1)[1], "fail")
    await until(lambda: not pay.waiting)
    assert (STRINGS["pay.not_paid"][0], True) in state.shell.messages
    assert bill_state(pay.bills[0]) == "due" and not pay.keys  # a new tap starts a new payment


async def test_elderly_mode_draws_the_same_screen_larger(screen, service) -> None:
    account = new_account(service)
    view, pay, state, _urls = await screen(elderly=True)
    assert await pay.link(account.kind, account.account_no, account.holder_name)
    view.render()
    sizes = {t.size for t in texts(view.root)}
    assert min(sizes) >= ELDERLY.small > NORMAL.body
    assert "¥46.30" in view.speak()  # the read-aloud text lists what is due


async def test_empty_input_is_refused_before_asking_the_backend(screen) -> None:
    _view, pay, state, _urls = await screen()
    assert not await pay.link("water", " ", "王丽")
    assert not await pay.link("water", "W10010101", "")
    assert [m for m, _ in state.shell.messages][-2:] == [STRINGS["pay.need_account_no"][0], STRINGS["pay.need_holder"][0]]


async def test_coming_back_continues_the_payment_and_a_household_member_is_told_it_is_in_progress(
        screen, service) -> None:
    account = new_account(service)
    view, pay, state, urls = await screen()
    assert await pay.link(account.kind, account.account_no, account.holder_name)
    first = await pay.pay(pay.bills[0])

    again = PaymentsState(state, open_url=pay.open_url)  # the screen opened anew
    await again.load()
    assert again.is_waiting(again.bills[0])
    assert (await again.pay(again.bills[0])).id == first.id and urls[1] == urls[0]
    await again.close()

    _view2, other, other_state, other_urls = await screen()  # someone else of the household
    assert await other.link(account.kind, account.account_no, account.holder_name)
    assert await other.pay(other.bills[0]) is None and other_urls == []
    assert other_state.shell.messages[-1] == (STRINGS["pay.in_progress"][0], True)
