"""Standard Webhooks signatures (standardwebhooks.com), as GoTrue signs its HTTP hooks.

The secret reads `v1,whsec_<base64 key>`; a request carries `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`. The Send-SMS hook signs with it and the local SMS sink
checks it, so both ends share this one module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Mapping

TOLERANCE_S = 300  # a signature older or newer than this is refused (replays)


class SignatureError(ValueError):
    pass


def _key(secret: str) -> bytes:
    text = secret.strip()
    text = text.removeprefix("v1,")
    text = text.removeprefix("whsec_")
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise SignatureError("the webhook secret is not `v1,whsec_<base64>`") from None
    if not key:
        raise SignatureError("the webhook secret is empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def sign(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The three headers for a POST of `body`."""
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", str(int(now if now is not None else time.time()))
    return {"webhook-id": msg_id, "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + _signature(_key(secret), msg_id, timestamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Raise SignatureError unless `headers` sign `body` with `secret`, recently."""
    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    offered = headers.get("webhook-signature", "")
    if not msg_id or not timestamp or not offered:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        raise SignatureError("webhook-timestamp is not a number") from None
    if age > TOLERANCE_S:
        raise SignatureError("webhook-timestamp is too old or too new")
    expected = _signature(_key(secret), msg_id, timestamp, body)
    for candidate in offered.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise SignatureError("no matching signature")
