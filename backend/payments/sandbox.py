"""The sandbox payment provider: a stand-in for WeChat Pay / Alipay that runs inside the local stack.

It keeps its own books (a SQLite file in the state folder, apart from CityLoop's database, as a
real provider's are), serves a checkout page the app opens (pay / fail, Chinese and English) and,
when the payer decides, sends the backend a notification signed with HMAC-SHA256 over
(timestamp, nonce, body) with a secret generated into the git-ignored state folder.
`SandboxProvider` is the adapter the backend uses; a real provider's adapter has the same shape.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Mapping

import httpx

from shared.fonts import ASSETS_DIR, FONT_ASSET, FONT_FAMILY

from .provider import (NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Checkout, CheckoutRequest,
                       InvalidNotification, Notification, OrderStatus, Refund, check_signed, sign)

NAME = "sandbox"
SECRET_FILE = "payments-sandbox-secret"
BOOKS_FILE = "payments-sandbox.sqlite3"


def load_sandbox_secret(home: Path) -> bytes:
    """The sandbox's HMAC secret, generated (mode 0600) on first use, like the stack's JWT secret."""
    path = home / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another gateway worker made it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(32))
    return path.read_bytes().strip()


class SandboxBooks:
    """The sandbox provider's own orders. SQLite (WAL) so several gateway workers share it."""

    def __init__(self, path: Path):
        self.path = path
        with closing(self._connect()) as db, db:
            db.execute("pragma journal_mode=wal")
            db.execute("""create table if not exists orders (
                ref text primary key, payment_id text not null, amount_fen integer not null,
                description text not null, state text not null default 'open', created_at real not null,
                decided_at real, refund_ref text)""")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("pragma busy_timeout=30000")
        db.execute("pragma synchronous=normal")  # WAL: a process crash loses nothing, no fsync per order
        return db

    def open_order(self, payment_id: str, amount_fen: int, description: str) -> dict:
        """The payment's open (or paid) order, else a new one: a closed order is never reopened."""
        with closing(self._connect()) as db:
            db.execute("begin immediate")  # one writer at a time: two calls for a payment find the same order
            row = db.execute("select * from orders where payment_id = ? and state in ('open', 'succeeded')"
                             " order by created_at desc limit 1", (payment_id,)).fetchone()
            if row is None:
                db.execute("insert into orders (ref, payment_id, amount_fen, description, created_at) values (?, ?, ?, ?, ?)",
                           ("sbx_" + uuid.uuid4().hex, payment_id, amount_fen, description, time.time()))
                row = db.execute("select * from orders where payment_id = ? order by created_at desc limit 1",
                                 (payment_id,)).fetchone()
            db.execute("commit")
            return dict(row)

    def order(self, ref: str) -> dict | None:
        with closing(self._connect()) as db:
            row = db.execute("select * from orders where ref = ?", (ref,)).fetchone()
            return dict(row) if row else None

    def decide(self, ref: str, state: str) -> dict | None:
        """Move an open order to succeeded / failed / closed; a decided order keeps its state."""
        with closing(self._connect()) as db:
            db.execute("update orders set state = ?, decided_at = ? where ref = ? and state = 'open'", (state, time.time(), ref))
            row = db.execute("select * from orders where ref = ?", (ref,)).fetchone()
            return dict(row) if row else None

    def refund(self, ref: str) -> str | None:
        with closing(self._connect()) as db:
            db.execute("update orders set refund_ref = coalesce(refund_ref, ?) where ref = ? and state = 'succeeded'",
                       ("rfd_" + uuid.uuid4().hex, ref))
            row = db.execute("select refund_ref from orders where ref = ?", (ref,)).fetchone()
            return row["refund_ref"] if row else None


