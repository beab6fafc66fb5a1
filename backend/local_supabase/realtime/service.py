"""The Realtime server of the gateway: `/realtime/v1/websocket`, started and stopped with the app.

The socket is refused (HTTP 403 before the upgrade) without a valid project API key,
as upstream's UserSocket.connect refuses it. Everything else happens per channel.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from .. import postgres
from . import protocol as p
from .capture import Capture
from .catalog import Catalog
from .channels import Hub
from .connection import Connection
from .fanout import Fanout
from .limits import RealtimeLimits
from .presence import Presence
from .turns import WriteTurns

if TYPE_CHECKING:  # pragma: no cover
    from psycopg_pool import AsyncConnectionPool

    from .channels import Channel
    from ..gateway.keys import KeyVerifier
    from ..gateway.state import GatewayState

log = logging.getLogger("cityloop.realtime")

PATH = "/realtime/v1/websocket"


class RealtimeService:
    def __init__(self) -> None:
        self.limits = RealtimeLimits()
        self.hub = Hub()
        self.presence = Presence()
        self.connections: set[Connection] = set()
        self.write_turns = WriteTurns()
        self._capture: Capture | None = None
        self._state: "GatewayState | None" = None

    # --- lifecycle (called from the app's lifespan) ----------------------------
    async def start(self, state: "GatewayState") -> None:
        self._state = state
        self.limits = state.settings.realtime
        self.catalog = Catalog(state.rest_pool)
        listen_url = postgres.role_url(state.settings, state.secrets, "authenticator", state.secrets.authenticator_password)
        self._capture = Capture(listen_url, state.rest_pool, self.catalog, Fanout(self.hub, self.catalog, state.rest_pool))
        await self._capture.start()

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.shut(1012)  # "service restart": clients reconnect
        if self.connections:
            await asyncio.sleep(0.05)
        if self._capture is not None:
            await self._capture.stop()

    def routes(self) -> list[BaseRoute]:
        return [WebSocketRoute(PATH, self._endpoint)]

    # --- shared with connections ---------------------------------------------
    @property
    def verifier(self) -> "KeyVerifier":
        assert self._state is not None
        return self._state.verifier

    @property
    def pool(self) -> "AsyncConnectionPool":
        """The REST pool (the `authenticator` login): access checks run on it as the caller's role."""
        assert self._state is not None
        return self._state.rest_pool

    def client_address(self, ws: WebSocket) -> str:
        assert self._state is not None
        return self._state.client_address(ws.scope)

    def roles(self) -> frozenset[str]:
        """Roles a token may name: those the gateway's login may switch to (from the schema cache)."""
        cache = self._state.schema_cache if self._state is not None else None
        return cache.roles if cache is not None else frozenset()

    def publish_presence(self, channel: "Channel", diff: dict | None) -> None:
        """A presence change of `channel` to the members of its room that may read presence."""
        if diff is None:
            return
        out = p.encode(channel.topic, "presence_diff", diff)
        for member in self.hub.in_room(channel.room):
            if member.access.presence_read:
                member.sink.send(out)

    # --- the socket -----------------------------------------------------------
    async def _endpoint(self, ws: WebSocket) -> None:
        from ..gateway.keys import KeyError_  # not at the top: the gateway package imports this module

        try:
            self.verifier.api_key(ws)  # type: ignore[arg-type]  # reads headers and query params only
        except KeyError_ as exc:
            log.info("refused a socket: %s", exc.message)
            await ws.close(code=1008)
            return
        if ws.query_params.get("vsn", "1.0.0").split(".")[0] != "1":
            await ws.close(code=1008)  # only the v1 JSON serializer is spoken
            return
        key = ws.headers.get("apikey") or ws.query_params.get("apikey") or ""
        conn = Connection(ws, self, socket_token=key)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)
