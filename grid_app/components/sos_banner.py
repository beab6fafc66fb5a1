"""SOS on top of everything: a full-screen red banner until someone acknowledges, then a compact bar.

Steps: acknowledge, call the caller (tel:), navigate (a maps link), on my way, resolve with a note.
Both say who called (name, 老人 for a resident of the care watch), where (area names) and since when.
The caller's location arrives every few seconds: it changes the drawn controls' texts in place (a
button replaced under a finger loses the tap). Anything else redraws them, also under an open resolve
dialog: the dialog lives on the page and closes through itself (components/dialog.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import flet as ft

from shared.models import SosAlertPublic, SosStatus
from shared.status import sos_label

from ..state.alerts import AlertsState, Caller, navigate_url, since_text, where_text
from ..state.app import AppState
from ..theme import SOS, TARGET
from .dialog import close_dialog
from .refresh import update_if_shown

BANNER_BUTTON = TARGET + 16  # the full banner's buttons: large, it may be read from across a room


async def open_url(url: str) -> None:
    await ft.UrlLauncher().launch_url(url)


@dataclass
class _Drawn:
    """The controls drawn for one alert, kept while only its location changes: a location update
    every few seconds must not replace a button under a finger (the tap would be lost)."""

    key: tuple
    control: ft.Control
    where: ft.Text
    since: ft.Text
    raised_at: datetime


class SosBanner:
    def __init__(self, app: AppState, alerts: AlertsState) -> None:
        self.app, self.alerts = app, alerts
        self.full = ft.Container(visible=False, expand=True, bgcolor=ft.Colors.with_opacity(0.96, SOS),
                                 alignment=ft.Alignment.CENTER, padding=40)
        self.bars = ft.Column(tight=True, spacing=4)
        self.compact = ft.Container(visible=False, bgcolor=ft.Colors.RED_50, content=self.bars,
                                    padding=ft.Padding.symmetric(horizontal=16, vertical=6))
        self._full: _Drawn | None = None
        self._bars: dict[str, _Drawn] = {}

    def refresh(self) -> None:
        alert = self.alerts.banner_alert()
        self.full.visible = alert is not None
        self._full = self._kept_or_built(self._full, alert, self._banner) if alert is not None else None
        self.full.content = self._full.control if self._full else None
        mine = self.alerts.mine()
        self.compact.visible = bool(mine)
        self._bars = {str(a.id): self._kept_or_built(self._bars.get(str(a.id)), a, self._bar) for a in mine}
        self.bars.controls = [d.control for d in self._bars.values()]

    def tick(self) -> None:
        """Keep "3分钟前" current between redraws (called by the shell every few seconds)."""
        for drawn in [self._full, *self._bars.values()]:
            if drawn is not None:
                drawn.since.value = since_text(drawn.raised_at, self.app.t)
                update_if_shown(drawn.since)

    def _kept_or_built(self, drawn: _Drawn | None, alert: SosAlertPublic, build) -> _Drawn:
        """`drawn` with the alert's new location, or new controls when more than the location changed."""
        t = self.app.t
        key = (alert.id, alert.status, alert.note, self.alerts.callers.get(str(alert.id)), t.locale)
        if drawn is None or drawn.key != key:
            drawn = build(alert, key)
        drawn.where.value = where_text(alert, self.app.areas, t)
        drawn.since.value = since_text(alert.created_at, t)
        return drawn

    def _banner(self, alert: SosAlertPublic, key: tuple) -> _Drawn:
        t = self.app.t
        where = ft.Text(size=22, color=ft.Colors.WHITE, text_align=ft.TextAlign.CENTER)
        who, since = self._who(alert, size=26, color=ft.Colors.WHITE)
        control = ft.Semantics(identifier="sos-banner", content=ft.Column(
            tight=True, horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=18, controls=[
                ft.Icon(ft.Icons.SOS, size=96, color=ft.Colors.WHITE),
                ft.Text(t("sos.banner"), size=48, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE),
                who, where, *self._home(alert, size=22, color=ft.Colors.WHITE),
                ft.Text(alert.note or "", size=20, color=ft.Colors.WHITE),
                ft.Row(alignment=ft.MainAxisAlignment.CENTER, wrap=True, spacing=16, controls=[
                    ft.Semantics(identifier="sos-ack", content=ft.Button(
                        t("sos.ack"), icon=ft.Icons.CHECK, height=BANNER_BUTTON, on_click=self._ack(alert))),
                    *self._reach(alert, height=BANNER_BUTTON),
                ])]))
        return _Drawn(key, control, where, since, alert.created_at)

    def _who(self, alert: SosAlertPublic, *, size: int, color: str) -> tuple[ft.Control, ft.Text]:
        """The caller's name, 老人 when they are in the care watch, and how long ago they called."""
        t = self.app.t
        caller = self.alerts.callers.get(str(alert.id), Caller())
        since = ft.Text(size=size - 4, color=color)
        parts: list[ft.Control] = [ft.Text(caller.name or t("sos.unknown_caller"), size=size, color=color,
                                           weight=ft.FontWeight.BOLD)]
        if caller.elderly:
            parts.append(ft.Container(
                content=ft.Text(t("sos.elderly"), size=size - 6, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD),
                bgcolor=ft.Colors.ORANGE_800, border_radius=6, padding=ft.Padding.symmetric(horizontal=8, vertical=2)))
        parts.append(since)
        return ft.Semantics(identifier="sos-caller", content=ft.Row(
            parts, tight=True, spacing=10, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER)), since

    def _home(self, alert: SosAlertPublic, *, size: int, color: str) -> list[ft.Control]:
        """The caller's home address, when they gave one (sos_contact shows it to the responders only)."""
        home = self.alerts.callers.get(str(alert.id), Caller()).home
        if not home:
            return []
        return [ft.Semantics(identifier="sos-home", content=ft.Text(
            self.app.t("sos.home", home=home), size=size, color=color, text_align=ft.TextAlign.CENTER))]

    def _reach(self, alert: SosAlertPublic, *, height: int) -> list[ft.Control]:
        t = self.app.t
        call = ft.OutlinedButton(t("sos.call"), icon=ft.Icons.CALL, height=height, on_click=self._dial(alert),
                                 style=ft.ButtonStyle(bgcolor=ft.Colors.WHITE))
        nav = ft.OutlinedButton(t("sos.navigate"), icon=ft.Icons.NAVIGATION, height=height,
                                on_click=self._navigate(str(alert.id)),
                                style=ft.ButtonStyle(bgcolor=ft.Colors.WHITE))
        return [call, nav]

    def _bar(self, alert: SosAlertPublic, key: tuple) -> _Drawn:
        """One full-width row per alert I answered: who and where on the left, the steps on the right."""
        t = self.app.t
        who, since = self._who(alert, size=16, color=ft.Colors.BLACK)
        where = ft.Text()
        about = ft.Column(tight=True, spacing=2, expand=True, controls=[
            ft.Row([ft.Text(t("sos.status", status=sos_label(alert.status, t.locale)), color=SOS,
                            weight=ft.FontWeight.BOLD), who],
                   wrap=True, spacing=12, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            ft.Semantics(identifier="sos-where", content=where),
            *self._home(alert, size=14, color=ft.Colors.BLACK)])
        steps: list[ft.Control] = self._reach(alert, height=TARGET)
        if alert.status is SosStatus.ACKNOWLEDGED:
            steps.append(ft.Semantics(identifier="sos-on-the-way", content=ft.Button(
                t("sos.on_the_way"), icon=ft.Icons.DIRECTIONS_RUN, height=TARGET, on_click=self._on_the_way(alert))))
        steps.append(ft.Semantics(identifier="sos-resolve", content=ft.Button(
            t("sos.resolve"), icon=ft.Icons.DONE_ALL, height=TARGET, on_click=self._resolve(alert))))
        control = ft.Row([ft.Icon(ft.Icons.SOS, color=SOS, size=32), about,
                          ft.Row(steps, spacing=8, wrap=True, tight=True)],
                         vertical_alignment=ft.CrossAxisAlignment.CENTER, spacing=12)
        return _Drawn(key, control, where, since, alert.created_at)

    def _navigate(self, alert_id: str):
        async def handler(e: ft.ControlEvent) -> None:
            alert = self.alerts.alerts[alert_id]  # the latest location: the button outlives the updates
            await open_url(navigate_url(alert.lat, alert.lon))
        return handler

    def _dial(self, alert: SosAlertPublic):
        async def handler(e: ft.ControlEvent) -> None:
            done = await self.app.run(self.app.client.sos.sos_contact(str(alert.id)))
            phone = done.value.phone if done.ok else None
            # The caller may not answer: their emergency contacts are the next number to try.
            phone = phone or next((c.phone for c in alert.emergency_contacts if c.phone), None)
            if phone:
                await open_url(f"tel:{phone}")
        return handler

    def _ack(self, alert: SosAlertPublic):
        async def handler(e: ft.ControlEvent) -> None:
            await self.alerts.acknowledge(str(alert.id))
        return handler

    def _on_the_way(self, alert: SosAlertPublic):
        async def handler(e: ft.ControlEvent) -> None:
            await self.alerts.on_the_way(str(alert.id))
        return handler

    def _resolve(self, alert: SosAlertPublic):
        async def handler(e: ft.ControlEvent) -> None:
            t = self.app.t
            note = ft.TextField(label=t("sos.resolve_note"), multiline=True, min_lines=2, autofocus=True, width=420)

            async def confirm(ev: ft.ControlEvent) -> None:
                if close_dialog(dialog):  # not through `e`: its button is gone after the next redraw
                    await self.alerts.resolve(str(alert.id), note.value or "")

            dialog = ft.AlertDialog(
                modal=True, title=ft.Text(t("sos.resolve")), content=note,
                actions=[ft.TextButton(t("cancel"), on_click=lambda _e: close_dialog(dialog)),
                         ft.Semantics(identifier="sos-resolve-confirm",
                                      content=ft.Button(t("confirm"), on_click=confirm))])
            self.app.page.show_dialog(dialog)  # the app's page: never replaced, unlike `e.control`
        return handler
