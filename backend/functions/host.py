"""The application's functions and jobs, composed in one place.

As hosted Supabase runs a project's Edge Functions and pg_cron jobs beside its API, `Functions`
holds what CityLoop runs beside Supabase: the payment functions and the sandbox provider's pages
(backend/payments/routes.py), and the jobs (escalations, payments reconciliation, care watch,
SMS). Everything goes through the Supabase HTTP API with the service-role key, so the same object
serves as an extension of the local stack's gateway (local.py) and on its own against a hosted
project (serve.py). It has the gateway's `Extension` shape: `routes()`, `start()`, `stop()`.
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.routing import BaseRoute

from backend.jobs.care_watch import CareWatchService
from backend.jobs.escalations import EscalationService
from backend.jobs.reconcile_payments import PaymentsJobService, ReconcileOptions
from backend.jobs.send_sms import SmsJobService
from backend.notify import LocalSinkSms, SmsProvider
from backend.payments import sandbox
from backend.payments.provider import PaymentProvider
from backend.payments.routes import PaymentFunctions, payment_routes
from backend.payments.settlement import Rpc, client_rpc

from .config import FunctionsSettings


class Functions:
    def __init__(self, settings: FunctionsSettings, sms: SmsProvider | None = None):
        self.settings = settings
        # Filled at start (the sandbox keeps its books and secret in the state folder).
        self.providers: dict[str, PaymentProvider] = {}
        self.escalations = EscalationService(settings.escalation_interval_s)
        self.payments = PaymentsJobService(settings.payments_interval_s,
                                           ReconcileOptions(grace_s=settings.payments_grace_s))
        self.care_watch = CareWatchService(settings.care_scan_interval_s, settings.care_escalation_interval_s,
                                           settings.city_tz)
        # Without the city's own provider, texts go to the local stack's SMS sink at SUPABASE_URL.
        self.sms = SmsJobService(settings.sms_interval_s,
                                 sms or LocalSinkSms(settings.supabase_url, settings.service_role_key))
        self._rpc: Rpc | None = None
        self._http: httpx.AsyncClient | None = None
        self._client: Any = None

    @property
    def jobs(self) -> tuple[EscalationService, PaymentsJobService, CareWatchService, SmsJobService]:
        return (self.escalations, self.payments, self.care_watch, self.sms)

    def rpc(self) -> Rpc:
        if self._rpc is None:
            raise RuntimeError("the functions have not been started")
        return self._rpc

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("the functions have not been started")
        return self._http

    def routes(self) -> list[BaseRoute]:
        s = self.settings
        return list(payment_routes(PaymentFunctions(s.supabase_url, s.service_role_key, self.providers,
                                                    self.rpc, self.http, s.max_json_depth)))

    async def start(self) -> None:
        from supabase import AsyncClientOptions, acreate_client, create_client

        s = self.settings
        self.providers[sandbox.NAME] = sandbox.provider_for(s.home, s.public_url)
        self._http = httpx.AsyncClient(timeout=30)
        self._client = await acreate_client(s.supabase_url, s.service_role_key, options=AsyncClientOptions(
            persist_session=False, auto_refresh_token=False))
        self._rpc = client_rpc(self._client)
        await self.escalations.start(self._rpc)
        await self.payments.start(self._rpc, self.providers)
        if s.care_scan_interval_s > 0 or s.care_escalation_interval_s > 0:
            await self.care_watch.start(create_client(s.supabase_url, s.service_role_key))
        await self.sms.start(self._rpc)

    async def stop(self) -> None:
        for job in reversed(self.jobs):
            await job.stop()
        if self._http is not None:
            await self._http.aclose()

    def status(self) -> dict[str, dict[str, Any]]:
        """Each job's passes so far (the functions server's /health answers it)."""
        names = ("escalations", "payments", "care_watch", "sms")
        return {name: {"runs": job.runs, "failures": job.failures} for name, job in zip(names, self.jobs)}
