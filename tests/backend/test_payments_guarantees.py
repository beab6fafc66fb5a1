"""Never charged twice: idempotency under concurrency, one live payment per bill, checked amounts,
idempotent and verified notifications, reconciliation of lost ones, reminders."""

from __future__ import annotations

import asyncio
import time

import pytest

from backend.jobs.reconcile_payments import ReconcileOptions, run_once
from shared import errors
from shared.payments import BillStatus, PaymentStatus, new_idempotency_key
from tests.backend.payments_support import decide, new_account, notify, outcome, payer, sandbox_secret, wait_for

pytestmark = pytest.mark.timeout(240)


async def test_100_concurrent_identical_requests_make_one_payment(stack, service, make_user, db) -> None:
    account = new_account(service)
    client = await payer(stack, make_user, account)
    key = new_idempotency_key()
    answers = await asyncio.gather(*(client.payments.create_payment(account.bill_id, key) for _ in range(100)))
    assert len({a.id for a in answers}) == 1
    assert db.execute("select count(*) from public.payments where bill_id = %s", (account.bill_id,)).fetchone()[0] == 1
    with pytest.raises(errors.InvalidTransition):  # the key belongs to that bill
        await client.payments.create_payment(new_account(service).bill_id, key)
    await client.aclose()


async def test_two_keys_for_one_bill_only_one_is_charged_the_other_refused_or_refunded(stack, service, make_user, db) -> None:
    account = new_account(service)
    a = await payer(stack, make_user, account)  # two members of a household, one bill
    b = await payer(stack, make_user, account)
    first = await a.payments.pay_bill(account.bill_id, new_idempotency_key())
    second = await b.payments.create_payment(account.bill_id, new_idempotency_key())
    with pytest.raises(errors.InvalidTransition):  # a second checkout while the first is live
        await b.payments.start_checkout(second.id)

    # The first checkout lapses, the second opens, then both payers pay: the late one is refunded.
    await _rpc(service, "settle_payment", {"provider": "sandbox", "provider_ref": first.provider_ref,
                                           "outcome": "expired", "amount_fen": first.amount_fen})
    second = await b.payments.start_checkout(second.id)
    decide(stack.url, second.provider_ref, "pay")
    assert await wait_for(lambda: _is(b, second.id, PaymentStatus.SUCCEEDED))
    # The first payer still had the (lapsed) page open and paid: the provider took the money anyway.
    decide(stack.url, first.provider_ref, "pay")
    late = await wait_for(lambda: _refunded(a, first.id))
    assert late and late.status == PaymentStatus.REFUNDED and late.refund_ref
    again = notify(stack.url, sandbox_secret(stack.home), outcome(first))  # redelivered: still refunded, once
    assert again.status_code == 200 and again.json()["status"] == "refunded"
    assert [e.kind for e in await a.payments.ledger(first.id)] == ["charge", "refund"]
    charged = db.execute("""select coalesce(sum(case kind when 'charge' then amount_fen else -amount_fen end), 0)
                            from public.payment_ledger where bill_id = %s""", (account.bill_id,)).fetchone()[0]
    assert charged == account.amount_fen  # net: paid exactly once
    await a.aclose()
    await b.aclose()


async def test_notifications_twice_late_or_out_of_order_end_in_the_same_state(stack, service, make_user, db) -> None:
    secret = sandbox_secret(stack.home)
    finals = []
    for order in (["succeeded", "succeeded"], ["failed", "succeeded"], ["succeeded", "failed", "succeeded"]):
        account = new_account(service)
        client = await payer(stack, make_user, account)
        payment = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
        for state in order:
            assert notify(stack.url, secret, outcome(payment, state)).status_code == 200
        final = await client.payments.payment(payment.id)
        bill = await client.payments.bill(account.bill_id)
        ledger = await client.payments.ledger(payment.id)
        finals.append((final.status, bill.status, [e.kind for e in ledger]))
        await client.aclose()
    assert finals == [(PaymentStatus.SUCCEEDED, BillStatus.PAID, ["charge"])] * 3


async def test_a_late_success_after_the_checkout_expired_still_pays_the_bill_once(stack, service, make_user) -> None:
    account = new_account(service)
    client = await payer(stack, make_user, account)
    payment = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
    await _rpc(service, "settle_payment", {"provider": "sandbox", "provider_ref": payment.provider_ref,
                                           "outcome": "expired", "amount_fen": payment.amount_fen})
    assert (await client.payments.payment(payment.id)).status == PaymentStatus.EXPIRED
    secret = sandbox_secret(stack.home)
    for _ in range(2):  # late, then redelivered
        assert notify(stack.url, secret, outcome(payment)).status_code == 200
    assert (await client.payments.payment(payment.id)).status == PaymentStatus.SUCCEEDED
    assert (await client.payments.bill(account.bill_id)).status == BillStatus.PAID
    assert [e.kind for e in await client.payments.ledger(payment.id)] == ["charge"]
    await client.aclose()


