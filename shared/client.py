"""`CityClient`: what both apps and the jobs call, over the unmodified async supabase-py.

A client is a set of small facades over one `shared.transport.Transport`:

    client.auth       sign-up, sign-in, the session          client.reports  filing, cases, case RPCs
    client.profile    my profile and notifications           client.sos      SOS alerts
    client.reference  departments, areas, categories         client.worker   staff inbox, duty, dashboard
    client.payments.payments   utility accounts, bills, payments      client.care     care watch
    client.contacts   emergency contacts                    client.brain    the city brain's reads and channel

Apps depend on the Protocols of `shared.api`, which the in-memory twin (`shared.twin`) also
implements. Every call returns models from shared.models (and the feature modules) and raises
only `shared.errors.CityError` subclasses. Access is decided by the database (RLS,
security-definer RPCs); the facades only shape calls and answers.
"""

from __future__ import annotations

from typing import Any

from supabase import AsyncClient, AsyncClientOptions, acreate_client

from shared import errors
from shared.config import BackendConfig, load_backend_config
from shared.facades import (PHOTO_BUCKET, AuthFacade, BrainFacade, CareFacade, EmergencyContacts, PaymentsFacade,
                            ProfileFacade, ReferenceFacade, ReportsFacade, SignUpResult, SosFacade, WorkerFacade)
from shared.transport import Transport

__all__ = ["PHOTO_BUCKET", "CityClient", "SignUpResult"]


class CityClient:
    """One signed-in (or anonymous) person talking to the backend."""

    def __init__(self, supabase: AsyncClient) -> None:
        self.transport = Transport(supabase)
        self.auth = AuthFacade(self.transport)
        self.profile = ProfileFacade(self.transport)
        self.reference = ReferenceFacade(self.transport)
        self.reports = ReportsFacade(self.transport)
        self.sos = SosFacade(self.transport)
        self.worker = WorkerFacade(self.transport)
        self.payments = PaymentsFacade(self.transport)
        self.care = CareFacade(self.transport)
        self.contacts = EmergencyContacts(self.transport)
        self.brain = BrainFacade(self.transport)

    @property
    def supabase(self) -> Any:
        """The supabase-py client underneath (tests look at its headers)."""
        return self.transport.supabase

    @classmethod
    async def connect(cls, config: BackendConfig | None = None, *, url: str | None = None, key: str | None = None,
                      timeout: float = 10.0, client_ip: str | None = None) -> CityClient:
        """A client for `url`/`key`, else `config`, else the environment (shared.config).

        `client_ip`: the browser's address when this client serves one Flet web session. Every
        request of the session then leaves the app server with `X-Forwarded-For: <client_ip>`
        (auth, rest, storage), so the backend's per-address limits see the resident, not the
        server (it believes the header only from CITYLOOP_TRUSTED_PROXIES)."""
        if url is None or key is None:
            config = config or load_backend_config()
            url, key = url or config.url, key or config.anon_key
        headers = {"X-Forwarded-For": client_ip.strip()} if client_ip and client_ip.strip() else {}
        options = AsyncClientOptions(auto_refresh_token=True, persist_session=False, headers=headers,
                                     postgrest_client_timeout=timeout, storage_client_timeout=int(timeout))
        try:
            return cls(await acreate_client(url, key, options=options))
        except Exception as exc:
            raise errors.from_exception(exc) from exc

    async def aclose(self) -> None:
        """Release the person's Realtime subscriptions (the HTTP clients need no closing)."""
        await self.unsubscribe_all()

    async def unsubscribe_all(self) -> None:
        """Stop every live subscription (the client itself stays usable, and may subscribe again)."""
        await self.transport.unsubscribe_all()
