"""Residents: the elderly people living alone in my grids, their contacts (tel: links) and last visit; log a visit."""

from __future__ import annotations

import flet as ft

from shared.care import CareSubjectPublic
from shared.care_chart import tel_url
from shared.ui import Screen

from ..state.app import AppState
from ..state.care import ResidentsState, care_translator, days_since
from ..components.refresh import update_if_shown
from ..theme import MUTED
from .care_alerts import open_url


def build(app: AppState, params: dict[str, str]) -> Screen:
    screen = ResidentsScreen(app)
    return Screen(content=screen.root, show=screen.show)


class ResidentsScreen:
    def __init__(self, app: AppState, state: ResidentsState | None = None) -> None:
        self.app = app
        self.state = state or ResidentsState(app)
        self.column = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=10)
        self.root = ft.Semantics(identifier="residents", content=ft.Container(expand=True, padding=16,
                                                                             content=self.column))

    async def show(self) -> None:
        await self.state.load()
        self.draw()

    def draw(self) -> None:
        t = care_translator(self.app)
        cards = [self._card(r) for r in self.state.residents]
        self.column.controls = [ft.Text(t("residents.title"), size=22, weight=ft.FontWeight.BOLD),
                                *(cards or [ft.Text(t("residents.none"), color=MUTED)])]
        update_if_shown(self.column)

    def last_visit_text(self, r: CareSubjectPublic) -> str:
        t = care_translator(self.app)
        days = days_since(r.last_visit_at)
        if days is None:
            return t("residents.never")
        return t("residents.last_visit", when=t("residents.today") if days == 0 else t("residents.days_ago", n=days))

    def _card(self, r: CareSubjectPublic) -> ft.Control:
        t = care_translator(self.app)
        phones = [(r.name, r.phone, "")] + [(c.name, c.phone, c.relation) for c in r.family_contacts]
        calls = []
        for name, phone, relation in phones:
            url = tel_url(phone)
            if url:
                calls.append(ft.TextButton(f"{name}{'（' + relation + '）' if relation else ''} {phone}",
                                           icon=ft.Icons.PHONE, on_click=self._dialer(url)))
        return ft.Semantics(identifier=f"resident-{r.id}", content=ft.Container(
            padding=12, border_radius=8, bgcolor=ft.Colors.GREY_50, content=ft.Column(tight=True, spacing=4, controls=[
                ft.Row([ft.Icon(ft.Icons.ELDERLY), ft.Text(r.name, size=18, weight=ft.FontWeight.BOLD),
                        ft.Container(expand=True),
                        ft.Semantics(identifier=f"resident-visit-{r.id}", content=ft.FilledTonalButton(
                            t("residents.log_visit"), icon=ft.Icons.HOW_TO_REG,
                            on_click=self._visitor(str(r.id))))]),
                ft.Text(t("residents.address", address=r.address or "—"), color=MUTED),
                ft.Text(self.last_visit_text(r)),
                ft.Row(calls, wrap=True)])))

    def _dialer(self, url: str):
        async def call(e: ft.ControlEvent) -> None:
            await open_url(url)
        return call

    def _visitor(self, subject_id: str):
        async def visit(e: ft.ControlEvent) -> None:
            if await self.state.log_visit(subject_id):
                self.draw()
        return visit
