"""One-time SMS codes: made, stored as a keyed hash, checked once (auth.one_time_tokens).

A six-digit code has only a million values, so a plain hash in the table would be
reversed in a second by anyone who can read it; the hash is keyed with the stack's
JWT secret instead (HMAC-SHA256 over purpose, number and code). Each account holds
at most one live code per purpose; sending again replaces it. A code dies on its
first success, on expiry, or after `max_wrong` wrong tries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from psycopg.rows import class_row

from .users import Conn


class Purpose(str, Enum):
    """GoTrue's token types that travel by SMS."""

    CONFIRMATION = "confirmation_token"  # sign-up and sign-in by code (verify type=sms)
    PHONE_CHANGE = "phone_change_token"  # a new number (verify type=phone_change)


@dataclass
class StoredCode:
    id: uuid.UUID
    user_id: uuid.UUID
    token_hash: str
    relates_to: str
    failed_attempts: int
    pending_password: str | None
    created_at: datetime
    expired: bool = False


class CheckResult(str, Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong code, tries left
    EXHAUSTED = "exhausted"  # this was the last wrong try: the code is gone
    EXPIRED = "expired"
    MISSING = "missing"  # no code waiting for this number


def new_code(length: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def code_hash(key: str, purpose: Purpose, phone: str, code: str) -> str:
    message = f"{purpose.value}:{phone}:{code.strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


async def store(conn: Conn, *, user_id: uuid.UUID, purpose: Purpose, phone: str, token_hash: str,
                pending_password: str | None = None, keep_pending: bool = False) -> None:
    """The account's live code for `purpose`, replacing any earlier one (fresh tries, fresh clock).

    `keep_pending`: a resend keeps the password the replaced code carried (the sign-up's)."""
    await conn.execute(
        """insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to, pending_password)
           values (%s, %s, %s, %s, %s)
           on conflict (user_id, token_type) do update
             set token_hash = excluded.token_hash, relates_to = excluded.relates_to,
                 pending_password = coalesce(excluded.pending_password,
                                             case when %s then auth.one_time_tokens.pending_password end),
                 failed_attempts = 0, created_at = now(), updated_at = now()""",
        (user_id, purpose.value, token_hash, phone, pending_password, keep_pending),
    )


async def last_sent(conn: Conn, *, user_id: uuid.UUID, purpose: Purpose) -> datetime | None:
    row = await (await conn.execute(
        "select created_at from auth.one_time_tokens where user_id = %s and token_type = %s",
        (user_id, purpose.value))).fetchone()
    return row[0] if row else None


async def check(conn: Conn, *, purpose: Purpose, phone: str, token_hash: str,
                expiry_s: int, max_wrong: int) -> tuple[CheckResult, StoredCode | None]:
    """Find the code sent to `phone` for `purpose` and spend it, under row locks.

    Several accounts may wait for codes to one number (phone changes): the code itself says
    whose it is, so one account asking later cannot make another's code fail. A wrong code
    counts against every code waiting for that number."""
    async with conn.cursor(row_factory=class_row(StoredCode)) as cur:
        await cur.execute(
            """select id, user_id, token_hash, relates_to, failed_attempts, pending_password, created_at,
                      created_at + %s * interval '1 second' < now() as expired
               from auth.one_time_tokens where token_type = %s and relates_to = %s
               order by created_at for update""",
            (expiry_s, purpose.value, phone))
        waiting = await cur.fetchall()
    if not waiting:
        return CheckResult.MISSING, None
    for stored in waiting:
        if hmac.compare_digest(stored.token_hash, token_hash):
            await _delete(conn, stored.id)
            return (CheckResult.EXPIRED, None) if stored.expired else (CheckResult.OK, stored)
    live = [s for s in waiting if not s.expired]
    for stored in waiting:
        if stored.expired or stored.failed_attempts + 1 >= max_wrong:
            await _delete(conn, stored.id)
        else:
            await conn.execute("update auth.one_time_tokens set failed_attempts = failed_attempts + 1, "
                               "updated_at = now() where id = %s", (stored.id,))
    if not live:
        return CheckResult.EXPIRED, None
    if all(s.failed_attempts + 1 >= max_wrong for s in live):
        return CheckResult.EXHAUSTED, None
    return CheckResult.WRONG, None


async def _delete(conn: Conn, code_id: uuid.UUID) -> None:
    await conn.execute("delete from auth.one_time_tokens where id = %s", (code_id,))
