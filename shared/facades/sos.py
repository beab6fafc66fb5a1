"""SOS alerts (migration 0700): raise, follow, respond; the caller's contact for responders."""

from __future__ import annotations

from typing import Any

from shared.models import SosAlertPublic, SosEventPublic, SosStatus
from shared.realtime import Callback, Subscription
from shared.transport import ID, Transport
from shared.worker import ReportContact

OPEN_SOS_STATUSES = (SosStatus.SENT, SosStatus.ACKNOWLEDGED, SosStatus.ON_THE_WAY)


class SosFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def _sos_rpc(self, name: str, **args: Any) -> SosAlertPublic:
        return self._t.model(SosAlertPublic, await self._t.rpc(name, args))

    async def sos_alerts(self, *, open_only: bool = True, limit: int = 50) -> list[SosAlertPublic]:
        """The SOS alerts the person may see (their own; for responders, those they were called to), newest first."""
        query = self._t.table("sos_alerts").select("*")
        if open_only:
            query = query.in_("status", [s.value for s in OPEN_SOS_STATUSES])
        query = query.order("created_at", desc=True).limit(limit)
        return self._t.models(SosAlertPublic, await self._t.rows(query))

    async def sos_timeline(self, alert_id: ID) -> list[SosEventPublic]:
        query = self._t.table("sos_events").select("*").eq("alert_id", str(alert_id)).order("id")
        return self._t.models(SosEventPublic, await self._t.rows(query))

    async def raise_sos(self, lat: float, lon: float, note: str | None = None) -> SosAlertPublic:
        return await self._sos_rpc("raise_sos", lat=lat, lon=lon, note=note)

    async def update_sos_location(self, alert_id: ID, lat: float, lon: float,
                                  accuracy_m: float | None = None) -> SosAlertPublic:
        return await self._sos_rpc("update_sos_location", alert_id=alert_id, lat=lat, lon=lon, accuracy_m=accuracy_m)

    async def acknowledge_sos(self, alert_id: ID) -> SosAlertPublic:
        return await self._sos_rpc("acknowledge_sos", alert_id=alert_id)

    async def mark_sos_on_the_way(self, alert_id: ID) -> SosAlertPublic:
        return await self._sos_rpc("mark_sos_on_the_way", alert_id=alert_id)

    async def resolve_sos(self, alert_id: ID, note: str | None = None) -> SosAlertPublic:
        return await self._sos_rpc("resolve_sos", alert_id=alert_id, note=note)

    async def cancel_sos(self, alert_id: ID, reason: str | None = None) -> SosAlertPublic:
        return await self._sos_rpc("cancel_sos", alert_id=alert_id, reason=reason)

    async def sos_contact(self, alert_id: ID) -> ReportContact:
        """The SOS caller's name, phone and home address, for the responders who can see the alert;
        PT403/PT404 otherwise."""
        return self._t.model(ReportContact, await self._t.rpc("sos_contact", {"alert": str(alert_id)}))

    async def subscribe_sos(self, callback: Callback) -> Subscription:
        """`callback(SosAlertPublic)` on each change of an SOS alert the person may see."""
        return await self._t.subscribe("sos", [("*", "sos_alerts", None, SosAlertPublic)], callback)
