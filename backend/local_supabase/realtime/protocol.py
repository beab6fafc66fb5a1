"""Phoenix channel frames, v1 JSON serializer (`vsn=1.0.0`): `{topic, event, payload, ref}` objects.

Only what supabase-py's async realtime client sends and parses. Outgoing frames are
built as text once and queued to each socket as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PHOENIX_TOPIC = "phoenix"
TOPIC_PREFIX = "realtime:"

Json = dict[str, Any]


@dataclass(frozen=True)
class Frame:
    topic: str
    event: str
    payload: Json
    ref: str | None
    join_ref: str | None
    size: int = 0  # bytes of the frame as received (UTF-8): what the payload limit is checked against


class FrameError(Exception):
    """A frame that cannot be handled; answered with an error reply, the socket stays open."""

    def __init__(self, reason: str, topic: str = PHOENIX_TOPIC, ref: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.topic = topic
        self.ref = ref


def _ref(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise FrameError("ref must be a string or null")


def parse_frame(text: str) -> Frame:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("malformed message: not JSON") from None
    if not isinstance(data, dict):
        raise FrameError("malformed message: expected an object with topic, event, payload and ref")
    topic, event, payload = data.get("topic"), data.get("event"), data.get("payload", {})
    ref = _ref(data.get("ref"))
    if not isinstance(topic, str) or not topic:
        raise FrameError("malformed message: topic must be a non-empty string", ref=ref)
    if not isinstance(event, str) or not event:
        raise FrameError("malformed message: event must be a non-empty string", topic, ref)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise FrameError("malformed message: payload must be an object", topic, ref)
    size = len(text) if text.isascii() else len(text.encode("utf-8"))
    return Frame(topic, event, payload, ref, _ref(data.get("join_ref")), size)


def encode(topic: str, event: str, payload: Any, ref: str | None = None) -> str:
    return json.dumps({"event": event, "topic": topic, "payload": payload, "ref": ref}, separators=(",", ":"))


def reply(topic: str, ref: str | None, response: Json | None = None, *, status: str = "ok") -> str:
    return encode(topic, "phx_reply", {"status": status, "response": response or {}}, ref)


def error_reply(topic: str, ref: str | None, reason: str) -> str:
    return reply(topic, ref, {"reason": reason}, status="error")


def system(topic: str, *, status: str, message: str, extension: str) -> str:
    """Upstream's `push_system_message`: the client hands `ok` to on_system callbacks, `error` to on_error."""
    channel = topic[len(TOPIC_PREFIX):] if topic.startswith(TOPIC_PREFIX) else topic
    payload = {"channel": channel, "extension": extension, "message": message, "status": status}
    return encode(topic, "system", payload)


def close(topic: str, join_ref: str | None) -> str:
    """What Phoenix sends when a channel process stops normally."""
    return encode(topic, "phx_close", {}, join_ref)


def postgres_change(topic: str, ids: list[int], data_json: str) -> str:
    """`data_json` is encoded once per change and role, then spliced into each subscriber's frame."""
    return ('{"event":"postgres_changes","topic":' + json.dumps(topic) + ',"payload":{"ids":'
            + json.dumps(ids) + ',"data":' + data_json + '},"ref":null}')
