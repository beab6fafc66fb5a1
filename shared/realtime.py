"""Realtime subscriptions for CityClient: a channel of postgres_changes bindings, delivering models.

The database decides what arrives (RLS is checked per subscriber on every change);
this module only joins the channel, waits for the join, and turns each record into
its model before handing it to the callback. A callback may be a function or a
coroutine function; one that fails is logged and never stops the socket.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from supabase import AsyncClient

from shared import errors

log = logging.getLogger(__name__)

Callback = Callable[[Any], Any]
# (event: INSERT/UPDATE/DELETE/*, table in schema public, filter such as "user_id=eq.<uid>" or None, model)
Binding = tuple[str, str, str | None, type[BaseModel]]
JOIN_TIMEOUT = 10.0
# Upstream Realtime takes at most 100 values in a filter's `in.(...)`.
MAX_FILTER_VALUES = 100

_pending: set[asyncio.Future] = set()  # coroutine callbacks still running (kept referenced)


class Subscription:
    """A Realtime channel the client opened; `await unsubscribe()` closes it."""

    def __init__(self, client: AsyncClient, channel: Any) -> None:
        self._client = client
        self.channel = channel
        self.closed = False  # closed by us: its CLOSED state is not a lost connection

    async def unsubscribe(self) -> None:
        self.closed = True
        try:
            await self._client.remove_channel(self.channel)
        except Exception as exc:  # noqa: BLE001 - closing a dead socket is not the caller's problem
            log.debug("unsubscribe failed: %r", exc)


async def subscribe(client: AsyncClient, name: str, bindings: list[Binding], callback: Callback,
                    access_token: str, on_status: Callable[[bool], None] | None = None) -> Subscription:
    """Join a channel with `bindings` as the holder of `access_token`; raise NetworkError unless joined.

    After the join, `on_status(False)` says the channel was lost (the socket dropped, the server
    closed it) and `on_status(True)` that it joined again: realtime-py reconnects on its own for a
    while (about half a minute of retries), and changes made meanwhile were not delivered, so a
    screen reloads what it shows when it hears True."""
    await client.realtime.set_auth(access_token)
    channel = client.channel(f"{name}-{uuid.uuid4().hex[:8]}")
    seen = _SeenChanges()  # a change two bindings match comes once per binding: hand it over once
    for event, table, filter_, model in bindings:
        channel.on_postgres_changes(event, schema="public", table=table, filter=filter_,
                                    callback=_deliver(model, callback, seen))
    states: list[tuple[Any, Exception | None]] = []
    joined = asyncio.Event()

    subscription = Subscription(client, channel)

    def on_state(state: Any, error: Exception | None) -> None:
        if joined.is_set():  # a later change of state: lost, or joined again
            live = getattr(state, "value", str(state)) == "SUBSCRIBED"
            if on_status is not None and not subscription.closed:
                log.info("realtime channel %s %s: %r", name, "joined again" if live else "lost", error)
                try:
                    on_status(live)
                except Exception:  # noqa: BLE001 - a faulty callback must not stop the socket
                    log.exception("realtime status callback failed")
            return
        states.append((state, error))
        joined.set()

    await channel.subscribe(on_state)
    try:
        await asyncio.wait_for(joined.wait(), JOIN_TIMEOUT)
    except asyncio.TimeoutError:
        raise errors.NetworkError("realtime subscription did not answer") from None
    state, error = states[-1]
    if getattr(state, "value", str(state)) != "SUBSCRIBED":
        subscription.closed = True
        raise errors.NetworkError(f"realtime subscription refused: {state} {error}")
    return subscription


class _SeenChanges:
    """The last few changes a channel handed over, by their whole content: the same frame reaches
    each binding it matched one after the other, so a short memory is enough."""

    def __init__(self, size: int = 64) -> None:
        self._keys: deque[str] = deque(maxlen=size)

    def first_time(self, data: dict[str, Any]) -> bool:
        key = json.dumps([data.get("table"), data.get("type"), data.get("commit_timestamp"),
                          data.get("record"), data.get("old_record")], sort_keys=True, default=str)
        if key in self._keys:
            return False
        self._keys.append(key)
        return True


def _deliver(model: type[BaseModel], callback: Callback, seen: _SeenChanges | None = None,
             ) -> Callable[[dict[str, Any]], None]:
    def handle(payload: dict[str, Any]) -> None:
        data = payload.get("data", payload)
        if seen is not None and not seen.first_time(data):
            return
        record = data.get("record") or data.get("old_record")
        try:
            item = model.model_validate(record)
        except PydanticValidationError as exc:
            log.warning("realtime %s: unexpected record: %s", model.__name__, exc)
            return
        try:
            result = callback(item)
            if inspect.isawaitable(result):
                future = asyncio.ensure_future(result)
                _pending.add(future)
                future.add_done_callback(_pending.discard)
        except Exception:  # noqa: BLE001 - a faulty callback must not stop the socket
            log.exception("realtime callback failed")
    return handle
