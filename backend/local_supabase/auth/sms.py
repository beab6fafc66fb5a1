"""Sending a code by SMS the way GoTrue can: through the Send-SMS hook.

The hook is an HTTP POST of `{"user": {...}, "sms": {"otp": "123456"}}`, signed as
standard webhooks ([auth.hook.send_sms] in supabase/config.toml). Unless that hook is
enabled (then its uri), it goes to the stack's own SMS sink (`/sink/sms/hook`), as the
local Supabase stack hands its mail to its own mail sink. `sms.phone` (the number to send to) is an
addition: for a phone change the user's `phone` is still the old number.

The call happens inside the caller's transaction, so when the hook fails the
code is not stored and nothing is half-written.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
from starlette.requests import Request

from .. import webhooks
from ..config import sms_hook_secret
from . import codes, errors, throttle
from .codes import Purpose
from .payloads import user_json
from .users import Conn, UserRow

log = logging.getLogger("cityloop.auth.sms")
HOOK_TIMEOUT_S = 5.0  # GoTrue's default hook timeout


def _settings(request: Request):
    return request.app.state.gateway.settings


def hook_secret(request: Request) -> str:
    state = request.app.state.gateway
    return sms_hook_secret(state.settings, state.secrets)


def code_key(request: Request) -> str:
    """The key of the codes' hashes (the stack's JWT secret: never in the database)."""
    return request.app.state.gateway.secrets.jwt_secret


async def send_code(request: Request, conn: Conn, user: UserRow, purpose: Purpose, phone: str, *,
                    pending_password: str | None = None, keep_pending: bool = False) -> str:
    """Make, store and send a code for `user` to `phone`; the message id. The caller holds the user row lock."""
    cfg = _settings(request).auth
    sent = await codes.last_sent(conn, user_id=user.id, purpose=purpose)
    if sent is not None:
        now = (await (await conn.execute("select now()")).fetchone())[0]
        wait = (sent + timedelta(seconds=cfg.sms_max_frequency_s) - now).total_seconds()
        if wait > 0:
            raise errors.sms_too_soon(wait)
    throttle.count_sms(request, phone)
    code = codes.new_code(cfg.sms_otp_length)
    try:
        await codes.store(conn, user_id=user.id, purpose=purpose, phone=phone,
                          token_hash=codes.code_hash(code_key(request), purpose, phone, code),
                          pending_password=pending_password, keep_pending=keep_pending)
        return await _call_hook(request, user, phone, code)
    except BaseException:
        throttle.uncount_sms(request, phone)
        raise


async def _call_hook(request: Request, user: UserRow, phone: str, code: str) -> str:
    settings = _settings(request)
    body = json.dumps({"user": user_json(user), "sms": {"otp": code, "phone": "+" + phone}}).encode()
    try:
        headers = webhooks.sign(hook_secret(request), body)
    except webhooks.SignatureError as exc:
        raise errors.AuthError(500, "sms_send_failed",
                               f"Error sending confirmation OTP to provider: {exc}") from None
    try:
        async with httpx.AsyncClient(timeout=HOOK_TIMEOUT_S) as client:
            answer = await client.post(settings.send_sms_hook_uri, content=body,
                                       headers={**headers, "Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        log.warning("send-sms hook unreachable at %s: %s", settings.send_sms_hook_uri, exc)
        raise errors.AuthError(500, "sms_send_failed",
                               "Error sending confirmation OTP to provider: the Send-SMS hook is unreachable") from None
    if answer.status_code >= 300:
        log.warning("send-sms hook answered %s: %s", answer.status_code, answer.text[:500])
        raise errors.AuthError(500, "sms_send_failed",
                               f"Error sending confirmation OTP to provider: the Send-SMS hook answered "
                               f"{answer.status_code}")
    return headers["webhook-id"]
