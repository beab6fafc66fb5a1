"""Access tokens (HS256 JWTs with GoTrue's claims) and opaque refresh tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from .payloads import user_email, user_phone
from .users import SessionRow, UserRow

Claims = dict[str, Any]


@dataclass(frozen=True)
class TokenIssuer:
    secret: str
    issuer: str  # <api_url>/auth/v1, as GoTrue's GOTRUE_JWT_ISSUER on `supabase start`
    expiry_s: int

    def access_token(self, user: UserRow, session: SessionRow, *, now: float | None = None) -> tuple[str, int]:
        """The signed token and its expiry (epoch seconds)."""
        issued_at = int(now if now is not None else time.time())
        expires_at = issued_at + self.expiry_s
        claims: Claims = {
            "iss": self.issuer,
            "sub": str(user.id),
            "aud": user.aud,
            "exp": expires_at,
            "iat": issued_at,
            "email": user_email(user),
            "phone": user_phone(user),
            "app_metadata": user.raw_app_meta_data,
            "user_metadata": user.raw_user_meta_data,
            "role": user.role,
            "aal": "aal1",
            # Password is the only way in here, so the session's start is the moment it was used.
            "amr": [{"method": "password", "timestamp": int(session.created_at.timestamp())}],
            "session_id": str(session.id),
            "is_anonymous": user.is_anonymous,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256"), expires_at


def new_refresh_token() -> str:
    # 256 bits of randomness; opaque to the client, looked up as-is.
    return secrets.token_urlsafe(32)
