"""What the payment tests share: a fresh utility account with one bill, payers as CityClients,
the sandbox's checkout and signed notifications, all through the real HTTP API."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from supabase import Client

from backend.payments import sandbox
from backend.payments.provider import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from shared.client import CityClient
from tests.conftest import StackInfo, TestUser


@dataclass
class Account:
    provider: str
    kind: str
    account_no: str
    holder_name: str
    bill_id: str
    amount_fen: int


def new_account(service: Client, *, amount_fen: int = 4630, due_in_days: int = 5, kind: str = "water",
                holder_name: str = "测试户主") -> Account:
    """A provider account of its own with one unpaid bill, through the sandbox utility's import RPC."""
    account_no = "T" + uuid.uuid4().hex[:12].upper()
    provider = {"water": "city_water", "electricity": "city_power", "gas": "city_gas"}[kind]
    due = time.strftime("%Y-%m-%d", time.localtime(time.time() + due_in_days * 86400))
    service.rpc("import_bills", {"rows": [{"provider": provider, "kind": kind, "account_no": account_no,
                                           "holder_name": holder_name, "address": "测试路 1 号", "period": "2026-10",
                                           "amount_fen": amount_fen, "due_date": due}]}).execute()
    bill = service.table("bills").select("id").eq("account_no", account_no).execute().data[0]
    return Account(provider, kind, account_no, holder_name, bill["id"], amount_fen)


async def city_client(stack: StackInfo, user: TestUser, url: str | None = None) -> CityClient:
    client = await CityClient.connect(url=url or stack.url, key=stack.anon_key)
    await client.auth.sign_in(user.email, user.password)
    return client


async def payer(stack: StackInfo, make_user: Callable[..., TestUser], account: Account,
                url: str | None = None) -> CityClient:
    """A new citizen who linked `account`."""
    user = make_user(app_metadata={"role": "citizen"})
    client = await city_client(stack, user, url)
    await client.payments.link_utility_account(account.kind, account.provider, account.account_no, account.holder_name)
    return client


def sandbox_secret(home: Path) -> bytes:
    return sandbox.load_sandbox_secret(home)


def decide(base_url: str, provider_ref: str, decision: str = "pay", deliver: bool = True) -> httpx.Response:
    """What the payer's tap on the sandbox checkout page sends."""
    suffix = "" if deliver else "?deliver=0"
    return httpx.post(f"{base_url}/sandbox-pay/checkout/{provider_ref}/{decision}{suffix}", timeout=30)


def notify(base_url: str, secret: bytes, body: dict | bytes, *, nonce: str | None = None,
           timestamp: int | None = None, signed_body: bytes | None = None) -> httpx.Response:
    """A notification as the sandbox signs it; `signed_body` signs other bytes than those sent."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or secrets.token_hex(16)
    headers = {TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce, "Content-Type": "application/json",
               SIGNATURE_HEADER: sign(secret, timestamp, nonce, signed_body if signed_body is not None else raw)}
    return httpx.post(f"{base_url}/functions/v1/payments-notify/sandbox", content=raw, headers=headers, timeout=30)


def outcome(payment, state: str = "succeeded", amount_fen: int | None = None) -> dict:
    return {"provider_ref": payment.provider_ref, "outcome": state,
            "amount_fen": payment.amount_fen if amount_fen is None else amount_fen}


async def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll an async predicate until it answers something truthy (generous: the machine is shared)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)
