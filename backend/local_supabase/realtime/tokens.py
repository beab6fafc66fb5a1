"""Channel access tokens: checked at join and on every `access_token` event, as upstream's confirm_token does."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:  # pragma: no cover
    from ..gateway.keys import KeyVerifier


@dataclass(frozen=True)
class Token:
    raw: str
    claims: dict[str, Any]
    role: str
    exp: float
    # The claims as PostgreSQL sees them in `request.jwt.claims`; also the key that groups
    # subscribers whose visibility checks are the same.
    claims_json: str


class TokenRejected(Exception):
    """`code` prefixes join errors (`InvalidJWTToken: ...`); `message` alone is the system message."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}"


def _expired_message(token: str, now: float) -> str:
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
        ago = max(0, int(now - float(exp)))
    except (jwt.PyJWTError, TypeError, ValueError):
        return "Token has expired"
    return f"Token has expired {ago} seconds ago"


def verify_token(verifier: "KeyVerifier", token: Any, roles: frozenset[str], now: float | None = None) -> Token:
    # Imported here: the gateway package imports this one while it is being set up.
    from ..gateway.keys import KeyError_

    now = time.time() if now is None else now
    if not isinstance(token, str) or not token:
        raise TokenRejected("MalformedJWT", "The token provided is not a valid JWT")
    try:
        claims = verifier.decode(token)
    except KeyError_ as exc:
        if exc.code == "PGRST303":
            raise TokenRejected("InvalidJWTToken", _expired_message(token, now)) from None
        if "signature" in exc.message:
            raise TokenRejected("JwtSignatureError", "Failed to validate JWT signature") from None
        raise TokenRejected("MalformedJWT", exc.message) from None
    role, exp = claims.get("role"), claims.get("exp")
    if not isinstance(role, str) or not role or not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise TokenRejected("InvalidJWTToken", "Fields `role` and `exp` are required in JWT")
    if exp <= now:  # the verifier caches tokens until exp; be exact at the boundary
        raise TokenRejected("InvalidJWTToken", _expired_message(token, now))
    if role not in roles:
        raise TokenRejected("Unauthorized", f'JWT role "{role}" is not allowed')
    return Token(token, claims, role, float(exp), json.dumps(claims, separators=(",", ":"), sort_keys=True))
