"""Alerts: the open SOS alerts I can see (with their steps) and my notices (new tasks, escalations, overdue,
care alerts), each with what and where."""

from __future__ import annotations

import flet as ft

from shared.localtime import local_text
from shared.models import NotificationPublic
from shared.status import sos_label
from shared.ui import Screen

from ..state.alerts import AlertsState
from ..state.app import AppState
from ..components.refresh import page_of, update_if_shown
from ..components.sos_banner import SosBanner
from ..notices import CARE
from ..theme import MUTED, SOS


def build(app: AppState, params: dict[str, str]) -> Screen:
    screen = AlertsScreen(app, app.alerts, app.sos_banner)
    return Screen(content=screen.root, show=screen.show)


class AlertsScreen:
    def __init__(self, app: AppState, alerts: AlertsState, banner: SosBanner) -> None:
        self.app, self.alerts, self.banner = app, alerts, banner
        self.column = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=10)
        self.root = ft.Container(expand=True, padding=16, content=self.column)
        alerts.listeners.append(self._live_change)

    def _live_change(self) -> None:
        # A live SOS or notice: redrawn now if on a connected page (`show` redraws it otherwise).
        page = page_of(self.column)
        if page is not None and getattr(getattr(page, "session", None), "connection", None) is not None:
            self.refresh()

    async def show(self) -> None:
        await self.alerts.load()
        self.refresh()

    def refresh(self) -> None:
        t = self.app.t
        sos = [ft.Container(padding=10, border_radius=8, bgcolor=ft.Colors.RED_50, content=ft.Column(tight=True, controls=[
            ft.Text(f"{sos_label(a.status, t.locale)} · {local_text(a.created_at, '%H:%M')}", color=SOS,
                    weight=ft.FontWeight.BOLD),
            ft.Text(t("sos.where", lat=a.lat, lon=a.lon)), ft.Text(a.note or "", color=MUTED)]))
            for a in self.alerts.open_alerts()]
        notices = [self._notice(n) for n in self.alerts.notices]
        self.column.controls = [
            ft.Text(t("alerts.title"), size=22, weight=ft.FontWeight.BOLD),
            ft.Text(t("alerts.sos_open"), weight=ft.FontWeight.BOLD),
            *(sos or [ft.Text("—", color=MUTED)]),
            ft.Row([ft.Text(t("alerts.notices"), weight=ft.FontWeight.BOLD), ft.Container(expand=True),
                    ft.TextButton(t("notice.mark_read"), on_click=self._read)]),
            ft.Semantics(identifier="notices", content=ft.Column(notices or [ft.Text(t("alerts.none"), color=MUTED)])),
        ]
        update_if_shown(self.column)

    def _notice(self, n: NotificationPublic) -> ft.Control:
        """Title, then what and where (category and address, or the resident), then when."""
        text = self.alerts.describe(n)
        care = n.kind.startswith(CARE)
        return ft.Semantics(identifier=f"notice-{n.id}", content=ft.ListTile(
            leading=ft.Icon(ft.Icons.ELDERLY if care else ft.Icons.CIRCLE, size=20 if care else 12,
                            color=ft.Colors.INDIGO if n.read_at is None else ft.Colors.GREY_400),
            title=ft.Text(text.title),
            subtitle=ft.Text(" · ".join(x for x in (text.details, local_text(n.created_at)) if x))))

    async def _read(self, e: ft.ControlEvent) -> None:
        await self.alerts.mark_read()
