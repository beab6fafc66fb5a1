"""Placeholder home of the grid-worker app (tablet): what is coming, and whether the backend answers."""

from __future__ import annotations

import flet as ft

TITLE = "城市圈 · 网格员端"
TAGLINE = "任务收件箱、现场处置、进度回报 — 即将上线"
SUBTITLE = "CityLoop for grid workers: task inbox, on-site handling, progress reports. Coming soon."
COMING = ("按网格和时限排好的待办任务", "接单、转派、办结，每一步都有记录", "超时提醒与上级督办")
CHECKING = "正在检查后端… · Checking the backend…"
CONNECTED = "后端已连接 · Backend connected"
NOT_CONNECTED = "后端未连接 · Backend not reachable"


class PlaceholderView:
    """Holds its controls; `show_backend` is the only state change."""

    def __init__(self) -> None:
        self.status = ft.Text(CHECKING, size=18, color=ft.Colors.GREY_700)
        intro = ft.Column(
            expand=3,
            spacing=20,
            controls=[
                ft.Icon(ft.Icons.GRID_VIEW, size=64, color=ft.Colors.INDIGO_700),
                # Stable ids for the browser tests (Flet's `key=` does not reach the DOM).
                ft.Semantics(identifier="app-title",
                             content=ft.Text(TITLE, size=40, weight=ft.FontWeight.BOLD)),
                ft.Text(TAGLINE, size=24),
                ft.Text(SUBTITLE, size=17, color=ft.Colors.GREY_700),
                ft.Semantics(identifier="backend-status", content=self.status),
            ],
        )
        coming = ft.Card(
            expand=2,
            content=ft.Container(
                padding=24,
                content=ft.Column(
                    spacing=12,
                    tight=True,  # as tall as its lines, not the whole screen
                    controls=[ft.Text("即将提供", size=20, weight=ft.FontWeight.BOLD)]
                    + [ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE_OUTLINE, color=ft.Colors.INDIGO_400),
                               ft.Text(line, size=17)]) for line in COMING],
                ),
            ),
        )
        self.root = ft.SafeArea(
            expand=True,
            content=ft.Container(
                padding=ft.Padding.symmetric(horizontal=64, vertical=56),
                content=ft.Row(spacing=48, vertical_alignment=ft.CrossAxisAlignment.START,
                               controls=[intro, coming]),
            ),
        )

    def show_backend(self, answers: bool) -> None:
        self.status.value = CONNECTED if answers else NOT_CONNECTED
        self.status.color = ft.Colors.GREEN_800 if answers else ft.Colors.RED_800
