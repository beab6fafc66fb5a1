"""Phone numbers proven by a code: `/otp`, `/verify`, `/resend`, and the code steps of
sign-up and phone change (GoTrue's otp.go, verify.go, resend.go, phone.go).

A number counts as the account's (`phone_confirmed_at` set) only once the code sent
to it comes back. Until then a phone sign-up is an account nobody can sign in to, and
a phone change waits in `phone_change` (`new_phone`) with the old number untouched, so
claiming somebody else's number gets the claimer nothing.
"""

from __future__ import annotations

from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from . import codes, context, errors, sms, throttle, users, validation
from .codes import CheckResult, Purpose
from .context import answer, session_answer
from .payloads import with_providers
from .users import Conn, UserRow


def confirmations_on(request: Request) -> bool:
    """[auth.sms] enable_confirmations of supabase/config.toml."""
    return context.state(request).settings.auth.sms_confirmations


def _otp_answer(message_id: str | None) -> Response:
    return answer({"message_id": message_id} if message_id else {})


# --- sign-up by phone (called by account.signup) --------------------------------------

async def signup(request: Request, conn: Conn, new: users.NewUser) -> UserRow:
    """Create (or find, if still unconfirmed) the account and send its code; the user, no session.

    The password chosen travels with the code and is set only when that code is verified."""
    assert new.phone
    existing = await users.find_by_phone(conn, new.phone, for_update=True)
    if existing is not None and existing.phone_confirmed_at is not None:
        raise errors.unprocessable("user_already_exists", "User already registered")
    user = existing or await users.insert_user(conn, new)
    await sms.send_code(request, conn, user, Purpose.CONFIRMATION, new.phone,
                        pending_password=new.encrypted_password)
    return user


# --- PUT /user {"phone"} (called by account.update_user) -------------------------------

async def request_phone_change(request: Request, conn: Conn, user: UserRow, phone: str) -> UserRow:
    """Keep the new number aside in `phone_change` and send it a code."""
    holder = await users.find_by_phone(conn, phone)
    if holder is not None and holder.id != user.id:
        raise errors.unprocessable("phone_exists", errors.DUPLICATE_PHONE)
    user = await users.update_user(conn, user.id, {"phone_change": phone})
    await sms.send_code(request, conn, user, Purpose.PHONE_CHANGE, phone)
    return user


# --- POST /otp ---------------------------------------------------------------------------

async def otp(request: Request) -> Response:
    body = await validation.read_body(request)
    if validation.text(body, "email"):
        raise errors.validation_failed("Only sign-in by phone code is available on the local stack")
    raw_phone = validation.text(body, "phone")
    if not raw_phone:
        raise errors.validation_failed("Sign in with OTP requires an email or phone number")
    phone = validation.phone(raw_phone)
    channel = validation.text(body, "channel") or "sms"
    if channel != "sms":
        raise errors.validation_failed("Invalid channel: only sms is available")
    create_user = body.get("create_user", True)
    if not isinstance(create_user, bool):
        raise errors.validation_failed("create_user must be true or false")
    data = validation.json_object(body, "data") or {}
    throttle.count_request(request)
    async with context.pool(request).connection() as conn, conn.transaction():
        user = await users.find_by_phone(conn, phone, for_update=True)
        if user is None:
            if not create_user:
                raise errors.unprocessable("otp_disabled", "Signups not allowed for otp")
            try:
                user = await users.insert_user(conn, users.NewUser(
                    email=None, phone=phone, encrypted_password="",
                    app_metadata={"provider": "phone", "providers": ["phone"]}, user_metadata=data))
            except psycopg.errors.UniqueViolation:
                raise errors.unprocessable("user_already_exists", "User already registered") from None
        if user.is_banned(context.now()):
            raise errors.bad_request("user_banned", "User is banned")
        message_id = await sms.send_code(request, conn, user, Purpose.CONFIRMATION, phone)
    return _otp_answer(message_id)


# --- POST /resend ------------------------------------------------------------------------

