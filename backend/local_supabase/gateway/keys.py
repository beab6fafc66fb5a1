"""API keys and JWTs: what every request must carry, checked before anything else."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.requests import Request

API_ROLES = ("anon", "authenticated", "service_role")


class KeyError_(Exception):
    """A missing or invalid API key or token. `code`/`message` follow PostgREST (PGRST30x)."""

    def __init__(self, code: str, message: str, status: int = 401, hint: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.hint = hint


@dataclass(frozen=True)
class Caller:
    """Who is calling: the role PostgreSQL will run the request as, and the JWT claims."""

    role: str
    claims: dict[str, Any]
    token: str
    # `json.dumps(claims)`, made once per verified token (the claims dict is shared, never changed).
    claims_json: str | None = field(default=None, compare=False, repr=False)

    @property
    def user_id(self) -> str | None:
        sub = self.claims.get("sub")
        return sub if isinstance(sub, str) else None

    @property
    def is_service(self) -> bool:
        return self.role == "service_role"


class KeyVerifier:
    # Verified tokens are remembered (until they expire) so the hot path skips the HMAC and JSON work.
    CACHE_SIZE = 4096

    def __init__(self, jwt_secret: str):
        self._secret = jwt_secret
        self._cache: dict[str, tuple[dict[str, Any], float, str]] = {}

    def decode(self, token: str) -> dict[str, Any]:
        """Verify an HS256 JWT signed with the project secret. `alg: none` and other algorithms are refused."""
        return self._decode(token)[0]

    def _decode(self, token: str) -> tuple[dict[str, Any], str | None]:
        """The claims and, for a remembered token, their JSON text (None otherwise)."""
        hit = self._cache.get(token)
        if hit is not None:
            claims, exp, claims_json = hit
            if time.time() < exp:
                return claims, claims_json
            del self._cache[token]
        claims = self._verify(token)
        exp = claims.get("exp")
        if isinstance(exp, (int, float)):
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[token] = (claims, float(exp), json.dumps(claims))
        return claims, None

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise KeyError_("PGRST301", f"JWT could not be decoded: {exc}") from None
        if header.get("alg") != "HS256":
            raise KeyError_("PGRST301", "JWT algorithm not allowed: only HS256 tokens are accepted")
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"],
                                options={"verify_aud": False, "require": []}, leeway=0)
        except jwt.ExpiredSignatureError:
            raise KeyError_("PGRST303", "JWT expired") from None
        except jwt.InvalidSignatureError:
            raise KeyError_("PGRST301", "JWT signature does not match") from None
        except jwt.PyJWTError as exc:
            raise KeyError_("PGRST301", f"JWT is invalid: {exc}") from None
        if not isinstance(claims, dict):
            raise KeyError_("PGRST301", "JWT claims must be a JSON object")
        return claims

    def api_key(self, request: Request) -> dict[str, Any]:
        """The project API key (anon or service role), as the API gateway in front of Supabase demands it."""
        return self._api_key(request)[0]

    def _api_key(self, request: Request) -> tuple[dict[str, Any], str | None]:
        key = request.headers.get("apikey") or request.query_params.get("apikey")
        if not key:
            raise KeyError_("PGRST000", "No API key found in request", hint="No `apikey` request header or url param was found.")
        try:
            claims, claims_json = self._decode(key)
        except KeyError_:
            raise KeyError_("PGRST000", "Invalid API key", hint="Double check your Supabase `anon` or `service_role` API key.") from None
        if claims.get("role") not in ("anon", "service_role"):
            raise KeyError_("PGRST000", "Invalid API key", hint="The apikey must be the project's anon or service_role key.")
        return claims, claims_json

    def caller(self, request: Request) -> Caller:
        """Check the API key, then take the role and claims from the bearer token (or the key itself)."""
        key_claims, key_json = self._api_key(request)
        auth = request.headers.get("authorization")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise KeyError_("PGRST301", "Authorization header must be `Bearer <token>`")
            token = token.strip()
            claims, claims_json = self._decode(token)
        else:
            token = request.headers.get("apikey") or request.query_params.get("apikey") or ""
            claims, claims_json = key_claims, key_json
        role = claims.get("role", "anon")
        if not isinstance(role, str) or not role:
            raise KeyError_("PGRST301", "JWT role claim must be a non-empty string")
        return Caller(role=role, claims=claims, token=token, claims_json=claims_json)
