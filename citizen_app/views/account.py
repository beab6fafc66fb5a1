"""Sign in and sign up: phone or e-mail and a password. The work is in AppState.sign_in / sign_up."""

from __future__ import annotations

import flet as ft

from ..app_state import AppState
from ..routes import Screen
from ..theme import BRAND, button, field, text


class AccountForm:
    def __init__(self, state: AppState, *, sign_up: bool) -> None:
        self.state = state
        self.is_sign_up = sign_up
        t, elderly = state.t, state.elderly
        self.identifier = field(t("account.identifier"), elderly, keyboard_type=ft.KeyboardType.EMAIL,
                                autofocus=True)
        self.password = field(t("account.password"), elderly, password=True, on_submit=self.submit)
        self.name = field(t("account.name"), elderly, visible=sign_up)
        other = "/sign-in" if sign_up else "/sign-up"
        self.root = ft.Column(spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
            ft.Container(height=24),
            ft.Icon(ft.Icons.LOCATION_CITY, size=56, color=BRAND),
            ft.Semantics(identifier="app-title", content=text(t("app.title"), elderly, title=True)),
            text(t("account.tagline"), elderly, muted=True),
            self.name, self.identifier, self.password,
            button(t("account.sign_up" if sign_up else "account.sign_in"), self.submit, elderly=elderly,
                   identifier="account-submit"),
            ft.TextButton(t("account.to_sign_in" if sign_up else "account.to_sign_up"),
                          on_click=lambda _e: state.page.run_task(state.shell.go, other)),
            ft.TextButton(t("app.language"), on_click=self.switch_language),
        ])

    async def submit(self, _e=None) -> bool:
        identifier, password = self.identifier.value or "", self.password.value or ""
        if self.is_sign_up:
            ok = await self.state.sign_up(identifier, password, self.name.value or "")
        else:
            ok = await self.state.sign_in(identifier, password)
        if ok:
            await self.state.shell.go("/")
        return ok

    async def switch_language(self, _e=None) -> None:
        await self.state.set_locale("en" if self.state.locale != "en" else "zh-CN")


def build_sign_in(state: AppState, params: dict[str, str]) -> Screen:
    form = AccountForm(state, sign_up=False)
    return Screen(content=form.root, show_back=False, speak=lambda: state.t("account.sign_in"))


def build_sign_up(state: AppState, params: dict[str, str]) -> Screen:
    form = AccountForm(state, sign_up=True)
    return Screen(content=form.root, title=state.t("account.sign_up"), show_back=False)
