"""`/admin/users`: account management with the service-role key, as GoTrue's admin API."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from ..storage.accounts import remove_account_objects
from . import context, errors, passwords, users, validation
from .account import duplicate_error
from .context import answer
from .payloads import user_json, with_providers
from .validation import Body

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000  # one page is one query; larger asks are served 1000 at a time


async def _password_fields(body: Body) -> str | None:
    """The hash to store: from `password` (checked, hashed) or a bcrypt `password_hash`; None if neither."""
    password, password_hash = body.get("password"), validation.text(body, "password_hash")
    if password is not None and password_hash:
        raise errors.validation_failed("Only a password or a password hash should be provided")
    if password_hash:
        if not password_hash.startswith(("$2a$", "$2b$", "$2y$")) or len(password_hash) != 60:
            raise errors.validation_failed("Invalid password hash: only bcrypt hashes are supported")
        return password_hash
    if password is None or password == "":
        return None
    return await passwords.hash_password(passwords.check_strength(password))


def _ban_seconds(body: Body) -> float | None:
    value = validation.text(body, "ban_duration")
    if not value:
        return None
    return 0.0 if value == "none" else validation.go_duration(value)


def _role(body: Body) -> str | None:
    """The `role` claim of the account's future tokens (auth.users.role is varchar(255))."""
    role = validation.text(body, "role").strip()
    if len(role) > 255:
        raise errors.validation_failed("role cannot be longer than 255 characters")
    return role or None


def _contact(body: Body) -> tuple[str | None, str | None]:
    email, phone = validation.text(body, "email"), validation.text(body, "phone")
    return (validation.email(email) if email else None), (validation.phone(phone) if phone else None)


# --- POST /admin/users ------------------------------------------------------------

async def create_user(request: Request) -> Response:
    context.require_admin(request)
    body = await validation.read_body(request)
    email, phone = _contact(body)
    if not email and not phone:
        raise errors.validation_failed("Cannot create a user without either an email or phone")
    user_id = None
    if raw_id := validation.text(body, "id"):
        try:
            user_id = uuid.UUID(raw_id)
        except ValueError:
            raise errors.validation_failed("ID must conform to the uuid v4 format") from None
        if user_id.int == 0:
            raise errors.validation_failed("ID cannot be a nil uuid")
    ban = _ban_seconds(body)
    app_metadata = with_providers({}, email=email, phone=phone)
    app_metadata = users.merge_metadata(app_metadata, validation.json_object(body, "app_metadata") or {})
    new = users.NewUser(
        email=email, phone=phone,
        # No password given: the account exists but cannot sign in with one (GoTrue stores a random one).
        encrypted_password=await _password_fields(body) or "",
        app_metadata=app_metadata,
        user_metadata=validation.json_object(body, "user_metadata") or {},
        id=user_id,
        role=_role(body) or "authenticated",
        email_confirmed=validation.flag(body, "email_confirm") and bool(email),
        phone_confirmed=validation.flag(body, "phone_confirm") and bool(phone),
        banned_for_s=ban,
    )
    try:
        async with context.pool(request).connection() as conn, conn.transaction():
            user = await users.insert_user(conn, new)
    except psycopg.errors.UniqueViolation as exc:
        raise duplicate_error(exc) from None
    return answer(user_json(user))


# --- GET /admin/users ---------------------------------------------------------------

def _page_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.validation_failed(f"Bad Pagination Parameters: {name} must be a whole number") from None
    if value < 1:
        raise errors.validation_failed(f"Bad Pagination Parameters: {name} must be at least 1")
    return value


