"""Paying a bill end to end: link an account, see its bill, pay in the sandbox, see it paid (live)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from shared import errors
from shared.client import CityClient
from shared.fonts import ASSETS_DIR, FONT_ASSET
from shared.payments import BillStatus, PaymentPublic, PaymentStatus, new_idempotency_key
from tests.backend.payments_support import city_client, decide, new_account, payer, wait_for

pytestmark = pytest.mark.timeout(180)


async def test_linking_needs_the_number_and_the_holders_name_and_reveals_nothing(stack, service, make_user) -> None:
    account = new_account(service, holder_name="李 四")
    client = await city_client(stack, make_user(app_metadata={"role": "citizen"}))
    with pytest.raises(errors.NotFound) as wrong_name:
        await client.payments.link_utility_account("water", account.provider, account.account_no, "张三")
    with pytest.raises(errors.NotFound) as no_such_number:
        await client.payments.link_utility_account("water", account.provider, "T000000000000", "李四")
    assert wrong_name.value.detail == no_such_number.value.detail  # no enumeration of account numbers
    with pytest.raises(errors.ValidationError):
        await client.payments.link_utility_account("water", account.provider, account.account_no, "  ")
    assert await client.payments.bills() == []

    linked = await client.payments.link_utility_account("water", account.provider, account.account_no.lower(), "李四")
    again = await client.payments.link_utility_account("water", account.provider, account.account_no, "李 四")
    assert linked.id == again.id and linked.address == "测试路 1 号"
    assert [str(b.id) for b in await client.payments.bills()] == [account.bill_id]
    assert await client.payments.unlink_utility_account(linked.id)
    assert await client.payments.bills() == []
    await client.aclose()


async def test_a_payment_in_the_sandbox_marks_the_bill_paid_live_with_a_receipt(stack, service, make_user) -> None:
    account = new_account(service, amount_fen=12850)
    client = await payer(stack, make_user, account)
    seen: list[PaymentPublic] = []
    await client.payments.subscribe_payments(seen.append)

    payment = await client.payments.create_payment(account.bill_id, new_idempotency_key())
    assert payment.status == PaymentStatus.CREATED and payment.amount_fen == 12850  # the bill's amount
    pending = await client.payments.start_checkout(payment.id)
    assert pending.status == PaymentStatus.PENDING and pending.checkout_url
    assert (await client.payments.start_checkout(payment.id)).checkout_url == pending.checkout_url  # the same checkout again

    page = httpx.get(pending.checkout_url, timeout=30)
    assert page.status_code == 200 and "¥128.50" in page.text and "确认支付" in page.text and "Pay" in page.text
    # Its Chinese is drawn with the apps' shipped font, served beside it (no boxes without a CJK system font).
    font_face = re.search(r"@font-face\{font-family:'Noto Sans SC';src:url\('([^']+)'\)", page.text)
    assert font_face and "font-family:'Noto Sans SC'" in page.text.split("}", 1)[1]
    font = httpx.get(httpx.URL(pending.checkout_url).join(font_face.group(1)), timeout=30)
    assert font.status_code == 200 and font.headers["content-type"] == "font/otf"
    assert font.content == (ASSETS_DIR / FONT_ASSET).read_bytes()
    assert decide(stack.url, pending.provider_ref, "pay").status_code in (200, 303)

    done = await wait_for(lambda: _final(seen), timeout=20)
    assert done and done.status == PaymentStatus.SUCCEEDED and done.receipt_no
    bill = await client.payments.bill(account.bill_id)
    assert bill.status == BillStatus.PAID and str(bill.payment_id) == str(payment.id)
    receipt = await client.payments.receipt(payment.id)
    assert receipt.bill.id == bill.id and receipt.address == "测试路 1 号"
    assert [(e.kind, e.amount_fen) for e in await client.payments.ledger(payment.id)] == [("charge", 12850)]
    assert [p.id for p in await client.payments.payments()] == [payment.id]
    kinds = [n.kind for n in await client.profile.notifications()]
    assert "payment_succeeded" in kinds
    again = await client.payments.pay_bill(account.bill_id, payment.idempotency_key)  # a late double tap: the result
    assert again.id == payment.id and again.status == PaymentStatus.SUCCEEDED
    assert (await client.payments.start_checkout(payment.id)).status == PaymentStatus.SUCCEEDED
    with pytest.raises(errors.InvalidTransition):  # a paid bill takes no new payment
        await client.payments.create_payment(account.bill_id, new_idempotency_key())
    await client.aclose()


async def test_a_failed_checkout_leaves_the_bill_payable(stack, service, make_user) -> None:
    account = new_account(service)
    client = await payer(stack, make_user, account)
    first = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
    decide(stack.url, first.provider_ref, "fail")
    failed = await wait_for(lambda: _status(client, first.id, PaymentStatus.FAILED))
    assert failed and (await client.payments.bill(account.bill_id)).status == BillStatus.UNPAID
    with pytest.raises(errors.NotFound):
        await client.payments.receipt(first.id)
    second = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
    decide(stack.url, second.provider_ref, "pay")
    assert await wait_for(lambda: _status(client, second.id, PaymentStatus.SUCCEEDED))
    await client.aclose()


async def _final(seen: list[PaymentPublic]) -> PaymentPublic | None:
    await asyncio.sleep(0)
    return next((p for p in reversed(seen) if p.is_final), None)


async def _status(client, payment_id, status) -> bool:
    return (await client.payments.payment(payment_id)).status == status


async def test_the_demo_city_has_bills_and_accounts_a_new_person_can_link(stack, make_user) -> None:
    from backend.local_supabase.demo import demo_users

    resident = next(u for u in demo_users() if u["email"] == "resident@demo.cityloop.local")
    client = await CityClient.connect(url=stack.url, key=stack.anon_key)
    await client.auth.sign_in(resident["email"], resident["password"])
    assert [(a.account_no, a.kind.value) for a in await client.payments.utility_accounts()] == [("W10010101", "water")]
    assert [(b.account_no, b.amount_fen) for b in await client.payments.bills()] == [("W10010101", 4630)]
    await client.aclose()

    newcomer = await city_client(stack, make_user(app_metadata={"role": "citizen"}))
    await newcomer.payments.link_utility_account("gas", "city_gas", "G30010103", "赵秀英")
    [bill] = await newcomer.payments.bills()
    assert bill.amount_fen == 2100 and bill.status == BillStatus.UNPAID
    await newcomer.aclose()


async def test_guessing_holders_names_is_throttled_per_person(stack, service, make_user, db) -> None:
    account = new_account(service, holder_name="周八")
    guesser = await city_client(stack, make_user(app_metadata={"role": "citizen"}))
    for name in ("张三", "李四", "王五", "赵六", "钱七"):
        with pytest.raises(errors.NotFound):
            await guesser.payments.link_utility_account("water", account.provider, account.account_no, name)
    # The sixth try is refused even with the right name, and nothing is linked.
    with pytest.raises(errors.RateLimited):
        await guesser.payments.link_utility_account("water", account.provider, account.account_no, "周八")
    assert await guesser.payments.utility_accounts() == []
    # Only the guesser is held back.
    other = await city_client(stack, make_user(app_metadata={"role": "citizen"}))
    linked = await other.payments.link_utility_account("water", account.provider, account.account_no, "周八")
    assert linked.account_no == account.account_no
    # The misses are kept out of the API's reach.
    assert db.execute("select count(*) from private.utility_link_misses where user_id = %s",
                      (str((await guesser.auth.current_user()).id),)).fetchone()[0] == 5
    await guesser.aclose()
    await other.aclose()