async def resend(request: Request) -> Response:
    body = await validation.read_body(request)
    kind = validation.text(body, "type")
    if kind not in ("sms", "phone_change"):
        raise errors.validation_failed("Missing one of these types: sms, phone_change "
                                       "(e-mail confirmations are off on the local stack)")
    if validation.text(body, "email"):
        raise errors.validation_failed(f"Type {kind} needs a phone number")
    phone = validation.phone(validation.text(body, "phone"))
    throttle.count_request(request)
    async with context.pool(request).connection() as conn, conn.transaction():
        if kind == "sms":
            user = await users.find_by_phone(conn, phone, for_update=True)
            purpose = Purpose.CONFIRMATION
        else:
            user = await users.find_by_phone_change(conn, phone)
            purpose = Purpose.PHONE_CHANGE
        if user is None:  # as GoTrue: nothing says whether the number has an account
            return _otp_answer(None)
        if user.is_banned(context.now()):
            raise errors.bad_request("user_banned", "User is banned")
        message_id = await sms.send_code(request, conn, user, purpose, phone, keep_pending=True)
    return _otp_answer(message_id)


# --- POST /verify ------------------------------------------------------------------------

async def verify(request: Request) -> Response:
    body = await validation.read_body(request)
    kind = validation.text(body, "type")
    if kind not in ("sms", "phone_change"):
        raise errors.validation_failed("Verify requires a verification type: sms or phone_change "
                                       "(e-mail confirmations are off on the local stack)")
    if validation.text(body, "token_hash") or validation.text(body, "email"):
        raise errors.validation_failed("Only phone codes can be verified on the local stack")
    phone = validation.phone(validation.text(body, "phone"))
    token = validation.text(body, "token").strip()
    if not token:
        raise errors.validation_failed("Verify requires a token or a token hash")
    throttle.count_verify(request)
    purpose = Purpose.CONFIRMATION if kind == "sms" else Purpose.PHONE_CHANGE
    settings = context.state(request).settings
    failure: errors.AuthError | None = None
    session: dict[str, Any] | None = None
    async with context.pool(request).connection() as conn, conn.transaction():
        # Accounts first, then codes: the order sending takes them in, so the two never deadlock.
        await users.lock_waiting_for(conn, phone, phone_change=purpose is Purpose.PHONE_CHANGE)
        result, stored = await codes.check(
            conn, purpose=purpose, phone=phone,
            token_hash=codes.code_hash(sms.code_key(request), purpose, phone, token),
            expiry_s=settings.auth.sms_otp_expiry_s, max_wrong=settings.otp_max_wrong)
        user = await users.find_by_id(conn, stored.user_id, for_update=True) if stored else None
        # The account must still be the one the number was sent for (phone, or phone change, unchanged).
        if user is not None and (user.phone if purpose is Purpose.CONFIRMATION else user.phone_change) == phone:
            if user.is_banned(context.now()):
                raise errors.bad_request("user_banned", "User is banned")
            user = await _confirm(conn, user, purpose, phone, stored.pending_password)
            session = await context.start_session(request, conn, user)
        else:
            # Counted wrong tries and spent codes are committed with this transaction; the error follows.
            failure = {CheckResult.EXPIRED: errors.otp_expired(),
                       CheckResult.EXHAUSTED: errors.otp_exhausted(settings.auth.sms_max_frequency_s)
                       }.get(result, errors.otp_wrong())
    if failure is not None:
        raise failure
    return session_answer(session)


async def _confirm(conn: Conn, user: UserRow, purpose: Purpose, phone: str, pending_password: str | None) -> UserRow:
    changes: dict[str, Any] = {"phone_confirmed": True}
    if purpose is Purpose.PHONE_CHANGE:
        changes = {"phone": phone, "phone_confirmed_now": True, "phone_change": "",
                   "raw_app_meta_data": with_providers(user.raw_app_meta_data, email=None, phone=phone)}
    elif user.phone_confirmed_at is None:
        # The number is proven only now: keep only the password that came with this code (none for
        # a sign-in code), never one set by whoever created the unconfirmed account.
        changes["encrypted_password"] = pending_password or ""
    if pending_password and "encrypted_password" not in changes:
        changes["encrypted_password"] = pending_password
    try:
        return await users.update_user(conn, user.id, changes)
    except psycopg.errors.UniqueViolation:  # someone else proved this number first
        raise errors.unprocessable("phone_exists", errors.DUPLICATE_PHONE) from None
