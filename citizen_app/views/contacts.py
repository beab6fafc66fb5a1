"""Emergency contacts in 我的: invitations to me (accept / decline), whom I follow, my contacts with
their state (等待对方确认 / 已接受 / 已拒绝) and an end button, and the invite form."""

from __future__ import annotations

import flet as ft

from shared.models import ContactStatus

from ..state.app import AppState
from ..state.contacts import STATUS_KEYS, ContactForm, ContactsModel
from ..theme import button, field, text

_STATUS_COLOURS = {ContactStatus.PENDING: ft.Colors.ORANGE_900, ContactStatus.ACCEPTED: ft.Colors.GREEN_800,
                   ContactStatus.DECLINED: ft.Colors.RED_800}


class ContactsSection:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.model = ContactsModel(state)
        t, elderly = state.t, state.elderly
        self.name = field(t("profile.contact_name"), elderly)
        self.phone = field(t("profile.contact_phone"), elderly, keyboard_type=ft.KeyboardType.PHONE)
        self.relation = field(t("profile.contact_relation"), elderly)
        self.incoming = ft.Column(spacing=8)
        self.mine = ft.Column(spacing=8)
        self.root = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
            self.incoming,
            text(t("profile.contacts"), elderly, weight=ft.FontWeight.BOLD),
            text(t("contacts.note"), elderly, small=True, muted=True),
            self.mine, self.name, self.phone, self.relation,
            button(t("contacts.invite"), self.invite, elderly=elderly, primary=False, icon=ft.Icons.PERSON_ADD,
                   identifier="invite-contact"),
        ])

    async def load(self) -> None:
        await self.model.load()
        self.show()

    def show(self) -> None:
        t, elderly = self.state.t, self.state.elderly
        incoming: list[ft.Control] = []
        if self.model.pending_for_me:
            incoming.append(text(t("contacts.incoming"), elderly, weight=ft.FontWeight.BOLD))
        for inv in self.model.pending_for_me:
            incoming.append(ft.Semantics(identifier=f"invitation-{inv.id}", content=ft.Container(
                padding=12, border=ft.Border.all(2, ft.Colors.ORANGE_800), border_radius=12,
                content=ft.Column(spacing=8, controls=[
                    text(t("contacts.invitation", name=inv.inviter_name), elderly),
                    ft.Row(wrap=True, controls=[
                        button(t("contacts.accept"), self._answer(str(inv.id), True), elderly=elderly,
                               icon=ft.Icons.CHECK, identifier=f"accept-{inv.id}"),
                        button(t("contacts.decline"), self._answer(str(inv.id), False), elderly=elderly,
                               primary=False, identifier=f"decline-{inv.id}")])]))))
        if self.model.i_follow:
            incoming.append(text(t("contacts.i_follow"), elderly, weight=ft.FontWeight.BOLD))
        for inv in self.model.i_follow:
            incoming.append(ft.Row(wrap=True, controls=[
                text(inv.inviter_name, elderly),
                button(t("contacts.end"), self._end(str(inv.id)), elderly=elderly, primary=False,
                       identifier=f"end-follow-{inv.id}")]))
        self.incoming.controls = incoming
        rows: list[ft.Control] = []
        for c in self.model.mine:
            who = " · ".join(part for part in (c.name, c.relation, c.phone) if part)
            rows.append(ft.Semantics(identifier=f"contact-{c.id}", content=ft.Row(wrap=True, controls=[
                text(who, elderly),
                text(t(STATUS_KEYS[c.status]), elderly, small=True, color=_STATUS_COLOURS.get(c.status)),
                button(t("contacts.end"), self._end(str(c.id)), elderly=elderly, primary=False,
                       identifier=f"end-contact-{c.id}")])))
        self.mine.controls = rows or [text(t("contacts.none"), elderly, muted=True)]

    def form(self) -> ContactForm:
        return ContactForm(name=self.name.value or "", phone=self.phone.value or "", relation=self.relation.value or "")

    async def invite(self, _e=None) -> bool:
        if not await self.model.invite(self.form()):
            return False
        self.name.value = self.phone.value = self.relation.value = ""
        self.show()
        return True

    def _answer(self, invitation_id: str, accept: bool):
        async def handler(_e=None) -> None:
            await self.model.answer(invitation_id, accept)
            self.show()
        return handler

    def _end(self, invitation_id: str):
        async def handler(_e=None) -> None:
            await self.model.end(invitation_id)
            self.show()
        return handler
