"""Sign in and sign up: phone or e-mail and a password, or a code sent by SMS.

The work is in AppState.sign_in / sign_up / send_code / verify_code (shared/code_flow.py).
"""

from __future__ import annotations

import asyncio
import logging

import flet as ft

from shared.code_flow import CodePhase, CodePurpose
from shared.single_flight import SingleFlight

from ..state.app import AppState
from ..routes import Screen
from ..theme import BRAND, button, field, text

log = logging.getLogger(__name__)


class AccountForm:
    def __init__(self, state: AppState, *, sign_up: bool) -> None:
        self.state = state
        self.is_sign_up = sign_up
        t, elderly = state.t, state.elderly
        self.identifier = field(t("account.identifier"), elderly, keyboard_type=ft.KeyboardType.EMAIL,
                                autofocus=True)
        self.password = field(t("account.password"), elderly, password=True, on_submit=self.submit)
        self.name = field(t("account.name"), elderly, visible=sign_up)
        self.once = SingleFlight()
        submit = button(t("account.sign_up" if sign_up else "account.sign_in"), self.submit, elderly=elderly,
                        identifier="account-submit")
        self.submit_button = submit.content  # the button inside its Semantics wrapper
        other = "/sign-in" if sign_up else "/sign-up"
        self.root = ft.Column(spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
            ft.Container(height=24),
            ft.Icon(ft.Icons.LOCATION_CITY, size=56, color=BRAND),
            ft.Semantics(identifier="app-title", content=text(t("app.title"), elderly, title=True)),
            text(t("account.tagline"), elderly, muted=True),
            self.name, self.identifier, self.password,
            submit,
            ft.TextButton(t("account.to_sign_in" if sign_up else "account.to_sign_up"),
                          on_click=lambda _e: state.page.run_task(state.shell.go, other)),
            ft.Semantics(identifier="account-code", visible=not sign_up, content=ft.TextButton(
                t("code.forgot"), on_click=lambda _e: state.page.run_task(state.shell.go, "/sign-in/code"))),
            ft.TextButton(t("app.language"), on_click=self.switch_language),
        ])

    async def submit(self, _e=None) -> bool:
        """Sign in or up; a second press while one runs is ignored (its error would land on the next screen)."""
        return await self.once.run(self._submit, ignored=False)

    async def _submit(self) -> bool:
        identifier, password = self.identifier.value or "", self.password.value or ""
        self.submit_button.disabled = True
        self.state.shell.updated()
        try:
            if self.is_sign_up:
                ok = await self.state.sign_up(identifier, password, self.name.value or "")
            else:
                ok = await self.state.sign_in(identifier, password)
        except Exception as exc:  # a bug, not a refusal: still a plain sentence and a usable button
            log.exception("sign-in failed unexpectedly")
            self.state.shell.show_message(self.state.error_text(exc), error=True)
            ok = False
        finally:
            self.submit_button.disabled = False
            self.state.shell.updated()
        if ok:
            # A phone sign-up waits for its SMS code on the code screen.
            await self.state.shell.go("/sign-in/code" if self.state.code_flow else "/")
        return ok

    async def switch_language(self, _e=None) -> None:
        await self.state.set_locale("en" if self.state.locale != "en" else "zh-CN")


class CodeForm:
    """Phone number, "send me a code" with its countdown, the code, sign in."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.flow = state.begin_code_sign_in()
        self.once = SingleFlight()
        t, elderly = state.t, state.elderly
        sign_up = self.flow.purpose is CodePurpose.SIGN_UP
        self.phone = field(t("code.phone"), elderly, keyboard_type=ft.KeyboardType.PHONE, value=self.flow.phone,
                           autofocus=not self.flow.phone, read_only=self.flow.phase is CodePhase.CODE_SENT)
        self.code = field(t("code.code"), elderly, keyboard_type=ft.KeyboardType.NUMBER, max_length=6,
                          autofocus=bool(self.flow.phone), on_submit=self.submit)
        self.resend = ft.TextButton(self._resend_label(), on_click=self.send,
                                    disabled=self.flow.seconds_until_resend() > 0)
        hint = t("code.confirm_hint", phone=self.flow.phone) if sign_up else t("account.tagline")
        self.title = t("code.confirm_title" if sign_up else "code.title")
        self.root = ft.Column(spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
            ft.Container(height=24),
            ft.Icon(ft.Icons.SMS, size=56, color=BRAND),
            ft.Semantics(identifier="app-title", content=text(self.title, elderly, title=True)),
            text(hint, elderly, muted=True),
            self.phone,
            ft.Semantics(identifier="code-send", content=self.resend),
            self.code,
            button(t("code.confirm" if sign_up else "code.submit"), self.submit, elderly=elderly,
                   identifier="code-submit"),
            ft.TextButton(t("code.to_password"), on_click=self.to_password),
        ])
        if self.flow.seconds_until_resend() > 0:
            state.page.run_task(self._count_down)

    def _resend_label(self) -> str:
        t, wait = self.state.t, self.flow.seconds_until_resend()
        if wait > 0:
            return t("code.resend_in", n=wait)
        return t("code.resend" if self.flow.phase is CodePhase.CODE_SENT else "code.send")

    async def _count_down(self) -> None:
        """Redraw the resend button each second until it may be pressed again."""
        while True:
            wait = self.flow.seconds_until_resend()
            self.resend.content, self.resend.disabled = self._resend_label(), wait > 0
            self.state.shell.updated()
            if wait <= 0 or self.state.code_flow is not self.flow:
                return
            await asyncio.sleep(1)

    async def send(self, _e=None) -> bool:
        ok = await self.state.send_code(self.phone.value or "")
        self.phone.read_only = self.flow.phase is CodePhase.CODE_SENT
        self.state.page.run_task(self._count_down)
        return ok

    async def submit(self, _e=None) -> bool:
        return await self.once.run(self._submit, ignored=False)

    async def _submit(self) -> bool:
        ok = await self.state.verify_code(self.code.value or "")
        if ok:
            await self.state.shell.go("/")
        return ok

    async def to_password(self, _e=None) -> None:
        self.state.code_flow = None
        await self.state.shell.go("/sign-in")


def build_sign_in_code(state: AppState, params: dict[str, str]) -> Screen:
    form = CodeForm(state)
    return Screen(content=form.root, show_back=False, speak=lambda: form.title)


def build_sign_in(state: AppState, params: dict[str, str]) -> Screen:
    form = AccountForm(state, sign_up=False)
    return Screen(content=form.root, show_back=False, speak=lambda: state.t("account.sign_in"))


def build_sign_up(state: AppState, params: dict[str, str]) -> Screen:
    form = AccountForm(state, sign_up=True)
    return Screen(content=form.root, title=state.t("account.sign_up"), show_back=False)
