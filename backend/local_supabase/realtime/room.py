"""What a channel says to its room: `broadcast` and `presence` messages, after access and limits.

A room is a topic, public or private (Channel.room). A message goes out only if the
sender may write (authorization.py; on a private channel asked of the database at
the first use), and reaches only members that may read. Over a limit (limits.py),
as upstream: a broadcast larger than the payload limit is refused with an error
reply; presence over its per-channel rate or size stops the channel.
The frame is encoded once and the same text queued to every member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import protocol as p
from .authorization import Extension, write_allowed
from .channels import Channel
from .join import ANON_BROADCAST

if TYPE_CHECKING:  # pragma: no cover
    from .connection import Connection


async def _may_write(conn: "Connection", channel: Channel, extension: Extension, ref: str | None) -> bool:
    allowed = channel.access.can_write(extension)
    if allowed is None:  # private, not asked yet with this token
        allowed = await write_allowed(conn.service.pool, conn.caller(channel), extension)
        channel.access.set_write(extension, allowed)
    if not allowed:
        reason = (f"Unauthorized: You do not have permissions to write to this Channel topic: {channel.sub_topic}"
                  if channel.private else ANON_BROADCAST)
        conn.send(p.error_reply(channel.topic, ref, reason))
    return allowed


async def broadcast(conn: "Connection", channel: Channel, frame: p.Frame) -> None:
    event = frame.payload.get("event")
    if not isinstance(event, str):
        conn.send(p.error_reply(channel.topic, frame.ref, "broadcast needs an event name"))
        return
    limit = conn.limits.max_payload_bytes
    if frame.size > limit:
        conn.send(p.error_reply(channel.topic, frame.ref,
                                f"PayloadSizeExceeded: the message has {frame.size} bytes, the limit is {limit}"))
        return
    if not await _may_write(conn, channel, "broadcast", frame.ref):
        return
    out = p.encode(channel.topic, "broadcast",
                   {"type": "broadcast", "event": event, "payload": frame.payload.get("payload", {})})
    for member in conn.service.hub.in_room(channel.room):
        if member.access.broadcast_read and (member is not channel or channel.broadcast_self):
            member.sink.send(out)
    if channel.broadcast_ack:
        conn.send(p.reply(channel.topic, frame.ref))


async def presence(conn: "Connection", channel: Channel, frame: p.Frame) -> None:
    event, meta = frame.payload.get("event"), frame.payload.get("payload", {})
    service = conn.service
    if channel.presence_rate is not None and not channel.presence_rate.allow():
        conn.shutdown(channel, "Client presence rate limit exceeded")
        return
    if event == "track":
        if not isinstance(meta, dict):
            conn.send(p.error_reply(channel.topic, frame.ref, "Presence track payload must be a map"))
            return
        if frame.size > conn.limits.max_payload_bytes:
            conn.shutdown(channel, "Track message size exceeded")
            return
        if not await _may_write(conn, channel, "presence", frame.ref):
            return
        if not channel.presence_enabled:  # tracking turns presence on: this member needs the state first
            channel.presence_enabled = True
            if channel.access.presence_read:
                conn.send(p.encode(channel.topic, "presence_state", service.presence.state(channel.room)))
        service.publish_presence(channel, service.presence.track(channel, meta))
    elif event == "untrack":
        service.publish_presence(channel, service.presence.untrack(channel))
    else:
        conn.send(p.error_reply(channel.topic, frame.ref, "presence event must be track or untrack"))
        return
    conn.send(p.reply(channel.topic, frame.ref))
