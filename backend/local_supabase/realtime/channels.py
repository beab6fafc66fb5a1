"""Joined channels and the registry that finds them by topic and by table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .authorization import Access
from .filters import Filter
from .limits import Window
from .protocol import TOPIC_PREFIX

if TYPE_CHECKING:  # pragma: no cover
    from .tokens import Token

EVENTS = frozenset({"*", "INSERT", "UPDATE", "DELETE"})
WILDCARD = "*"


class Sink(Protocol):
    """Where a channel's frames go: the socket's bounded send queue."""

    def send(self, text: str) -> bool: ...


@dataclass(frozen=True)
class Binding:
    """One `postgres_changes` entry of a join, with the id the reply gave it."""

    id: int
    event: str
    schema: str
    table: str | None  # None: every table of the schema
    filter: Filter | None
    select: tuple[str, ...] | None
    params: dict[str, Any]  # as the client sent it: echoed in the join reply

    def wants(self, schema: str, table: str, change_type: str) -> bool:
        return ((self.event == WILDCARD or self.event == change_type)
                and (self.schema == WILDCARD or self.schema == schema)
                and (self.table is None or self.table == table))


@dataclass(eq=False)
class Channel:
    topic: str
    join_ref: str | None
    sink: Sink
    token: Token
    bindings: list[Binding]
    broadcast_self: bool = False
    broadcast_ack: bool = False
    presence_key: str = ""
    presence_enabled: bool = False
    # A private topic is another room than the public one of the same name (as upstream's tenant_topic).
    private: bool = False
    access: Access = field(default_factory=Access)
    presence_rate: Window | None = field(default=None, repr=False)  # set at join from the limits
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)
    # Channels with equal shapes (and roles) match the same changes: the fan-out tests them once.
    shape: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.shape = tuple((b.id, b.event, b.schema, b.table, b.params.get("filter"), b.select) for b in self.bindings)

    @property
    def room(self) -> tuple[str, bool]:
        """Where its broadcasts and presence go: the topic, public or private."""
        return (self.topic, self.private)

    @property
    def sub_topic(self) -> str:
        """The topic as realtime.topic() returns it: without `realtime:`."""
        return self.topic.removeprefix(TOPIC_PREFIX)

    def match(self, schema: str, table: str, change_type: str, row: dict[str, Any] | None,
              readable: frozenset[str]) -> list[Binding]:
        """The bindings a change satisfies. A filter on a column the role may not read never
        matches: it would tell the subscriber about that column."""
        out = []
        for b in self.bindings:
            if b.wants(schema, table, change_type):
                f = b.filter
                if f is None or (f.columns <= readable and f.test(row)):
                    out.append(b)
        return out

    def tables(self) -> set[tuple[str, str] | None]:
        """Tables this channel listens to; None stands for a wildcard binding."""
        out: set[tuple[str, str] | None] = set()
        for b in self.bindings:
            out.add(None if b.table is None or b.schema == WILDCARD else (b.schema, b.table))
        return out

    def cancel_expiry(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None


class Hub:
    """Every joined channel of this gateway process."""

    def __init__(self) -> None:
        self._rooms: dict[tuple[str, bool], set[Channel]] = {}
        self._tables: dict[tuple[str, str], set[Channel]] = {}
        self._wildcard: set[Channel] = set()

    def add(self, channel: Channel) -> None:
        self._rooms.setdefault(channel.room, set()).add(channel)
        for key in channel.tables():
            (self._wildcard if key is None else self._tables.setdefault(key, set())).add(channel)

    def remove(self, channel: Channel) -> None:
        channel.cancel_expiry()
        members = self._rooms.get(channel.room)
        if members is not None:
            members.discard(channel)
            if not members:
                del self._rooms[channel.room]
        for key in channel.tables():
            if key is None:
                self._wildcard.discard(channel)
                continue
            subs = self._tables.get(key)
            if subs is not None:
                subs.discard(channel)
                if not subs:
                    del self._tables[key]

    def in_room(self, room: tuple[str, bool]) -> list[Channel]:
        return list(self._rooms.get(room, ()))

    def listening_to(self, schema: str, table: str) -> set[Channel]:
        return self._tables.get((schema, table), set()) | self._wildcard

    def __len__(self) -> int:
        return sum(len(m) for m in self._rooms.values())
