"""JSON answers shaped as GoTrue sends them (and supabase_auth.types parses them)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from .users import UserRow

Json = dict[str, Any]

# Stable, made-up namespace for the identity ids we derive (we keep no identities table).
_IDENTITY_NAMESPACE = uuid.UUID("6f1c1a38-5a3e-4f43-9d0c-3c1d7b0e2a11")


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def user_email(user: UserRow) -> str:
    # GoTrue's NullString: a missing email or phone is "" on the wire.
    return user.email or ""


def user_phone(user: UserRow) -> str:
    return user.phone or ""


def with_providers(app_metadata: Json, *, email: str | None, phone: str | None) -> Json:
    """`provider`/`providers` as GoTrue keeps them: one entry per way the account can sign in."""
    providers = list(app_metadata.get("providers") or [])
    for name, present in (("email", email), ("phone", phone)):
        if present and name not in providers:
            providers.append(name)
    merged = dict(app_metadata)
    if providers:
        merged["providers"] = providers
        merged.setdefault("provider", providers[0])
    return merged


def _identities(user: UserRow) -> list[Json]:
    """The email/phone identities GoTrue would hold for this account, derived from the user row."""
    found = []
    for provider, value, confirmed in (("email", user.email, user.email_confirmed_at),
                                       ("phone", user.phone, user.phone_confirmed_at)):
        if not value:
            continue
        data: Json = {"sub": str(user.id), provider: value,
                      "email_verified": provider == "email" and confirmed is not None,
                      "phone_verified": provider == "phone" and confirmed is not None}
        found.append({
            "identity_id": str(uuid.uuid5(_IDENTITY_NAMESPACE, f"{user.id}/{provider}")),
            "id": str(user.id),
            "user_id": str(user.id),
            "identity_data": data,
            "provider": provider,
            "last_sign_in_at": timestamp(user.last_sign_in_at),
            "created_at": timestamp(user.created_at),
            "updated_at": timestamp(user.updated_at),
            "email": user.email if provider == "email" else None,
        })
    return found


def user_json(user: UserRow) -> Json:
    confirmed = [t for t in (user.email_confirmed_at, user.phone_confirmed_at) if t is not None]
    return {
        "id": str(user.id),
        "aud": user.aud,
        "role": user.role,
        "email": user_email(user),
        "email_confirmed_at": timestamp(user.email_confirmed_at),
        "phone": user_phone(user),
        "phone_confirmed_at": timestamp(user.phone_confirmed_at),
        **({"new_phone": user.phone_change} if user.phone_change else {}),
        # GoTrue's generated column: the earliest confirmation.
        "confirmed_at": timestamp(min(confirmed)) if confirmed else None,
        "last_sign_in_at": timestamp(user.last_sign_in_at),
        "app_metadata": user.raw_app_meta_data,
        "user_metadata": user.raw_user_meta_data,
        "identities": [] if user.deleted_at else _identities(user),
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
        "banned_until": timestamp(user.banned_until),
        "deleted_at": timestamp(user.deleted_at),
        "is_anonymous": user.is_anonymous,
        "is_sso_user": False,
    }


def session_json(user: UserRow, *, access_token: str, expires_at: int, expires_in: int, refresh_token: str) -> Json:
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "expires_at": expires_at,
        "refresh_token": refresh_token,
        "user": user_json(user),
    }
