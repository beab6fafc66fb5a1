"""My cases: filters (open / done / all), the reports waiting in the outbox, live status chips,
then the cases I follow (someone else's reports: status only, opened in followed_case.py)."""

from __future__ import annotations

import flet as ft

from shared.models import FollowedReportPublic
from shared.taxonomy import default_taxonomy

from ..app_state import AppState
from ..routes import Screen
from ..state.cases import CaseList, filter_reports
from ..state.followed import FollowedList
from ..theme import button, sizes, tabs, text
from .home import case_tile, status_chip
from .load_error import load_error


class CasesView:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.cases = CaseList(state)
        self.followed = FollowedList(state)
        t = state.t
        self.tabs = tabs([(v, t(f"cases.filter_{v}")) for v in ("open", "done", "all")], "open",
                         elderly=state.elderly, on_change=self.on_filter)
        self.waiting = ft.Column(spacing=8)
        self.list = ft.Column(spacing=8)
        self.following = ft.Column(spacing=8)
        self.root = ft.Column(spacing=12, controls=[ft.Semantics(identifier="case-filter", content=self.tabs),
                                                    self.waiting, self.list, self.following])

    async def on_filter(self, _e=None) -> None:
        self.cases.filter = (self.tabs.selected or ["open"])[0]
        self.show()

    def show(self) -> None:
        t, elderly = self.state.t, self.state.elderly
        taxonomy = default_taxonomy()
        rows = []
        for entry in self.cases.waiting:
            category = taxonomy.get(entry.report.category_code)
            name = t.pick(category.name_zh, category.name_en) if category else entry.report.category_code
            why = entry.error(self.state.locale)
            status = t("cases.failed", why=why) if why else t("cases.waiting")
            rows.append(ft.Semantics(identifier=f"waiting-{entry.report.id}", content=ft.Container(
                padding=12, border=ft.Border.all(2, ft.Colors.ORANGE_800), border_radius=12,
                content=ft.Column([text(name, elderly, weight=ft.FontWeight.BOLD),
                                   text(status, elderly, small=True, color=ft.Colors.ORANGE_900)]))))
        if rows:
            rows.append(button(t("cases.send_now"), self.send_now, elderly=elderly, primary=False,
                               icon=ft.Icons.SEND, identifier="send-now"))
        self.waiting.controls = rows
        shown = self.cases.shown
        tiles = [case_tile(self.state, r) for r in shown]
        if self.cases.failed or self.followed.failed:  # what is known stays below the notice
            self.list.controls = [load_error(self.state, self.load, identifier="cases-load-error"), *tiles]
        else:
            self.list.controls = tiles or [text(t("cases.empty"), elderly, muted=True)]
        followed = filter_reports(self.followed.cases, self.cases.filter)
        self.following.controls = ([text(t("followed.section"), elderly, title=True)]
                                   + [followed_tile(self.state, c) for c in followed]) if followed else []

    async def send_now(self, _e=None) -> None:
        self.state.shell.set_busy(self.state.t("report.submitting"))
        try:
            await self.state.flush_outbox()
        finally:
            self.state.shell.set_busy(None)
        await self.load()

    async def load(self) -> None:
        await self.cases.load()
        await self.followed.load()
        self.show()
        self.state.shell.updated()  # also when called from the retry button

    def on_change(self, change) -> None:
        if change is None or not self.cases.apply(change):
            self.state.page.run_task(self.load)
        else:
            self.show()


def followed_tile(state: AppState, case: FollowedReportPublic) -> ft.Control:
    """A case I follow: its category and status, nothing of its content."""
    s = sizes(state.elderly)
    category = default_taxonomy().get(case.category_code)
    name = state.t.pick(category.name_zh, category.name_en) if category else case.category_code
    tile = ft.Container(
        on_click=lambda _e: state.page.run_task(state.shell.go, f"/followed/{case.id}"),
        padding=12, border=ft.Border.all(1, ft.Colors.GREY_400), border_radius=12, ink=True,
        content=ft.Column(spacing=4, controls=[
            ft.Row([ft.Text(name, size=s.body, weight=ft.FontWeight.BOLD, expand=True), status_chip(state, case.status)]),
            ft.Text(state.t("followed.badge"), size=s.small, color=ft.Colors.GREY_800),
        ]))
    return ft.Semantics(identifier=f"followed-{case.id}", content=tile, button=True)


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = CasesView(state)
    state.report_listeners.append(view.on_change)
    return Screen(content=view.root, load=view.load, dispose=lambda: state.report_listeners.remove(view.on_change))
