"""Sign-in for staff (grid workers, department staff, supervisors); residents are sent to the citizen app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from ..app_state import AppState
from ..theme import MUTED, TARGET


class SignInView:
    def __init__(self, app: AppState, on_signed_in: Callable[[], Awaitable[None]]) -> None:
        self.app, self.on_signed_in = app, on_signed_in
        t = app.t
        self.account = ft.TextField(label=t("signin.account"), width=360, autofocus=True,
                                    on_submit=self.submit)
        self.password = ft.TextField(label=t("signin.password"), password=True, can_reveal_password=True,
                                     width=360, on_submit=self.submit)
        self.error = ft.Text("", color=ft.Colors.RED_800, size=16, width=360)
        self.backend = ft.Text(t("backend.checking"), color=MUTED, size=14)
        self.progress = ft.ProgressRing(visible=False, width=24, height=24)
        self.button = ft.Button(t("signin.submit"), icon=ft.Icons.LOGIN, height=TARGET, width=360,
                                on_click=self.submit)
        self.root = ft.Container(expand=True, alignment=ft.Alignment.CENTER, content=ft.Card(content=ft.Container(
            padding=40, content=ft.Column(tight=True, spacing=16, horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                                          controls=[
                ft.Icon(ft.Icons.GRID_VIEW, size=56, color=ft.Colors.INDIGO_700),
                ft.Semantics(identifier="app-title", content=ft.Text(t("app.title"), size=28,
                                                                     weight=ft.FontWeight.BOLD)),
                ft.Text(t("signin.title"), size=20),
                ft.Text(t("signin.hint"), color=MUTED),
                self.account, self.password,
                ft.Semantics(identifier="signin-error", content=self.error),
                ft.Row([self.button, self.progress], tight=True),
                ft.TextButton(t("lang.switch"), on_click=self._language),
                ft.Semantics(identifier="backend-status", content=self.backend),
            ]))))

    def show_backend(self, answers: bool) -> None:
        """Whether the backend answers: before signing in on site, the worker knows if it can work online."""
        self.backend.value = self.app.t("backend.connected" if answers else "backend.unreachable")
        self.backend.color = ft.Colors.GREEN_800 if answers else ft.Colors.RED_800

    async def submit(self, e: ft.ControlEvent | None = None) -> bool:
        self.error.value = ""
        self.button.disabled, self.progress.visible = True, True
        if e is not None:
            e.page.update()
        # The shell shows messages in a snack bar; on this screen they go under the fields.
        previous = self.app.on_message
        self.app.on_message = lambda text, error=False: setattr(self.error, "value", text)
        try:
            done = await self.app.sign_in(self.account.value or "", self.password.value or "")
        finally:
            self.app.on_message = previous
            self.button.disabled, self.progress.visible = False, False
        if done.ok:
            await self.on_signed_in()
        return done.ok

    async def _language(self, e: ft.ControlEvent) -> None:
        self.app.switch_language()
