"""What a person does with their own account: sign up, sign in, refresh, read/change, sign out."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from . import context, errors, passwords, phone as phone_codes, throttle, users, validation
from .context import answer, session_answer
from .payloads import user_json, with_providers
from .validation import Body

# E-mail addresses confirm at once: the local stack sends no mail
# ([auth.email] enable_confirmations = false in supabase/config.toml). Phone numbers
# follow [auth.sms] enable_confirmations: on, they wait for their code (phone.py).
AUTOCONFIRM = True


def _email_or_phone(body: Body, action: str) -> tuple[str | None, str | None]:
    email, phone = validation.text(body, "email"), validation.text(body, "phone")
    if email and phone:
        raise errors.validation_failed(f"Only an email address or phone number should be provided on {action}.")
    return email or None, phone or None


# --- POST /signup -------------------------------------------------------------

async def signup(request: Request) -> Response:
    body = await validation.read_body(request)
    email, phone = _email_or_phone(body, "signup")
    if not email and not phone:
        raise errors.unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled")
    email = validation.email(email) if email else None
    phone = validation.phone(phone) if phone else None
    if not validation.text(body, "password"):
        raise errors.validation_failed("Signup requires a valid password")
    password = passwords.check_strength(body["password"])
    metadata = validation.json_object(body, "data") or {}
    throttle.count_request(request)
    provider = "email" if email else "phone"
    by_code = bool(phone) and phone_codes.confirmations_on(request)
    new = users.NewUser(
        email=email, phone=phone, encrypted_password=await passwords.hash_password(password),
        app_metadata={"provider": provider, "providers": [provider]}, user_metadata=metadata,
        email_confirmed=AUTOCONFIRM and bool(email), phone_confirmed=bool(phone) and not by_code,
    )
    try:
        async with context.pool(request).connection() as conn, conn.transaction():
            if by_code:  # as GoTrue with confirmations on: the user, no session, a code by SMS
                return answer(user_json(await phone_codes.signup(request, conn, new)))
            user = await users.insert_user(conn, new)
            session = await context.start_session(request, conn, user)
    except psycopg.errors.UniqueViolation:
        raise errors.unprocessable("user_already_exists", "User already registered") from None
    return session_answer(session)


# --- POST /token ----------------------------------------------------------------

async def token(request: Request) -> Response:
    grant = request.query_params.get("grant_type", "")
    if grant == "password":
        return await _password_grant(request)
    if grant == "refresh_token":
        return await _refresh_grant(request)
    raise errors.bad_request("invalid_credentials", "unsupported_grant_type")


async def _password_grant(request: Request) -> Response:
    body = await validation.read_body(request)
    email, phone = _email_or_phone(body, "login")
    if not email and not phone:
        raise errors.validation_failed("missing email or phone")
    password = validation.text(body, "password")
    async with context.pool(request).connection() as conn:
        if email:
            user = await users.find_by_email(conn, email.strip())
        else:
            user = await users.find_by_phone(conn, validation.format_phone(phone or ""))
    # One budget per account whichever identifier is typed; an unknown one is its own key.
    account = f"user:{user.id}" if user else (f"email:{email.strip().lower()}" if email
                                              else f"phone:{validation.format_phone(phone or '')}")
    ticket = throttle.begin_signin(request, account)
    if ticket.slow:  # many failures for this account from everywhere: slower answers, nobody locked out
        await asyncio.sleep(context.state(request).settings.signin_slowdown_s)
    # No DB connection is held while bcrypt runs; an unknown account costs the same comparison.
    matches = await passwords.verify_password(password, user.encrypted_password if user else None)
    if user is None or not matches:
        raise errors.invalid_credentials()
    throttle.signin_succeeded(request, ticket)

    if user.is_banned(context.now()):
        raise errors.bad_request("user_banned", "User is banned")
    if email and user.email_confirmed_at is None:
        raise errors.bad_request("email_not_confirmed", "Email not confirmed")
    if phone and user.phone_confirmed_at is None:
        raise errors.bad_request("phone_not_confirmed", "Phone not confirmed")
    async with context.pool(request).connection() as conn, conn.transaction():
        session = await context.start_session(request, conn, user)
    return session_answer(session)


async def _refresh_grant(request: Request) -> Response:
    body = await validation.read_body(request)
    refresh_token = validation.text(body, "refresh_token")
    if not refresh_token:
        raise errors.validation_failed("refresh_token required")
    reused = False
    reuse_interval_s = context.state(request).settings.auth.refresh_token_reuse_interval_s
    async with context.pool(request).connection() as conn, conn.transaction():
        row = await users.lock_refresh_token(conn, refresh_token)
        if row is None:
            raise errors.bad_request("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
        successor = None
        if row.revoked:
            # Spent moments ago (two tabs refreshing at once): its successor, if still the session's
            # current token, is handed out again ([auth] refresh_token_reuse_interval, as GoTrue).
            successor = await users.current_successor(conn, row, reuse_interval_s)
            if successor is None:
                # A spent token came back later: someone holds a copy. End the whole session (its tokens go with it).
                await users.delete_session(conn, row.session_id)
                reused = True
        if not reused:
            user = await users.find_by_id(conn, row.user_id)
            if user is None:
                raise errors.bad_request("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
            if user.is_banned(context.now()):
                raise errors.bad_request("user_banned", "User is banned")
            if successor is not None:
                session = await context.resume_session(request, conn, user, row.session_id, successor)
            else:
                session = await context.rotate_session(request, conn, user, row)
    if reused:  # raised after the commit, so the revocation sticks
        raise errors.bad_request("refresh_token_already_used", "Invalid Refresh Token: Already Used")
    return session_answer(session)


# --- GET/PUT /user ----------------------------------------------------------------

async def get_user(request: Request) -> Response:
    async with context.pool(request).connection() as conn:
        me = await context.signed_in(request, conn)
    return answer(user_json(me.user))


async def update_user(request: Request) -> Response:
    body = await validation.read_body(request)
    email = validation.email(validation.text(body, "email")) if validation.text(body, "email") else None
    phone = validation.phone(validation.text(body, "phone")) if validation.text(body, "phone") else None
    password = passwords.check_strength(body["password"]) if body.get("password") is not None else None
    data = validation.json_object(body, "data")
    if body.get("app_metadata") is not None:
        raise errors.forbidden("not_admin", "Updating app_metadata requires admin privileges")

    async with context.pool(request).connection() as conn:
        me = await context.signed_in(request, conn)
    new_hash = None
    if password is not None:
        if await passwords.verify_password(password, me.user.encrypted_password):
            raise errors.unprocessable("same_password", "New password should be different from the old password.")
        new_hash = await passwords.hash_password(password)

    async with context.pool(request).connection() as conn, conn.transaction():
        me = await context.signed_in(request, conn, for_update=True)
        changes: dict[str, Any] = {}
        if data is not None:
            changes["raw_user_meta_data"] = users.merge_metadata(me.user.raw_user_meta_data, data)
        if email and email != (me.user.email or "").lower():
            changes.update(email=email, email_confirmed_now=AUTOCONFIRM)
        by_code = phone_codes.confirmations_on(request)
        if phone and phone != me.user.phone and not by_code:
            changes.update(phone=phone, phone_confirmed_now=True)
        if email or (phone and not by_code):
            changes["raw_app_meta_data"] = with_providers(me.user.raw_app_meta_data, email=email,
                                                          phone=None if by_code else phone)
        if new_hash is not None:
            changes["encrypted_password"] = new_hash
        try:
            user = await users.update_user(conn, me.user.id, changes)
        except psycopg.errors.UniqueViolation as exc:
            raise duplicate_error(exc) from None
        if phone and phone != me.user.phone and by_code:
            # The number stays aside until its code comes back (POST /verify type=phone_change).
            user = await phone_codes.request_phone_change(request, conn, user, phone)
        if new_hash is not None:
            # As GoTrue: a new password signs out every other session.
            await users.delete_sessions(conn, user.id, except_session=me.session.id)
    return answer(user_json(user))


def duplicate_error(exc: psycopg.errors.UniqueViolation) -> errors.AuthError:
    constraint = exc.diag.constraint_name or ""
    if "phone" in constraint:
        return errors.unprocessable("phone_exists", errors.DUPLICATE_PHONE)
    if "email" in constraint:
        return errors.unprocessable("email_exists", errors.DUPLICATE_EMAIL)
    return errors.unprocessable("user_already_exists", "User already registered")


# --- POST /logout -------------------------------------------------------------------

async def logout(request: Request) -> Response:
    scope = request.query_params.get("scope", "") or "global"
    if scope not in ("global", "local", "others"):
        raise errors.validation_failed(f'Unsupported logout scope "{scope}"')
    async with context.pool(request).connection() as conn, conn.transaction():
        me = await context.signed_in(request, conn)
        if scope == "local":
            await users.delete_session(conn, me.session.id)
        elif scope == "others":
            await users.delete_sessions(conn, me.user.id, except_session=me.session.id)
        else:
            await users.delete_sessions(conn, me.user.id)
    return Response(status_code=204, headers={errors.API_VERSION_HEADER: errors.API_VERSION})
