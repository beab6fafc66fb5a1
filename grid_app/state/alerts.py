"""SOS alerts and notices: what the banner shows, and the responder's steps (CityClient SOS RPCs)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from shared import errors, navigation
from shared.geo import address_text
from shared.i18n import Translator
from shared.models import AreaPublic, NotificationPublic, SosAlertPublic, SosStatus
from shared.reporting import address_for, area_path
from shared.timeline import format_duration

from ..notices import NoticeContext, NoticeText
from .app import AppState

log = logging.getLogger(__name__)

# Payments are not the worker's business. Care-alert notices are listed too (with the resident
# and the address), though the alerts themselves are handled on the care screen.
OTHER_SCREENS = ("payment_",)


def is_notice(notice: NotificationPublic) -> bool:
    return not notice.kind.startswith(OTHER_SCREENS)


@dataclass(frozen=True)
class Caller:
    """Who raised an SOS, as far as a responder may know: the name and home address (sos_contact), and
    whether they are an elderly resident of the care watch (care_subjects, readable by their grid's workers)."""

    name: str | None = None
    elderly: bool = False
    home: str | None = None  # the caller's own words ("3号楼2单元501"): where to knock


class AlertsState:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.alerts: dict[str, SosAlertPublic] = {}
        self.callers: dict[str, Caller] = {}  # by alert id, learnt once per alert
        self.notices: list[NotificationPublic] = []
        self.context = NoticeContext(app)  # what and where each notice is about
        # Alerts whose alarm already rang: an SOS raised again soon after its cancel is the same
        # alert reopened (raise_sos), so a raise-cancel flood rings once, not once per event.
        self.rung: set[str] = set()
        # Called on every change: the shell (banner, sound) and the alerts screen, once built.
        self.listeners: list[Callable[[], Any]] = []
        self.on_new_sos: Callable[[SosAlertPublic], Any] = lambda alert: None
        self.on_new_notice: Callable[[NotificationPublic], Any] = lambda notice: None

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

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
        alerts = await self.app.run(client.sos.sos_alerts(open_only=True))
        if alerts.ok:
            self.alerts = {str(a.id): a for a in alerts.value}
            self.rung |= set(self.alerts)
        notices = await self.app.run(client.profile.notifications(limit=50))
        if notices.ok:
            self.notices = [n for n in notices.value if is_notice(n)]
            await self.context.learn(self.notices)
        self._changed()

    def describe(self, notice: NotificationPublic) -> NoticeText:
        return self.context.describe(notice)

    def on_sos_change(self, alert: SosAlertPublic) -> None:
        key = str(alert.id)
        self.alerts[key] = alert
        if key not in self.rung and alert.status is SosStatus.SENT:
            self.rung.add(key)
            self.on_new_sos(alert)
        self._changed()

    async def learn_callers(self) -> None:
        """Fetch who raised each open alert not known yet; the banner shows them once known."""
        unknown = [a for a in self.open_alerts() if str(a.id) not in self.callers]
        if not unknown:
            return
        client = self.app.client
        try:
            elderly = {str(s.profile_id) for s in await client.care.list_care_subjects() if s.profile_id}
        except errors.CityError as exc:  # the banner still shows the alert, without the flag
            log.warning("care subjects unavailable for the SOS banner: %r", exc)
            elderly = set()
        for alert in unknown:
            try:
                contact = await client.sos.sos_contact(str(alert.id))
                name, home = contact.display_name, (contact.home_address or "").strip() or None
            except errors.NetworkError as exc:  # asked again with the next event
                log.warning("SOS caller not known yet: %r", exc)
                continue
            except errors.CityError as exc:  # not mine any more (cancelled, another street): no name
                log.warning("SOS caller unavailable: %r", exc)
                name = home = None
            self.callers[str(alert.id)] = Caller(name=name, elderly=str(alert.caller_id) in elderly, home=home)
        self._changed()

    def on_notification(self, notice: NotificationPublic) -> None:
        if not is_notice(notice):
            return
        self.notices.insert(0, notice)
        self.on_new_notice(notice)
        self._changed()

    async def _step(self, call, success_key: str) -> bool:
        done = await self.app.run(call, success=self.app.t(success_key))
        if done.ok:
            self.alerts[str(done.value.id)] = done.value
            self._changed()
        return done.ok

    async def acknowledge(self, alert_id: str) -> bool:
        return await self._step(self.app.client.sos.acknowledge_sos(alert_id), "sos.acked")

    async def on_the_way(self, alert_id: str) -> bool:
        return await self._step(self.app.client.sos.mark_sos_on_the_way(alert_id), "sos.on_the_way_done")

    async def resolve(self, alert_id: str, note: str) -> bool:
        return await self._step(self.app.client.sos.resolve_sos(alert_id, note or None), "sos.resolved_done")

    async def mark_read(self) -> None:
        done = await self.app.run(self.app.client.profile.mark_notifications_read())
        if done.ok:
            self.notices = [n.model_copy(update={"read_at": n.read_at or n.created_at}) for n in self.notices]
            self._changed()

    def unread(self) -> int:
        return sum(1 for n in self.notices if n.read_at is None)


def where_text(alert: SosAlertPublic, areas: Sequence[AreaPublic], t: Translator) -> str:
    """The area names of where the caller is now (district down to grid), else of their alert's grid,
    else the coordinates."""
    locale = "en" if t.is_english else "zh"
    here = address_for(alert.lat, alert.lon, areas, locale)
    if not here and alert.grid_id is not None:
        here = address_text(area_path(str(alert.grid_id), areas), locale)
    return here or t("sos.where", lat=alert.lat, lon=alert.lon)


def since_text(raised_at: datetime, t: Translator, now: datetime | None = None) -> str:
    """How long ago an alert was raised: "刚刚" / "just now", "3分钟前" / "3 min ago"."""
    elapsed = (now or datetime.now(timezone.utc)) - raised_at
    if elapsed.total_seconds() < 60:
        return t("sos.just_now")
    return t("sos.ago", d=format_duration(elapsed, t.locale))


def navigate_url(lat: float, lon: float) -> str:
    """A maps link to the caller's WGS-84 position, converted to GCJ-02 for Amap (shared.navigation)."""
    return navigation.navigate_url(lat, lon, "SOS 求助位置")
