"""Input checks with GoTrue's rules and messages: request body, email, phone, durations."""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.requests import Request

from ..gateway.json_body import JsonBodyError, parse_json
from ..gateway.state import gateway_state
from . import errors

Body = dict[str, Any]

# The pattern of github.com/badoux/checkmail, which GoTrue uses.
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_E164 = re.compile(r"^[1-9][0-9]{1,14}$")
# Go's time.ParseDuration units, in seconds.
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_MAX_DURATION_S = (2**63 - 1) / 1e9  # Go's time.Duration range


async def read_body(request: Request) -> Body:
    """The JSON object sent, `{}` for an empty body; 400 bad_json for anything else."""
    raw = await request.body()  # its size is capped by the gateway (gateway/limits.py)
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw, max_depth=gateway_state(request).settings.max_json_depth)
    except JsonBodyError as exc:
        raise errors.bad_request("bad_json", exc.message) from None
    if not isinstance(body, dict):
        raise errors.bad_request("bad_json", "Could not parse request body as JSON: expected an object")
    return body


def text(body: Body, key: str) -> str:
    """An optional string field; missing or null reads as ''."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errors.validation_failed(f"{key} must be a string")
    return value


def flag(body: Body, key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.validation_failed(f"{key} must be true or false")
    return value


def json_object(body: Body, key: str) -> dict[str, Any] | None:
    """An optional JSON object field (metadata); None when missing or null."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise errors.validation_failed(f"{key} must be a JSON object")
    return value


def email(value: str) -> str:
    value = value.strip()
    if not value:
        raise errors.validation_failed("An email address is required")
    if len(value) > 255:
        raise errors.validation_failed("An email address is too long")
    if not _EMAIL.fullmatch(value):
        raise errors.validation_failed("Unable to validate email address: invalid format")
    return value.lower()


def format_phone(value: str) -> str:
    """GoTrue stores phone numbers without the leading `+` and without spaces."""
    return value.strip().removeprefix("+").replace(" ", "")


def phone(value: str) -> str:
    value = format_phone(value)
    if not _E164.fullmatch(value):
        raise errors.validation_failed("Invalid phone number format (E.164 required)")
    return value


def user_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.not_found("user_not_found", "User not found: user_id must be an UUID") from None


def go_duration(value: str) -> float:
    """Seconds in a Go duration string such as "24h", "1h30m", "-5m" or "0"."""
    original, rest, sign = value, value, 1.0
    if rest[:1] in "+-" and rest:
        sign, rest = (-1.0 if rest[0] == "-" else 1.0), rest[1:]
    if rest == "0":
        return 0.0
    total, pos = 0.0, 0
    while pos < len(rest):
        m = _DURATION_PART.match(rest, pos)
        if not m:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not rest or pos != len(rest) or total > _MAX_DURATION_S:
        raise errors.validation_failed(f'invalid format for ban duration: time: invalid duration "{original}"')
    return sign * total
