"""Placeholder home of the resident app: what is coming, and whether the backend answers."""

from __future__ import annotations

import flet as ft

TITLE = "城市圈 · 市民端"
TAGLINE = "随手拍、缴费、一键求助 — 即将上线"
SUBTITLE = "CityLoop for residents: report a problem, pay bills, call for help. Coming soon."
CHECKING = "正在检查后端… · Checking the backend…"
CONNECTED = "后端已连接 · Backend connected"
NOT_CONNECTED = "后端未连接 · Backend not reachable"


class PlaceholderView:
    """Holds its controls; `show_backend` is the only state change."""

    def __init__(self) -> None:
        self.status = ft.Text(CHECKING, size=16, color=ft.Colors.GREY_700)
        self.root = ft.SafeArea(
            expand=True,
            content=ft.Container(
                padding=ft.Padding.symmetric(horizontal=24, vertical=48),
                content=ft.Column(
                    spacing=16,
                    controls=[
                        ft.Icon(ft.Icons.LOCATION_CITY, size=56, color=ft.Colors.TEAL_700),
                        # Stable ids for the browser tests (Flet's `key=` does not reach the DOM).
                        ft.Semantics(identifier="app-title",
                                     content=ft.Text(TITLE, size=30, weight=ft.FontWeight.BOLD)),
                        ft.Text(TAGLINE, size=20),
                        ft.Text(SUBTITLE, size=15, color=ft.Colors.GREY_700),
                        ft.Divider(),
                        ft.Semantics(identifier="backend-status", content=self.status),
                    ],
                ),
            ),
        )

    def show_backend(self, answers: bool) -> None:
        self.status.value = CONNECTED if answers else NOT_CONNECTED
        self.status.color = ft.Colors.GREEN_800 if answers else ft.Colors.RED_800
