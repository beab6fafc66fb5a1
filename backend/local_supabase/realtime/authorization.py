"""Who may hear and speak on a topic: Broadcast and Presence access of a channel.

- Public channels: signed-in callers (any role but `anon`) read and write both. The anon
  key alone gets neither: it may join only to listen to postgres_changes (which RLS
  filters anyway). Upstream lets the anon key broadcast on public topics; here that let
  anyone read a worker's presence, so the local stack is stricter (docs/security-realtime.md).
- Private channels (`"private": true`): hosted Supabase's Realtime Authorization. The
  project's RLS policies on `realtime.messages` decide, with `realtime.topic()` set to
  the channel's topic, exactly as upstream's `Realtime.Tenants.Authorization` asks:
  * read (at join, and again when the token changes): a probe row per extension is
    inserted by `service_role`, then selected as the caller; readable if it comes back;
  * write (at the first broadcast or track, remembered until the token changes): a row
    is inserted as the caller; allowed unless RLS refuses it (42501).
  Everything happens in one transaction that is rolled back: nothing is ever kept.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg_pool import AsyncConnectionPool

from .tokens import Token

log = logging.getLogger("cityloop.realtime")

Extension = Literal["broadcast", "presence"]
EXTENSIONS: tuple[Extension, ...] = ("broadcast", "presence")

_AS_CALLER = ("select set_config('role', %s, true), set_config('realtime.topic', %s, true), "
              "set_config('request.jwt.claims', %s, true), set_config('request.jwt.claim.sub', %s, true), "
              "set_config('request.jwt.claim.role', %s, true), set_config('request.headers', %s, true)")
_PROBE = "insert into realtime.messages (id, topic, extension, private) values (%s, %s, %s, true)"


@dataclass
class Access:
    """What a channel may do on its topic; None: not checked yet (private writes are checked when first used)."""

    broadcast_read: bool = False
    presence_read: bool = False
    broadcast_write: bool | None = False
    presence_write: bool | None = False

    @classmethod
    def public(cls, token: Token) -> "Access":
        signed_in = token.role != "anon"
        return cls(signed_in, signed_in, signed_in, signed_in)

    @property
    def readable(self) -> bool:
        """A private channel that reads neither extension may not stay joined (upstream's rule)."""
        return self.broadcast_read or self.presence_read

    def can_write(self, extension: Extension) -> bool | None:
        return self.broadcast_write if extension == "broadcast" else self.presence_write

    def set_write(self, extension: Extension, allowed: bool) -> None:
        if extension == "broadcast":
            self.broadcast_write = allowed
        else:
            self.presence_write = allowed


@dataclass(frozen=True)
class Caller:
    """The channel's identity as PostgreSQL sees it during a check."""

    token: Token
    sub_topic: str  # the topic without `realtime:`, as realtime.topic() returns it
    headers_json: str  # `request.headers`: the client's resolved address, as REST sets it

    def settings(self) -> tuple[str, ...]:
        sub = self.token.claims.get("sub")
        return (self.token.role, self.sub_topic, self.token.claims_json, sub if isinstance(sub, str) else "",
                self.token.role, self.headers_json)


def headers_json(client_address: str) -> str:
    return json.dumps({"x-forwarded-for": client_address})


async def read_access(pool: AsyncConnectionPool, caller: Caller, extensions: tuple[Extension, ...]) -> Access:
    """A private channel's read access (writes left unchecked); a failing policy reads nothing."""
    ids = {ext: uuid.uuid4() for ext in extensions}
    try:
        async with pool.connection() as conn, conn.transaction(force_rollback=True):
            await conn.execute("select set_config('role', 'service_role', true)")  # the probe rows bypass RLS
            for ext, id_ in ids.items():
                await conn.execute(_PROBE, (id_, caller.sub_topic, ext))
            await conn.execute(_AS_CALLER, caller.settings())
            cur = await conn.execute("select extension from realtime.messages where id = any(%s)", (list(ids.values()),))
            readable = {row[0] for row in await cur.fetchall()}
    except psycopg.Error as exc:
        log.warning("realtime.messages read check on %r failed: %s", caller.sub_topic, exc)
        readable = set()
    return Access("broadcast" in readable, "presence" in readable, None, None)


async def write_allowed(pool: AsyncConnectionPool, caller: Caller, extension: Extension) -> bool:
    """May the caller send `extension` messages on its private topic: an INSERT as the caller, rolled back."""
    try:
        async with pool.connection() as conn, conn.transaction(force_rollback=True):
            await conn.execute(_AS_CALLER, caller.settings())
            await conn.execute(_PROBE, (uuid.uuid4(), caller.sub_topic, extension))
    except psycopg.errors.InsufficientPrivilege:
        return False
    except psycopg.Error as exc:
        log.warning("realtime.messages write check on %r failed: %s", caller.sub_topic, exc)
        return False
    return True