class SandboxProvider:
    """The adapter for the sandbox: what a WeChat Pay / Alipay adapter does over their HTTPS APIs."""

    name = NAME

    def __init__(self, books: SandboxBooks, secret: bytes, base_url: str):
        self.books = books
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        self._http: httpx.AsyncClient | None = None

    @property
    def notify_url(self) -> str:
        return f"{self.base_url}/functions/v1/payments-notify/{NAME}"

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        order = self.books.open_order(request.payment_id, request.amount_fen, request.description)
        return Checkout(order["ref"], f"{self.base_url}/sandbox-pay/checkout/{order['ref']}")

    async def close_checkout(self, provider_ref: str) -> None:
        self.books.decide(provider_ref, "closed")

    async def query_status(self, provider_ref: str) -> OrderStatus:
        order = self.books.order(provider_ref)
        if order is None:
            return OrderStatus(provider_ref, "closed", 0)
        return OrderStatus(provider_ref, order["state"], order["amount_fen"])

    def verify_notification(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> Notification:
        timestamp, nonce = check_signed(self.secret, headers, body, now=now)
        try:
            data = json.loads(body)
            outcome, ref, amount = data["outcome"], str(data["provider_ref"]), data["amount_fen"]
        except (ValueError, KeyError, TypeError):
            raise InvalidNotification("malformed body") from None
        if outcome not in ("succeeded", "failed") or not isinstance(amount, int):
            raise InvalidNotification("malformed body")
        return Notification(ref, outcome, amount, nonce, timestamp)

    async def refund(self, provider_ref: str, amount_fen: int, reason: str) -> Refund:
        refund_ref = self.books.refund(provider_ref)
        if refund_ref is None:
            raise RuntimeError(f"sandbox cannot refund {provider_ref}: not paid")
        return Refund(provider_ref, refund_ref)

    # --- the provider's side: what its servers send

    def signed_notification(self, order: dict, *, nonce: str | None = None, timestamp: int | None = None) -> tuple[dict, bytes]:
        body = json.dumps({"provider_ref": order["ref"], "outcome": order["state"], "amount_fen": order["amount_fen"],
                           "payment_id": order["payment_id"]}, separators=(",", ":")).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = nonce or secrets.token_hex(16)
        headers = {TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce,
                   SIGNATURE_HEADER: sign(self.secret, timestamp, nonce, body), "Content-Type": "application/json"}
        return headers, body

    async def deliver(self, order: dict) -> bool:
        """Send the notification once; a lost one is found by reconciliation (query_status)."""
        headers, body = self.signed_notification(order)
        if self._http is None:  # one client for the gateway's life: making one costs more than a request
            self._http = httpx.AsyncClient(timeout=15)
        try:
            response = await self._http.post(self.notify_url, content=body, headers=headers)
            return response.status_code == 200
        except httpx.HTTPError:
            return False


def provider_for(home: Path, base_url: str) -> SandboxProvider:
    return SandboxProvider(SandboxBooks(home / BOOKS_FILE), load_sandbox_secret(home), base_url)


# --- the checkout page -------------------------------------------------------------------------

# The apps' shipped Chinese subset (assets/fonts), served beside the page: a phone or a test browser
# without a CJK system font would otherwise draw boxes. Its coverage of this page is tested.
FONT_URL = "/sandbox-pay/font.otf"
FONT_FILE = ASSETS_DIR / FONT_ASSET

_STYLE = f"""@font-face{{font-family:'{FONT_FAMILY}';src:url('{FONT_URL}') format('opentype');font-display:block}}
""" + """body{font-family:'Noto Sans SC',system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f24}
main{max-width:420px;margin:0 auto;padding:24px}h1{font-size:22px}.amount{font-size:40px;font-weight:700;margin:16px 0}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
button{display:block;width:100%;font-size:20px;padding:16px;margin-top:14px;border:0;border-radius:10px;cursor:pointer}
.pay{background:#07c160;color:#fff}.fail{background:#e9ecef;color:#1b1f24}.lose{background:none;color:#6c757d;font-size:14px}
.muted{color:#6c757d;font-size:14px}"""


def _page(title: str, inner: str) -> str:
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><main>{inner}</main></body></html>")


def checkout_page(order: dict) -> str:
    ref = html.escape(order["ref"])
    amount = f"¥{order['amount_fen'] // 100}.{order['amount_fen'] % 100:02d}"
    if order["state"] != "open":
        return result_page(order)
    return _page("沙箱支付 Sandbox checkout", f"""
<h1>沙箱支付 · Sandbox checkout</h1>
<div class="card"><div class="muted">{html.escape(order['description'])}</div>
<div class="amount" id="amount">{amount}</div>
<div class="muted">订单号 Order {ref}</div>
<form method="post" action="/sandbox-pay/checkout/{ref}/pay"><button class="pay" id="pay">确认支付 Pay</button></form>
<form method="post" action="/sandbox-pay/checkout/{ref}/fail"><button class="fail" id="fail">支付失败 Fail</button></form>
<form method="post" action="/sandbox-pay/checkout/{ref}/pay?deliver=0">
<button class="lose" id="lose">支付但不发送通知（测试对账） Pay, lose the notification (tests reconciliation)</button></form>
</div><p class="muted">这是测试环境，不会产生真实扣款。This is a sandbox: no real money moves.</p>""")


def result_page(order: dict) -> str:
    text = {"succeeded": ("支付成功", "Payment succeeded"), "failed": ("支付失败", "Payment failed"),
            "closed": ("订单已关闭", "This order is closed")}.get(order["state"], ("处理中", "Processing"))
    return _page(text[0], f"<h1 id='result'>{text[0]} · {text[1]}</h1>"
                          "<p>请返回 CityLoop 查看结果。Please go back to CityLoop to see the result.</p>")
