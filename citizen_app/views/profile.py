"""Me: name, phone, home address, emergency contacts (invitations), language, elderly mode, sign out."""

from __future__ import annotations

import flet as ft


from ..state.app import AppState
from ..routes import Screen
from ..state.profile import ProfileDraft
from ..theme import button, field, sizes, switch, text
from .contacts import ContactsSection


class ProfileView:
    def __init__(self, state: AppState) -> None:
        self.state = state
        t, elderly = state.t, state.elderly
        p = state.profile
        self.name = field(t("account.name"), elderly, value=(p.display_name if p else "") or "")
        self.phone = field(t("profile.phone"), elderly, value=(p.phone if p else "") or "",
                           keyboard_type=ft.KeyboardType.PHONE)
        self.address = field(t("profile.address"), elderly, value=(p.home_address if p else "") or "")
        self.contacts = ContactsSection(state)
        self.language = ft.SegmentedButton(
            selected=[state.locale], on_change=self.on_language,
            segments=[ft.Segment(value="zh-CN", label=ft.Text("中文", size=sizes(elderly).body)),
                      ft.Segment(value="en", label=ft.Text("English", size=sizes(elderly).body))])
        elderly_row, self.elderly = switch(t("home.elderly"), elderly, self.on_elderly, elderly=elderly)
        self.root = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
            self.name, self.phone, self.address,
            button(t("app.save"), self.save, elderly=elderly, identifier="save-profile"),
            ft.Divider(),
            self.contacts.root,
            ft.Divider(),
            text(t("app.language"), elderly, weight=ft.FontWeight.BOLD), self.language, elderly_row,
            ft.Divider(),
            button(t("account.sign_out"), self.sign_out, elderly=elderly, primary=False, icon=ft.Icons.LOGOUT,
                   identifier="sign-out"),
        ])

    def draft(self) -> ProfileDraft:
        return ProfileDraft(display_name=self.name.value or "", phone=self.phone.value or "",
                            home_address=self.address.value or "")

    async def save(self, _e=None) -> bool:
        draft = self.draft()
        problem = draft.problem()
        if problem:
            self.state.shell.show_message(self.state.t(problem), error=True)
            return False
        return await self.state.save_profile(draft.to_update())

    async def on_language(self, _e=None) -> None:
        await self.state.set_locale((self.language.selected or ["zh-CN"])[0])

    async def on_elderly(self, _e=None) -> None:
        await self.state.set_elderly(bool(self.elderly.value))

    async def sign_out(self, _e=None) -> None:
        await self.state.sign_out()


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = ProfileView(state)
    return Screen(content=view.root, show=view.contacts.load)
