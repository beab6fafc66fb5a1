"""What the gateway's routes share: settings, keys, pools, the schema cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request

from ..config import Secrets, Settings
from .. import client_address
from .connections import ConnectionBook
from .db_share import DatabaseShare
from .keys import KeyVerifier

if TYPE_CHECKING:  # pragma: no cover
    from ..rest.schema_cache import SchemaCache


@dataclass
class GatewayState:
    settings: Settings
    secrets: Secrets
    verifier: KeyVerifier
    rest_pool: AsyncConnectionPool | None = None
    auth_pool: AsyncConnectionPool | None = None
    # Logged in as supabase_storage_admin (owner of the storage schema, not a superuser):
    # internal reads such as a bucket's limits, never a caller's request.
    storage_pool: AsyncConnectionPool | None = None
    schema_cache: "SchemaCache | None" = None
    # Long-running parts with `async start(state)` / `async stop()` (the realtime server).
    services: dict[str, Any] = field(default_factory=dict)
    # Open connections by client address (gateway/connections.py counts them).
    connections: ConnectionBook | None = None
    # Fair shares of the REST pool for anonymous callers and per client address (gateway/db_share.py).
    db_share: DatabaseShare | None = None

    def __post_init__(self) -> None:
        self._proxies = client_address.parse_proxies(self.settings.trusted_proxies)
        if self.connections is None:
            self.connections = ConnectionBook(self.settings.max_connections, self.settings.max_connections_per_address)
        if self.db_share is None:
            cfg = self.settings
            self.db_share = DatabaseShare(
                anon_connections=cfg.anon_db_connections or max(1, cfg.pool_size * 3 // 10),
                anon_wait_s=cfg.anon_db_wait_s, per_address=cfg.db_requests_per_address)

    def is_trusted_proxy(self, peer: str) -> bool:
        return client_address.is_trusted(peer, self._proxies)

    def client_address(self, scope) -> str:
        """The one answer to "who is calling" for every per-address limit."""
        return client_address.from_scope(scope, self._proxies)


def gateway_state(request: Request) -> GatewayState:
    return request.app.state.gateway
