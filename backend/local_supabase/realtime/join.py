"""`phx_join`: the channel's config and token, checked before anything is subscribed.

A join names its postgres_changes bindings; the reply echoes them in the same order,
each with an id that later `postgres_changes` frames list in `ids`. Ids are a hash
of the binding (as upstream's `:erlang.phash2(params)`), so a rejoin through another
gateway process gets the same ones.

Broadcast and Presence need a signed-in caller (authorization.py): with the anon key
alone a join must listen to postgres_changes and nothing else. A private channel's
read access is checked by the connection (it asks the database) after this.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
import zlib
from typing import TYPE_CHECKING, Any

from .authorization import Access
from .catalog import Catalog
from .channels import EVENTS, WILDCARD, Binding, Channel, Sink
from .filters import FilterError, parse_filter
from .protocol import TOPIC_PREFIX, Frame
from .tokens import Token, TokenRejected, verify_token

if TYPE_CHECKING:  # pragma: no cover
    from ..gateway.keys import KeyVerifier


ANON_BROADCAST = ("Unauthorized: Broadcast and Presence need a signed-in user; "
                  "with the anon key a channel may only listen to postgres_changes")
ANON_PRIVATE = "Unauthorized: private channels need a signed-in user"


class JoinRejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def binding_id(params: dict[str, Any]) -> int:
    """A positive 27-bit id (phash2's range), stable across processes."""
    digest = zlib.crc32(json.dumps(params, sort_keys=True, default=str).encode()) & 0x7FFFFFF
    return digest or 1


async def _binding(params: Any, catalog: Catalog) -> Binding:
    if not isinstance(params, dict):
        raise JoinRejected("InvalidJoinPayload: each postgres_changes entry must be an object")
    event, schema, table = params.get("event"), params.get("schema", "public"), params.get("table")
    filter_text, select = params.get("filter"), params.get("select")
    if event not in EVENTS:
        raise JoinRejected(f"InvalidJoinPayload: event must be one of {', '.join(sorted(EVENTS))}")
    if not isinstance(schema, str) or not schema:
        raise JoinRejected("InvalidJoinPayload: schema must be a non-empty string")
    if table is not None and (not isinstance(table, str) or not table):
        raise JoinRejected("InvalidJoinPayload: table must be a non-empty string")
    if table == WILDCARD or schema == WILDCARD:
        table = None
    meta = None
    if table is not None:
        meta = await catalog.table(schema, table)
        if meta is None:
            raise JoinRejected(f'RealtimeDisabledForConfiguration: table "{schema}.{table}" does not exist')
    parsed = None
    if filter_text is not None:
        if meta is None:
            raise JoinRejected("InvalidJoinPayload: a filter needs a single table")
        try:
            parsed = parse_filter(filter_text, meta)
        except FilterError as exc:
            raise JoinRejected(f"RealtimeDisabledForConfiguration: {exc}") from None
    columns: tuple[str, ...] | None = None
    if select is not None:
        if meta is None or not isinstance(select, list) or not all(isinstance(c, str) for c in select):
            raise JoinRejected("InvalidJoinPayload: select must be a list of column names of a single table")
        unknown = [c for c in select if c not in meta.by_name]
        if unknown:
            raise JoinRejected(f'RealtimeDisabledForConfiguration: column "{unknown[0]}" does not exist in {schema}.{table}')
        columns = tuple(select)
    return Binding(0, event, schema, table, parsed, columns, params)  # the id is given by the caller


async def build_channel(frame: Frame, sink: Sink, *, socket_token: str, verifier: "KeyVerifier",
                        roles: frozenset[str], catalog: Catalog) -> Channel:
    if not frame.topic.startswith(TOPIC_PREFIX) or frame.topic == TOPIC_PREFIX:
        raise JoinRejected("TopicNameRequired: You must provide a topic name")
    payload = frame.payload
    config = payload.get("config") or {}
    if not isinstance(config, dict):
        raise JoinRejected("InvalidJoinPayload: config must be an object")
    private = config.get("private") is True
    raw_token = payload.get("access_token") or payload.get("user_token") or socket_token
    if isinstance(raw_token, str) and raw_token.startswith("sb_"):
        raw_token = socket_token  # upstream ignores opaque keys here and keeps the socket's
    try:
        token: Token = verify_token(verifier, raw_token, roles)
    except TokenRejected as exc:
        raise JoinRejected(exc.reason) from None

    entries = config.get("postgres_changes") or []
    if not isinstance(entries, list):
        raise JoinRejected("InvalidJoinPayload: postgres_changes must be a list")
    bindings: list[Binding] = []
    used: set[int] = set()
    for params in entries:
        if params is None:
            continue
        b = await _binding(params, catalog)
        bid = binding_id(params)
        while bid in used:  # two identical bindings in one join still get distinct ids
            bid = bid % 0x7FFFFFF + 1
        used.add(bid)
        bindings.append(dataclasses.replace(b, id=bid))

    broadcast = config.get("broadcast") if isinstance(config.get("broadcast"), dict) else {}
    presence = config.get("presence") if isinstance(config.get("presence"), dict) else {}
    presence_enabled = presence.get("enabled") is True
    if token.role == "anon":
        if private:
            raise JoinRejected(ANON_PRIVATE)
        if not bindings or presence_enabled:
            raise JoinRejected(ANON_BROADCAST)
    key = presence.get("key")
    return Channel(
        topic=frame.topic, join_ref=frame.join_ref or frame.ref, sink=sink, token=token, bindings=bindings,
        broadcast_self=broadcast.get("self") is True, broadcast_ack=broadcast.get("ack") is True,
        presence_key=key if isinstance(key, str) and key else str(uuid.uuid4()),
        presence_enabled=presence_enabled, private=private,
        access=Access() if private else Access.public(token),  # private: read access is asked next
    )


def join_response(channel: Channel) -> dict[str, Any]:
    return {"postgres_changes": [{**b.params, "id": b.id} for b in channel.bindings]}
