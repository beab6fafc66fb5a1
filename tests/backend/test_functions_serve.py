"""`cityloop functions serve` beside a Supabase it knows only by URL and service key: here the test
stack, as a city's server beside hosted Supabase. It serves the payment functions (checkout as the
payer, the provider's notification) and runs the jobs (reconciliation, escalations) through the API.

The functions server has a state folder of its own (the sandbox provider's books): nothing of the
stack's is shared but its HTTP API.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from shared.payments import new_idempotency_key
from tests.backend.gateway_support import stop_process, wait_until_healthy
from tests.backend.payments_support import decide, new_account, notify, sandbox_secret, wait_for
from tests.conftest import free_port

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]
CITYLOOP = [sys.executable, "-m", "backend.cli"]


class FunctionsServer:
    def __init__(self, url: str, home: Path, proc: subprocess.Popen, log: Path):
        self.url, self.home, self.proc, self.log = url, home, proc, log

    def health(self) -> dict:
        return httpx.get(f"{self.url}/health", timeout=5).json()


@pytest.fixture(scope="module")
def functions(stack):
    home = Path(tempfile.mkdtemp(prefix="cityloop-functions-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYLOOP_", "SUPABASE_", "DATABASE_URL"))}
    env.update(SUPABASE_URL=stack.url, SUPABASE_SERVICE_ROLE_KEY=stack.service_key, CITYLOOP_HOME=str(home),
               CITYLOOP_FUNCTIONS_PORT=str(port),
               # Reconciliation asks the provider about a payment pending for 1 s (the stack's own waits 60 s).
               CITYLOOP_PAYMENTS_INTERVAL="1", CITYLOOP_PAYMENTS_GRACE="1", CITYLOOP_ESCALATION_INTERVAL="1",
               CITYLOOP_CARE_SCAN_INTERVAL="0", CITYLOOP_CARE_ESCALATION_INTERVAL="0", CITYLOOP_SMS_INTERVAL="0")
    log = stack.home / "logs" / f"functions-{port}.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(CITYLOOP + ["functions", "serve"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = FunctionsServer(f"http://127.0.0.1:{port}", home, proc, log)
    try:
        wait_until_healthy(proc, f"{server.url}/health", log, "functions server", timeout=60)
        yield server
    finally:
        stop_process(proc)
        shutil.rmtree(home, ignore_errors=True)


def _new_payment(service, make_user):
    account = new_account(service)
    payer = make_user(app_metadata={"role": "citizen"})
    payer.client.rpc("link_utility_account", {"kind": account.kind, "provider": account.provider,
                                              "account_no": account.account_no,
                                              "holder_name": account.holder_name}).execute()
    payment = payer.client.rpc("create_payment", {"bill": account.bill_id,
                                                  "idempotency_key": new_idempotency_key()}).execute().data
    return account, payer, payment


def _checkout(functions, stack, token: str | None, payment_id: str) -> httpx.Response:
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {token or stack.anon_key}"}
    return httpx.post(f"{functions.url}/functions/v1/payments-checkout", json={"payment_id": payment_id},
                      headers=headers, timeout=30)


def _status(service, payment_id: str) -> str:
    return service.table("payments").select("status").eq("id", payment_id).execute().data[0]["status"]


def test_checkout_is_opened_for_the_payer_only(functions, stack, service, make_user) -> None:
    _, payer, payment = _new_payment(service, make_user)
    stranger = make_user(app_metadata={"role": "citizen"})
    anon = _checkout(functions, stack, None, payment["id"])
    assert anon.status_code == 401 and anon.json()["code"] == "PT401"
    other = _checkout(functions, stack, stranger.access_token, payment["id"])
    assert other.status_code == 404 and other.json()["code"] == "PT404"
    assert _status(service, payment["id"]) == "created"  # neither refusal changed anything
    opened = _checkout(functions, stack, payer.access_token, payment["id"])
    assert opened.status_code == 200, opened.text
    assert opened.json()["checkout_url"].startswith(f"{functions.url}/sandbox-pay/checkout/")
    assert _status(service, payment["id"]) == "pending"


async def test_a_provider_notification_is_served_and_settles_the_payment(functions, stack, service,
                                                                        make_user) -> None:
    account, payer, payment = _new_payment(service, make_user)
    ref = _checkout(functions, stack, payer.access_token, payment["id"]).json()["payment"]["provider_ref"]
    secret = sandbox_secret(functions.home)
    forged = notify(functions.url, b"not the sandbox's secret", {"provider_ref": ref, "outcome": "succeeded",
                                                                 "amount_fen": account.amount_fen})
    assert forged.status_code == 401 and _status(service, payment["id"]) == "pending"
    answer = notify(functions.url, secret, {"provider_ref": ref, "outcome": "succeeded",
                                            "amount_fen": account.amount_fen})
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded"
    bill = service.table("bills").select("status").eq("id", account.bill_id).execute().data[0]
    assert _status(service, payment["id"]) == "succeeded" and bill["status"] == "paid"


async def test_its_jobs_run_against_the_api(functions, stack, service, make_user) -> None:
    account, payer, payment = _new_payment(service, make_user)
    ref = _checkout(functions, stack, payer.access_token, payment["id"]).json()["payment"]["provider_ref"]
    # Paid at the provider, and the notification never arrives: only reconciliation can find it.
    assert decide(functions.url, ref, "pay", deliver=False).status_code in (200, 303)

    async def settled() -> bool:
        return _status(service, payment["id"]) == "succeeded"

    assert await wait_for(settled, timeout=60)
    ledger = service.table("payment_ledger").select("kind").eq("payment_id", payment["id"]).execute().data
    assert [row["kind"] for row in ledger] == ["charge"]
    jobs = functions.health()["jobs"]
    assert jobs["payments"]["runs"] >= 1 and jobs["escalations"]["runs"] >= 1
    assert jobs["escalations"]["failures"] == 0


def test_it_needs_the_url_and_the_service_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYLOOP_", "SUPABASE_"))}
    done = subprocess.run(CITYLOOP + ["functions", "serve"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set" in done.stderr
