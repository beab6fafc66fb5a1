"""What the auth handlers share: the gateway state, callers' tokens, sessions, answers."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import errors, users
from .payloads import session_json
from .tokens import Claims, TokenIssuer, new_refresh_token
from .users import Conn, SessionRow, UserRow

if TYPE_CHECKING:  # pragma: no cover
    from ..gateway.keys import KeyError_
    from ..gateway.state import GatewayState

ADMIN_ROLES = ("service_role", "supabase_admin")


def state(request: Request) -> "GatewayState":
    return request.app.state.gateway


def pool(request: Request) -> AsyncConnectionPool:
    p = state(request).auth_pool
    if p is None:
        raise RuntimeError("the auth connection pool is not open")
    return p


def issuer(request: Request) -> TokenIssuer:
    s = state(request)
    return TokenIssuer(secret=s.secrets.jwt_secret, issuer=s.settings.api_url + "/auth/v1",
                       expiry_s=s.settings.jwt_expiry_s)


def client_address(request: Request) -> str:
    """The caller's address: X-Forwarded-For only from a trusted proxy (client_address.py)."""
    return request.app.state.gateway.client_address(request.scope)


def limit_key(request: Request) -> str:
    """What the caller's per-address limits count under (an IPv6 address by its /64)."""
    return request.app.state.gateway.limit_key(request.scope)


def now() -> datetime:
    return datetime.now(timezone.utc)


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status,
                        headers={errors.API_VERSION_HEADER: errors.API_VERSION, **(headers or {})})


def session_answer(body: Any) -> JSONResponse:
    # Tokens must not sit in any cache.
    return answer(body, headers={"Cache-Control": "no-store"})


# --- who is calling ---------------------------------------------------------

def key_error() -> type["KeyError_"]:
    """The verifier's error class, imported late: `gateway/__init__` imports this package while loading."""
    from ..gateway.keys import KeyError_

    return KeyError_


def bearer_claims(request: Request) -> Claims:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token")
    try:
        return state(request).verifier.decode(token.strip())
    except key_error() as exc:
        raise errors.forbidden("bad_jwt", f"invalid JWT: unable to parse or verify signature, {exc.message}") from None


def require_admin(request: Request) -> Claims:
    claims = bearer_claims(request)
    if claims.get("role") not in ADMIN_ROLES:
        raise errors.forbidden("not_admin", "User not allowed")
    return claims


@dataclass
class SignedIn:
    user: UserRow
    session: SessionRow


async def signed_in(request: Request, conn: Conn, *, for_update: bool = False) -> SignedIn:
    """The account and the still-open session behind the caller's access token."""
    claims = bearer_claims(request)
    sub, session_id = claims.get("sub"), claims.get("session_id")
    if not isinstance(sub, str) or not sub:
        raise errors.forbidden("bad_jwt", "invalid claim: missing sub claim")
    try:
        user_id = uuid.UUID(sub)
    except ValueError:
        raise errors.bad_request("bad_jwt", "invalid claim: sub claim must be a UUID") from None
    aud = claims.get("aud")
    if aud != "authenticated" and not (isinstance(aud, list) and "authenticated" in aud):
        raise errors.validation_failed("Token audience doesn't match request audience")
    user = await users.find_by_id(conn, user_id, for_update=for_update)
    if user is None:
        raise errors.forbidden("user_not_found", "User from sub claim in JWT does not exist")
    session = None
    if isinstance(session_id, str):
        try:
            session = await users.find_session(conn, uuid.UUID(session_id), user_id)
        except ValueError:
            session = None
    if session is None:
        raise errors.forbidden("session_not_found", "Session from session_id claim in JWT does not exist")
    if user.is_banned(now()):
        raise errors.forbidden("user_banned", "User is banned")
    return SignedIn(user, session)


# --- new sessions -----------------------------------------------------------

async def start_session(request: Request, conn: Conn, user: UserRow) -> dict[str, Any]:
    """Open a session with its first refresh token and stamp the sign-in, inside the caller's transaction."""
    session = await users.create_session(conn, user.id, user_agent=request.headers.get("user-agent"),
                                         ip=_inet(client_address(request)))
    if session is None:  # deleted between the password check and now
        raise errors.invalid_credentials()
    user = await users.update_user(conn, user.id, {"last_sign_in": True})
    refresh = new_refresh_token()
    await users.insert_refresh_token(conn, refresh, user.id, session.id)
    return _session_body(request, user, session, refresh)


def _session_body(request: Request, user: UserRow, session: SessionRow, refresh: str) -> dict[str, Any]:
    tokens = issuer(request)
    access, expires_at = tokens.access_token(user, session)
    return session_json(user, access_token=access, expires_at=expires_at, expires_in=tokens.expiry_s,
                        refresh_token=refresh)


async def rotate_session(request: Request, conn: Conn, user: UserRow, token: users.RefreshTokenRow) -> dict[str, Any]:
    """Spend `token` and hand out its successor in the same session."""
    await users.spend_refresh_token(conn, token.id)
    refresh = new_refresh_token()
    await users.insert_refresh_token(conn, refresh, user.id, token.session_id, parent=token.token)
    session = await users.touch_session(conn, token.session_id)
    return _session_body(request, user, session, refresh)


async def resume_session(request: Request, conn: Conn, user: UserRow, session_id: uuid.UUID,
                         refresh: str) -> dict[str, Any]:
    """The session's current refresh token again, with a fresh access token (a refresh raced another)."""
    session = await users.touch_session(conn, session_id)
    return _session_body(request, user, session, refresh)


def _inet(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
