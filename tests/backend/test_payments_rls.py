"""Who sees and changes what, for every payment table: two citizens, anon, a grid worker, the service role.

Allowed AND denied for each policy; a denied select is an empty answer, a denied write an error
or no row changed. Nobody but the payment backend marks a bill paid or writes a payment.
"""

from __future__ import annotations

import asyncio

import pytest
from postgrest.exceptions import APIError

from shared.payments import new_idempotency_key
from tests.backend.payments_support import decide, new_account, wait_for

pytestmark = pytest.mark.timeout(180)
TABLES = ("provider_accounts", "utility_accounts", "bills", "payments", "payment_ledger")


@pytest.fixture(scope="module")
def world(stack, service, make_user):
    account = new_account(service)
    a = make_user(app_metadata={"role": "citizen"})
    b = make_user(app_metadata={"role": "citizen"})
    worker = make_user(app_metadata={"role": "grid_worker"})
    a.client.rpc("link_utility_account", {"kind": account.kind, "provider": account.provider,
                                          "account_no": account.account_no, "holder_name": account.holder_name}).execute()
    payment = a.client.rpc("create_payment", {"bill": account.bill_id, "idempotency_key": new_idempotency_key()}).execute().data
    checkout = a.client.functions.invoke("payments-checkout", {"body": {"payment_id": payment["id"]},
                                                               "responseType": "json"})
    decide(stack.url, checkout["payment"]["provider_ref"], "pay")
    assert asyncio.run(wait_for(_paid(service, account.bill_id)))
    return {"account": account, "a": a, "b": b, "worker": worker, "payment": payment}


def _paid(service, bill_id):
    async def check():
        return service.table("bills").select("status").eq("id", bill_id).execute().data[0]["status"] == "paid"
    return check


def _rows(client, table, account_no):
    column = "account_no"
    if table in ("payments", "payment_ledger"):
        return client.table(table).select("*").execute().data
    return client.table(table).select("*").eq(column, account_no).execute().data


@pytest.mark.parametrize("table", TABLES)
def test_the_holder_reads_her_own_rows_and_nobody_else_does(world, anon, service, table) -> None:
    acct = world["account"].account_no
    mine = _rows(world["a"].client, table, acct)
    assert (len(mine) > 0) == (table != "provider_accounts")  # provider data: service role only
    for other in (world["b"].client, world["worker"].client, anon):
        assert _rows(other, table, acct) == []
    assert len(_rows(service, table, acct)) >= 1


@pytest.mark.parametrize("table", ["bills", "payments", "provider_accounts"])
def test_no_client_changes_bills_payments_or_provider_data(world, table) -> None:
    a = world["a"].client
    key = {"bills": ("id", world["account"].bill_id), "payments": ("id", world["payment"]["id"]),
           "provider_accounts": ("account_no", world["account"].account_no)}[table]
    change = {"bills": {"status": "unpaid"}, "payments": {"status": "failed"},
              "provider_accounts": {"holder_name": "someone else"}}[table]
    with pytest.raises(APIError) as refused:
        a.table(table).update(change).eq(*key).execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError):
        a.table(table).delete().eq(*key).execute()


def test_nobody_inserts_payments_or_links_accounts_directly(world) -> None:
    a = world["a"].client
    acct = world["account"]
    with pytest.raises(APIError) as payment:
        a.table("payments").insert({"bill_id": acct.bill_id, "payer_id": world["a"].id, "amount_fen": 1,
                                    "idempotency_key": new_idempotency_key()}).execute()
    assert payment.value.code == "42501"
    with pytest.raises(APIError) as link:
        world["b"].client.table("utility_accounts").insert({"user_id": world["b"].id, "provider": acct.provider,
                                                            "account_no": acct.account_no, "kind": "water",
                                                            "address": "x"}).execute()
    assert link.value.code == "42501"
    with pytest.raises(APIError) as ledger:
        a.table("payment_ledger").insert({"payment_id": world["payment"]["id"], "bill_id": acct.bill_id,
                                          "payer_id": world["a"].id, "kind": "refund", "amount_fen": 1,
                                          "provider": "sandbox"}).execute()
    assert ledger.value.code == "42501"
    with pytest.raises(APIError) as relabel:  # a link cannot be moved to another account
        a.table("utility_accounts").update({"account_no": "W10010101"}).eq("user_id", world["a"].id).execute()
    assert relabel.value.code == "42501"


@pytest.mark.parametrize("rpc,args", [
    ("settle_payment", {"provider": "sandbox", "provider_ref": "x", "outcome": "succeeded", "amount_fen": 1}),
    ("start_checkout", {"payment": "00000000-0000-4000-8000-000000000000", "provider": "sandbox",
                        "provider_ref": "x", "checkout_url": "http://x"}),
    ("import_bills", {"rows": []}),
    ("expire_stale_payments", {"created_older_than_s": 0}),
    ("send_bill_reminders", {"days_ahead": 3}),
    ("payments_to_reconcile", {"older_than_s": 0}),
])
def test_only_the_service_role_runs_the_backend_rpcs(world, anon, service, rpc, args) -> None:
    for client in (world["a"].client, world["worker"].client, anon):
        with pytest.raises(APIError) as refused:
            client.rpc(rpc, args).execute()
        assert refused.value.code in ("42501", "PT403")
    if rpc in ("import_bills", "send_bill_reminders", "payments_to_reconcile"):
        service.rpc(rpc, args).execute()  # allowed


def test_the_other_citizen_cannot_pay_or_see_the_bill_and_unlinks_only_her_own(world, service) -> None:
    b = world["b"].client
    with pytest.raises(APIError) as refused:
        b.rpc("create_payment", {"bill": world["account"].bill_id, "idempotency_key": new_idempotency_key()}).execute()
    assert refused.value.code == "PT404"
    link = world["a"].client.table("utility_accounts").select("id").execute().data[0]["id"]
    assert b.table("utility_accounts").delete().eq("id", link).execute().data == []
    assert service.table("utility_accounts").select("id").eq("id", link).execute().data


def test_the_ledger_is_append_only_even_for_the_service_role(world, service) -> None:
    entry = service.table("payment_ledger").select("id").eq("payment_id", world["payment"]["id"]).execute().data[0]
    with pytest.raises(APIError):
        service.table("payment_ledger").update({"amount_fen": 1}).eq("id", entry["id"]).execute()
    with pytest.raises(APIError):
        service.table("payment_ledger").delete().eq("id", entry["id"]).execute()


def test_a_payer_who_unlinked_still_sees_the_bill_she_paid_and_nothing_new(world, service) -> None:
    a = world["a"].client
    acct = world["account"]
    later = service.rpc("import_bills", {"rows": [{"provider": acct.provider, "kind": acct.kind, "account_no": acct.account_no,
                                                  "holder_name": acct.holder_name, "address": "测试路 1 号",
                                                  "period": "2026-11", "amount_fen": 999,
                                                  "due_date": "2026-12-20"}]}).execute()
    assert later.data["bills_added"] == 1
    assert len(a.table("bills").select("id").eq("account_no", acct.account_no).execute().data) == 2
    link = a.table("utility_accounts").select("id").eq("account_no", acct.account_no).execute().data[0]["id"]
    assert a.table("utility_accounts").delete().eq("id", link).execute().data
    seen = a.table("bills").select("id,status").eq("account_no", acct.account_no).execute().data
    assert seen == [{"id": acct.bill_id, "status": "paid"}]  # the paid one (history), not the new one
    assert world["b"].client.table("bills").select("id").eq("account_no", acct.account_no).execute().data == []
