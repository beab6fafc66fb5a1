"""A gateway restart in the middle of a payment loses nothing: a second gateway process on the
session's database and state folder is killed (SIGKILL) and started again on the same port."""

from __future__ import annotations

import pytest

from shared.payments import BillStatus, PaymentStatus, new_idempotency_key
from tests.backend.payments_support import decide, new_account, payer, wait_for
from tests.backend.realtime_support import Gateway
from tests.conftest import free_port

pytestmark = pytest.mark.timeout(240)


async def test_a_pending_payment_survives_a_crash_and_is_paid_after_it(stack, service, make_user) -> None:
    gateway = Gateway(stack, free_port())
    gateway.start()
    try:
        account = new_account(service)
        client = await payer(stack, make_user, account, url=gateway.url)
        payment = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
        assert payment.status == PaymentStatus.PENDING and payment.checkout_url.startswith(gateway.url)

        gateway.kill()
        gateway.start()
        # The same key after the crash answers the same payment and the same checkout.
        assert (await client.payments.pay_bill(account.bill_id, payment.idempotency_key)).id == payment.id
        assert decide(gateway.url, payment.provider_ref, "pay").status_code in (200, 303)
        assert await wait_for(lambda: _status(client, payment.id, PaymentStatus.SUCCEEDED))
        assert (await client.payments.bill(account.bill_id)).status == BillStatus.PAID
        await client.aclose()
    finally:
        gateway.stop()


async def test_a_payment_whose_notification_died_with_the_gateway_is_settled_by_its_scheduler(
        stack, service, make_user, monkeypatch) -> None:
    monkeypatch.setenv("CITYLOOP_PAYMENTS_INTERVAL", "1")
    monkeypatch.setenv("CITYLOOP_PAYMENTS_GRACE", "1")
    gateway = Gateway(stack, free_port())
    gateway.start()
    try:
        account = new_account(service)
        client = await payer(stack, make_user, account, url=gateway.url)
        payment = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
        decide(gateway.url, payment.provider_ref, "pay", deliver=False)  # paid; the notice never arrived
        gateway.kill()
        assert (await _fetch(service, payment.id))["status"] == "pending"
        gateway.start()  # nothing else is done: the restarted gateway's reconciliation finds it
        assert await wait_for(lambda: _status(client, payment.id, PaymentStatus.SUCCEEDED), timeout=40)
        assert (await client.payments.bill(account.bill_id)).status == BillStatus.PAID
        assert [e.kind for e in await client.payments.ledger(payment.id)] == ["charge"]
        await client.aclose()
    finally:
        gateway.stop()


async def _status(client, payment_id, status) -> bool:
    return (await client.payments.payment(payment_id)).status == status


async def _fetch(service, payment_id) -> dict:
    return service.table("payments").select("*").eq("id", str(payment_id)).execute().data[0]
