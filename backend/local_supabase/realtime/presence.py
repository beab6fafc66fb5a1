"""Presence within one gateway process: `track`/`untrack`, `presence_state` on join, `presence_diff` to the topic.

Shapes are Phoenix.Presence's: `{key: {"metas": [{"phx_ref": ..., **meta}]}}`; the
client turns `phx_ref` into `presence_ref`. One meta per channel; a key shared by
several channels (one person, two tabs) lists all of them. A private topic is
another room than the public one of the same name.
"""

from __future__ import annotations

import secrets
from typing import Any

from .channels import Channel

RawState = dict[str, dict[str, list[dict[str, Any]]]]
Room = tuple[str, bool]  # Channel.room: (topic, private)


def _state(entries: list[tuple[str, dict[str, Any]]]) -> RawState:
    out: RawState = {}
    for key, meta in entries:
        out.setdefault(key, {"metas": []})["metas"].append(meta)
    return out


class Presence:
    def __init__(self) -> None:
        self._rooms: dict[Room, dict[Channel, tuple[str, dict[str, Any]]]] = {}

    def track(self, channel: Channel, payload: dict[str, Any]) -> dict[str, RawState]:
        """Record (or replace) the channel's meta; the diff to send to the topic."""
        members = self._rooms.setdefault(channel.room, {})
        old = members.get(channel)
        meta = {**payload, "phx_ref": secrets.token_urlsafe(12)}
        if old is not None:
            meta["phx_ref_prev"] = old[1]["phx_ref"]
        members[channel] = (channel.presence_key, meta)
        return {"joins": _state([(channel.presence_key, meta)]), "leaves": _state([old] if old else [])}

    def untrack(self, channel: Channel) -> dict[str, RawState] | None:
        members = self._rooms.get(channel.room)
        if not members or channel not in members:
            return None
        old = members.pop(channel)
        if not members:
            del self._rooms[channel.room]
        return {"joins": {}, "leaves": _state([old])}

    def state(self, room: Room) -> RawState:
        return _state(list(self._rooms.get(room, {}).values()))
