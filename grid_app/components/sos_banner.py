"""SOS on top of everything: a full-screen red banner until someone acknowledges, then a compact bar.

Steps: acknowledge, call the caller (tel:), navigate (a maps link), on my way, resolve with a note.
"""

from __future__ import annotations

import flet as ft

from shared.models import SosAlertPublic, SosStatus
from shared.status import sos_label

from ..alerts_state import AlertsState, navigate_url
from ..app_state import AppState
from ..theme import SOS, TARGET


async def open_url(url: str) -> None:
    await ft.UrlLauncher().launch_url(url)


class SosBanner:
    def __init__(self, app: AppState, alerts: AlertsState) -> None:
        self.app, self.alerts = app, alerts
        self.full = ft.Container(visible=False, expand=True, bgcolor=ft.Colors.with_opacity(0.96, SOS),
                                 alignment=ft.Alignment.CENTER, padding=40)
        self.compact = ft.Container(visible=False, bgcolor=ft.Colors.RED_50,
                                    padding=ft.Padding.symmetric(horizontal=16, vertical=6))

    def refresh(self) -> None:
        t = self.app.t
        alert = self.alerts.banner_alert()
        self.full.visible = alert is not None
        if alert is not None:
            self.full.content = ft.Semantics(identifier="sos-banner", content=ft.Column(
                tight=True, horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=18, controls=[
                    ft.Icon(ft.Icons.SOS, size=96, color=ft.Colors.WHITE),
                    ft.Text(t("sos.banner"), size=48, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE),
                    ft.Text(t("sos.where", lat=alert.lat, lon=alert.lon), size=22, color=ft.Colors.WHITE),
                    ft.Text(alert.note or "", size=20, color=ft.Colors.WHITE),
                    ft.Row(alignment=ft.MainAxisAlignment.CENTER, wrap=True, spacing=16, controls=[
                        ft.Semantics(identifier="sos-ack", content=ft.Button(
                            t("sos.ack"), icon=ft.Icons.CHECK, height=64, on_click=self._ack(alert))),
                        *self._reach(alert),
                    ])]))
        mine = self.alerts.mine()
        self.compact.visible = bool(mine)
        self.compact.content = ft.Column(tight=True, controls=[self._bar(a) for a in mine])

    def _reach(self, alert: SosAlertPublic) -> list[ft.Control]:
        t = self.app.t
        call = ft.OutlinedButton(t("sos.call"), icon=ft.Icons.CALL, height=TARGET + 16, on_click=self._call(alert),
                                 style=ft.ButtonStyle(bgcolor=ft.Colors.WHITE))
        nav = ft.OutlinedButton(t("sos.navigate"), icon=ft.Icons.NAVIGATION, height=TARGET + 16,
                                on_click=lambda e: open_url(navigate_url(alert.lat, alert.lon)),
                                style=ft.ButtonStyle(bgcolor=ft.Colors.WHITE))
        return [call, nav]

    def _bar(self, alert: SosAlertPublic) -> ft.Control:
        t = self.app.t
        steps: list[ft.Control] = [ft.Icon(ft.Icons.SOS, color=SOS),
                                   ft.Text(t("sos.status", status=sos_label(alert.status, t.locale)), color=SOS,
                                           weight=ft.FontWeight.BOLD),
                                   ft.Text(t("sos.where", lat=alert.lat, lon=alert.lon)), *self._reach(alert)]
        if alert.status is SosStatus.ACKNOWLEDGED:
            steps.append(ft.Semantics(identifier="sos-on-the-way", content=ft.Button(
                t("sos.on_the_way"), icon=ft.Icons.DIRECTIONS_RUN, on_click=self._on_the_way(alert))))
        steps.append(ft.Semantics(identifier="sos-resolve", content=ft.Button(
            t("sos.resolve"), icon=ft.Icons.DONE_ALL, on_click=self._resolve(alert))))
        return ft.Row(steps, vertical_alignment=ft.CrossAxisAlignment.CENTER, wrap=True)

    def _call(self, alert: SosAlertPublic):
        async def handler(e: ft.ControlEvent) -> None:
            done = await self.app.run(self.app.client.sos_contact(str(alert.id)))
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
            note = ft.TextField(label=t("sos.resolve_note"), multiline=True, min_lines=2, autofocus=True)

            async def confirm(ev: ft.ControlEvent) -> None:
                e.page.pop_dialog()
                await self.alerts.resolve(str(alert.id), note.value or "")

            e.page.show_dialog(ft.AlertDialog(
                title=ft.Text(t("sos.resolve")), content=note,
                actions=[ft.TextButton(t("cancel"), on_click=lambda ev: ev.page.pop_dialog()),
                         ft.Button(t("confirm"), on_click=confirm)]))
        return handler