async def list_users(request: Request) -> Response:
    context.require_admin(request)
    page = _page_param(request, "page", 1)
    per_page = min(_page_param(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    async with context.pool(request).connection() as conn:
        rows, total = await users.list_users(conn, limit=per_page, offset=(page - 1) * per_page)
    last = max(1, -(-total // per_page))
    links = []
    if page < last:
        links.append(f'<{request.url.include_query_params(page=page + 1, per_page=per_page)}>; rel="next"')
    links.append(f'<{request.url.include_query_params(page=last, per_page=per_page)}>; rel="last"')
    return answer({"users": [user_json(u) for u in rows], "aud": "authenticated"},
                  headers={"X-Total-Count": str(total), "Link": ", ".join(links)})


# --- GET/PUT/DELETE /admin/users/{user_id} -------------------------------------------

def _target(request: Request) -> uuid.UUID:
    return validation.user_id(request.path_params["user_id"])


def _missing() -> errors.AuthError:
    return errors.not_found("user_not_found", "User not found")


async def get_user(request: Request) -> Response:
    context.require_admin(request)
    user_id = _target(request)
    async with context.pool(request).connection() as conn:
        user = await users.find_by_id(conn, user_id, include_deleted=True)
    if user is None:
        raise _missing()
    return answer(user_json(user))


async def update_user(request: Request) -> Response:
    context.require_admin(request)
    user_id = _target(request)
    body = await validation.read_body(request)
    email, phone = _contact(body)
    ban = _ban_seconds(body)
    app_metadata = validation.json_object(body, "app_metadata")
    user_metadata = validation.json_object(body, "user_metadata")
    role = _role(body)
    email_confirm, phone_confirm = validation.flag(body, "email_confirm"), validation.flag(body, "phone_confirm")
    new_hash = await _password_fields(body)

    async with context.pool(request).connection() as conn, conn.transaction():
        user = await users.find_by_id(conn, user_id, for_update=True)
        if user is None:
            raise _missing()
        changes: dict[str, Any] = {}
        if role:
            changes["role"] = role
        if email:
            changes["email"] = email
        if phone:
            changes["phone"] = phone
        if email_confirm:
            changes["email_confirmed"] = True
        if phone_confirm:
            changes["phone_confirmed"] = True
        meta = user.raw_app_meta_data
        if email or phone:
            meta = with_providers(meta, email=email, phone=phone)
        if app_metadata is not None:
            meta = users.merge_metadata(meta, app_metadata)
        if meta != user.raw_app_meta_data:
            changes["raw_app_meta_data"] = meta
        if user_metadata is not None:
            changes["raw_user_meta_data"] = users.merge_metadata(user.raw_user_meta_data, user_metadata)
        if ban is not None:
            changes["banned_for_s"] = ban
        if new_hash is not None:
            changes["encrypted_password"] = new_hash
        try:
            user = await users.update_user(conn, user_id, changes)
        except psycopg.errors.UniqueViolation as exc:
            raise duplicate_error(exc) from None
        if new_hash is not None:
            # As GoTrue: a password set by an admin signs the account out everywhere.
            await users.delete_sessions(conn, user_id)
    return answer(user_json(user))


async def delete_user(request: Request) -> Response:
    context.require_admin(request)
    user_id = _target(request)
    body = await validation.read_body(request)
    soft = validation.flag(body, "should_soft_delete")
    try:
        async with context.pool(request).connection() as conn, conn.transaction():
            user = await users.find_by_id(conn, user_id, for_update=True, include_deleted=True)
            if user is None:
                raise _missing()
            if soft:
                await users.soft_delete_user(conn, user_id)
            else:
                await users.delete_user(conn, user_id)
    except psycopg.errors.ForeignKeyViolation:
        raise errors.AuthError(409, "conflict", "Database error deleting user: rows in other tables still refer to "
                                                "this user; delete them first or use should_soft_delete") from None
    except psycopg.errors.CheckViolation as exc:  # e.g. a worker still holding open cases
        constraint = exc.diag.constraint_name or "a check"
        raise errors.AuthError(409, "conflict", f"Database error deleting user: {constraint} would be broken; "
                                                "pass their open work on first") from None
    # The person's files go with them (GoTrue leaves Storage alone; see storage/accounts.py).
    s = context.state(request)
    await remove_account_objects(s.storage_pool, s.settings.storage_dir, user_id)
    return answer({})
