"""The per-address cap for clients behind a trusted proxy: requests in flight, not connections.

A trusted proxy (an app server, CITYLOOP_TRUSTED_PROXIES) carries many clients over
its connections, so connections.py counts those only towards the total. Here each
request it forwards counts against the client it names (`GatewayState.client_address`)
while it runs: past `max_connections_per_address` requests at once from one such
client, the next is answered 429 in its service's shape, and the proxy's other
clients are served as usual. A direct client is held to the cap by its connections.
"""

from __future__ import annotations

from collections import Counter

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .answers import limit_error
from .state import GatewayState


class ProxiedClientCap:
    def __init__(self, app: ASGIApp, state: GatewayState):
        self.app = app
        self.state = state
        self.in_flight: Counter = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] not in ("http", "websocket") or not peer or not self.state.is_trusted_proxy(peer[0]):
            await self.app(scope, receive, send)
            return
        address = self.state.limit_key(scope)
        limit = self.state.settings.max_connections_per_address
        if self.in_flight[address] >= limit:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})  # "try again later"
                return
            body, headers = limit_error(scope["path"], 429,
                                        f"Too many requests at once from this address (at most {limit}).")
            await JSONResponse(body, status_code=429, headers={**headers, "retry-after": "1"})(scope, receive, send)
            return
        self.in_flight[address] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[address] -= 1
            if self.in_flight[address] <= 0:
                del self.in_flight[address]
