"""What the gateway's routes share: settings, keys, pools, the schema cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request

from ..config import Secrets, Settings
from .. import client_address
from .connections import ConnectionBook
from .db_share import DatabaseShare
from .keys import KeyVerifier

if TYPE_CHECKING:  # pragma: no cover
    from ..auth.throttle import AuthLimits
    from ..realtime.service import RealtimeService
    from ..rest.schema_cache import SchemaCache
    from ..sms_sink.store import Outbox


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
    # The realtime server (started and stopped with the gateway's lifespan).
    realtime: "RealtimeService | None" = None
    # The auth routes' sign-in and code counters, made on first use (auth/throttle.py).
    auth_limits: "AuthLimits | None" = None
    # The local SMS sink's message file, opened on first use (sms_sink/routes.py).
    sms_outbox: "Outbox | None" = None
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
        """The one answer to "who is calling": the exact address (forwarded to PostgreSQL, kept on sessions)."""
        return client_address.from_scope(scope, self._proxies)

    def limit_key(self, scope) -> str:
        """What every per-address limit counts under: the caller's address, an IPv6 one by its /64."""
        return client_address.limit_key(self.client_address(scope))


def gateway_state(request: Request) -> GatewayState:
    return request.app.state.gateway
