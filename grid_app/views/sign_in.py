"""Sign-in for staff (grid workers, department staff, supervisors); residents are sent to the citizen app.

With a password, or ("forgot the password?") with a code sent by SMS (AppState.send_code /
sign_in_with_code, shared/code_flow.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import flet as ft

from shared.code_flow import CodePhase

from ..state.app import AppState
from ..theme import MUTED, TARGET, primary_button_style

log = logging.getLogger(__name__)


class SignInView:
    def __init__(self, app: AppState, on_signed_in: Callable[[], Awaitable[None]]) -> None:
        self.app, self.on_signed_in = app, on_signed_in
        self.running = False  # a sign-in (or code request) under way: further presses are ignored
        t = app.t
        self.account = ft.TextField(label=t("signin.account"), width=360, autofocus=True,
                                    on_submit=self.submit)
        self.password = ft.TextField(label=t("signin.password"), password=True, can_reveal_password=True,
                                     width=360, on_submit=self.submit)
        self.error = ft.Text("", color=ft.Colors.RED_800, size=16, width=360)
        self.backend = ft.Text(t("backend.checking"), color=MUTED, size=14)
        self.progress = ft.ProgressRing(visible=False, width=24, height=24)
        self.button = ft.Button(t("signin.submit"), icon=ft.Icons.LOGIN, height=TARGET, width=360,
                                on_click=self.submit, style=primary_button_style())
        # Sign-in by code: hidden until "forgot the password?" is pressed.
        self.code = ft.TextField(label=t("code.code"), width=360, max_length=6, keyboard_type=ft.KeyboardType.NUMBER,
                                 on_submit=self.submit_code)
        self.send = ft.TextButton(t("code.send"), on_click=self.send_code)
        self.code_button = ft.Button(t("code.submit"), icon=ft.Icons.SMS, height=TARGET, width=360,
                                     on_click=self.submit_code, style=primary_button_style())
        self.code_panel = ft.Column(tight=True, spacing=12, visible=False, horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                                    controls=[ft.Semantics(identifier="code-send", content=self.send), self.code,
                                              ft.Semantics(identifier="code-submit", content=self.code_button)])
        self.password_row = ft.Row([self.button, self.progress], tight=True)
        self.switch = ft.TextButton(t("code.forgot"), on_click=self.toggle_code)
        self.root = ft.Container(expand=True, alignment=ft.Alignment.CENTER, content=ft.Card(content=ft.Container(
            padding=40, content=ft.Column(tight=True, spacing=16, horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                                          controls=[
                ft.Icon(ft.Icons.GRID_VIEW, size=56, color=ft.Colors.INDIGO_700),
                ft.Semantics(identifier="app-title", content=ft.Text(t("app.title"), size=28,
                                                                     weight=ft.FontWeight.BOLD)),
                ft.Text(t("signin.title"), size=20),
                ft.Text(t("signin.hint"), color=MUTED),
                self.account, self.password, self.code_panel,
                ft.Semantics(identifier="signin-error", content=self.error),
                self.password_row,
                ft.Semantics(identifier="signin-code", content=self.switch),
                ft.TextButton(t("lang.switch"), on_click=self._language),
                ft.Semantics(identifier="backend-status", content=self.backend),
            ]))))

    def show_backend(self, answers: bool) -> None:
        """Whether the backend answers: before signing in on site, the worker knows if it can work online."""
        self.backend.value = self.app.t("backend.connected" if answers else "backend.unreachable")
        self.backend.color = ft.Colors.GREEN_800 if answers else ft.Colors.RED_800

    async def _with_messages_here(self, e: ft.ControlEvent | None, call: Awaitable[bool]) -> bool:
        """Run `call` with the state's messages shown under the fields (the shell uses a snack bar).

        One at a time: a second press (or Enter) while a sign-in runs is ignored. Whatever the
        outcome, the buttons come back and the page is redrawn here: Flet skips its own redraw
        after a handler that already called `page.update()`, which left them disabled.
        """
        if self.running:
            call.close()  # never awaited: a double press
            return False
        self.running = True
        # The last error stays while the new attempt runs (the ring shows it is running): blanking
        # it first made Flet drop the next error in the browser (seen in Chromium).
        self._set_busy(True)
        page = e.page if e is not None else None
        if page is not None:
            page.update()
        try:
            with self.app.messages_to(lambda text, _error: setattr(self.error, "value", text)):
                ok = await call
            if ok:
                self.error.value = ""
            return ok
        except Exception:  # a bug, not a refusal: still a plain sentence and a usable button
            log.exception("sign-in failed unexpectedly")
            self.error.value = self.app.t("signin.failed")
            return False
        finally:
            self.running = False
            self._set_busy(False)
            if page is not None:
                page.update()

    def _set_busy(self, busy: bool) -> None:
        self.button.disabled, self.code_button.disabled, self.progress.visible = busy, busy, busy

    async def submit(self, e: ft.ControlEvent | None = None) -> bool:
        async def sign_in() -> bool:
            return (await self.app.sign_in(self.account.value or "", self.password.value or "")).ok

        ok = await self._with_messages_here(e, sign_in())
        if ok:
            await self.on_signed_in()
        return ok

    def toggle_code(self, e: ft.ControlEvent | None = None) -> None:
        by_code = not self.code_panel.visible
        self.code_panel.visible, self.password.visible, self.button.visible = by_code, not by_code, not by_code
        self.account.label = self.app.t("code.phone" if by_code else "signin.account")
        self.switch.content = self.app.t("code.to_password" if by_code else "code.forgot")
        if not by_code:
            self.app.code_flow = None
        if e is not None:
            e.page.update()

    async def send_code(self, e: ft.ControlEvent | None = None) -> bool:
        if self.running:
            return False
        ok = await self._with_messages_here(e, self.app.send_code(self.account.value or ""))
        flow = self.app.begin_code_sign_in()
        self.account.read_only = flow.phase is CodePhase.CODE_SENT
        page = e.page if e is not None else None
        while (wait := flow.seconds_until_resend()) > 0 and self.app.code_flow is flow:
            self.send.content, self.send.disabled = self.app.t("code.resend_in", n=wait), True
            if page is None:
                break  # no browser (tests): the label shows the wait once
            page.update()
            await asyncio.sleep(1)
        if flow.seconds_until_resend() == 0:
            self.send.content, self.send.disabled = self.app.t("code.resend" if flow.phase is CodePhase.CODE_SENT
                                                               else "code.send"), False
        if page is not None:
            page.update()
        return ok

    async def submit_code(self, e: ft.ControlEvent | None = None) -> bool:
        ok = await self._with_messages_here(e, self.app.sign_in_with_code(self.code.value or ""))
        if ok:
            await self.on_signed_in()
        return ok

    async def _language(self, e: ft.ControlEvent) -> None:
        self.app.switch_language()
