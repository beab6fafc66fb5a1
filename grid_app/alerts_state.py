"""SOS alerts and notices: what the banner shows, and the responder's steps (CityClient SOS RPCs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import navigation
from shared.models import NotificationPublic, SosAlertPublic, SosStatus

from .app_state import AppState

# Care alerts have their own screen (the care watch's); payments are not the worker's business.
OTHER_SCREENS = ("care_", "payment_")


def is_notice(notice: NotificationPublic) -> bool:
    return not notice.kind.startswith(OTHER_SCREENS)


class AlertsState:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.alerts: dict[str, SosAlertPublic] = {}
        self.notices: list[NotificationPublic] = []
        self.on_changed: Callable[[], Any] = lambda: None
        self.on_new_sos: Callable[[SosAlertPublic], Any] = lambda alert: None
        self.on_new_notice: Callable[[NotificationPublic], Any] = lambda notice: None

    def open_alerts(self) -> list[SosAlertPublic]:
        return sorted((a for a in self.alerts.values() if a.is_open), key=lambda a: a.created_at)

    def banner_alert(self) -> SosAlertPublic | None:
        """The oldest SOS nobody has acknowledged yet: it covers the screen until someone does."""
        waiting = [a for a in self.open_alerts() if a.status is SosStatus.SENT]
        return waiting[0] if waiting else None

    def mine(self) -> list[SosAlertPublic]:
        """Open alerts I acknowledged: the compact bar keeps their next steps in reach."""
        me = str(self.app.user.id) if self.app.user else None
        return [a for a in self.open_alerts() if a.status is not SosStatus.SENT and str(a.acknowledged_by) == me]

    async def load(self) -> None:
        client = self.app.client
        alerts = await self.app.run(client.sos_alerts(open_only=True))
        if alerts.ok:
            self.alerts = {str(a.id): a for a in alerts.value}
        notices = await self.app.run(client.notifications(limit=50))
        if notices.ok:
            self.notices = [n for n in notices.value if is_notice(n)]
        self.on_changed()

    def on_sos_change(self, alert: SosAlertPublic) -> None:
        is_new = str(alert.id) not in self.alerts
        self.alerts[str(alert.id)] = alert
        if is_new and alert.status is SosStatus.SENT:
            self.on_new_sos(alert)
        self.on_changed()

    def on_notification(self, notice: NotificationPublic) -> None:
        if not is_notice(notice):
            return
        self.notices.insert(0, notice)
        self.on_new_notice(notice)
        self.on_changed()

    async def _step(self, call, success_key: str) -> bool:
        done = await self.app.run(call, success=self.app.t(success_key))
        if done.ok:
            self.alerts[str(done.value.id)] = done.value
            self.on_changed()
        return done.ok

    async def acknowledge(self, alert_id: str) -> bool:
        return await self._step(self.app.client.acknowledge_sos(alert_id), "sos.acked")

    async def on_the_way(self, alert_id: str) -> bool:
        return await self._step(self.app.client.mark_sos_on_the_way(alert_id), "sos.on_the_way_done")

    async def resolve(self, alert_id: str, note: str) -> bool:
        return await self._step(self.app.client.resolve_sos(alert_id, note or None), "sos.resolved_done")

    async def mark_read(self) -> None:
        done = await self.app.run(self.app.client.mark_notifications_read())
        if done.ok:
            self.notices = [n.model_copy(update={"read_at": n.read_at or n.created_at}) for n in self.notices]
            self.on_changed()

    def unread(self) -> int:
        return sum(1 for n in self.notices if n.read_at is None)


def navigate_url(lat: float, lon: float) -> str:
    """A maps link to the caller's WGS-84 position, converted to GCJ-02 for Amap (shared.navigation)."""
    return navigation.navigate_url(lat, lon, "SOS 求助位置")