async def test_amount_mismatch_replay_stale_and_altered_notifications_are_refused(stack, service, make_user) -> None:
    account = new_account(service, amount_fen=5000)
    client = await payer(stack, make_user, account)
    payment = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
    secret = sandbox_secret(stack.home)

    mismatch = notify(stack.url, secret, outcome(payment, amount_fen=1))
    assert mismatch.status_code == 400 and mismatch.json()["code"] == "PT400"
    stale = notify(stack.url, secret, outcome(payment), timestamp=int(time.time()) - 301)
    assert stale.status_code == 401 and "stale" in stale.json()["message"]
    altered = notify(stack.url, secret, outcome(payment), signed_body=b'{"outcome":"failed"}')
    assert altered.status_code == 401 and "signature" in altered.json()["message"]
    forged = notify(stack.url, b"not-the-sandbox-secret", outcome(payment))
    assert forged.status_code == 401
    assert (await client.payments.payment(payment.id)).status == PaymentStatus.PENDING  # nothing changed

    ok = notify(stack.url, secret, outcome(payment), nonce="nonce-used-once-" + payment.id.hex)
    assert ok.status_code == 200
    replay = notify(stack.url, secret, outcome(payment, "failed"), nonce="nonce-used-once-" + payment.id.hex)
    assert replay.status_code == 409 and replay.json()["code"] == "PT409"
    assert (await client.payments.payment(payment.id)).status == PaymentStatus.SUCCEEDED
    await client.aclose()


async def test_a_lost_notification_is_settled_by_reconciliation_and_stale_payments_expire(stack, service, make_user) -> None:
    account = new_account(service)
    client = await payer(stack, make_user, account)
    paid = await client.payments.pay_bill(account.bill_id, new_idempotency_key())
    decide(stack.url, paid.provider_ref, "pay", deliver=False)  # the provider took the money; the notice is lost
    assert (await client.payments.payment(paid.id)).status == PaymentStatus.PENDING

    abandoned_account = new_account(service)
    other = await payer(stack, make_user, abandoned_account)
    abandoned = await other.payments.create_payment(abandoned_account.bill_id, new_idempotency_key())
    await asyncio.sleep(1.5)

    summary = await run_once(stack.url, stack.service_key, stack.home,
                             ReconcileOptions(grace_s=0, created_ttl_s=1, checkout_ttl_s=3600))
    assert summary["settled"] >= 1 and summary["expired_created"] >= 1
    assert (await client.payments.payment(paid.id)).status == PaymentStatus.SUCCEEDED
    assert (await client.payments.bill(account.bill_id)).status == BillStatus.PAID
    assert (await other.payments.payment(abandoned.id)).status == PaymentStatus.EXPIRED
    again = await run_once(stack.url, stack.service_key, stack.home, ReconcileOptions(grace_s=0, created_ttl_s=1))
    assert (await client.payments.payment(paid.id)).status == PaymentStatus.SUCCEEDED and again["errors"] == 0
    await client.aclose()
    await other.aclose()


async def test_reminders_come_once_for_bills_due_soon(stack, service, make_user) -> None:
    soon = new_account(service, due_in_days=1)
    client = await payer(stack, make_user, soon)
    later = new_account(service, due_in_days=20)
    await client.payments.link_utility_account(later.kind, later.provider, later.account_no, later.holder_name)
    for _ in range(2):
        await run_once(stack.url, stack.service_key, stack.home, ReconcileOptions(reminder_days=3))
    reminders = [n for n in await client.profile.notifications() if n.kind == "bill_due"]
    assert [n.payload["bill_id"] for n in reminders] == [soon.bill_id]
    assert "到期" in reminders[0].title_zh
    await client.aclose()


async def _is(client, payment_id, status) -> bool:
    return (await client.payments.payment(payment_id)).status == status


async def _refunded(client, payment_id):
    payment = await client.payments.payment(payment_id)
    return payment if payment.refund_ref else None


async def _rpc(service, name, args):
    return await asyncio.to_thread(lambda: service.rpc(name, args).execute().data)


def test_the_sandbox_secret_is_generated_into_the_state_folder_only(stack) -> None:
    from backend.payments.sandbox import SECRET_FILE

    path = stack.home / SECRET_FILE
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    assert len(path.read_bytes().strip()) >= 32
