"""My cases: filters (open / done / all), the reports waiting in the outbox, live status chips."""

from __future__ import annotations

import flet as ft

from shared.taxonomy import default_taxonomy

from ..app_state import AppState
from ..routes import Screen
from ..state.cases import CaseList
from ..theme import button, tabs, text
from .home import case_tile


class CasesView:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.cases = CaseList(state)
        t = state.t
        self.tabs = tabs([(v, t(f"cases.filter_{v}")) for v in ("open", "done", "all")], "open",
                         elderly=state.elderly, on_change=self.on_filter)
        self.waiting = ft.Column(spacing=8)
        self.list = ft.Column(spacing=8)
        self.root = ft.Column(spacing=12, controls=[ft.Semantics(identifier="case-filter", content=self.tabs),
                                                    self.waiting, self.list])

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
            status = t("cases.failed", why=entry.last_error) if entry.last_error else t("cases.waiting")
            rows.append(ft.Semantics(identifier=f"waiting-{entry.report.id}", content=ft.Container(
                padding=12, border=ft.Border.all(2, ft.Colors.ORANGE_800), border_radius=12,
                content=ft.Column([text(name, elderly, weight=ft.FontWeight.BOLD),
                                   text(status, elderly, small=True, color=ft.Colors.ORANGE_900)]))))
        if rows:
            rows.append(button(t("cases.send_now"), self.send_now, elderly=elderly, primary=False,
                               icon=ft.Icons.SEND, identifier="send-now"))
        self.waiting.controls = rows
        shown = self.cases.shown
        self.list.controls = [case_tile(self.state, r) for r in shown] or [text(t("cases.empty"), elderly, muted=True)]

    async def send_now(self, _e=None) -> None:
        self.state.shell.set_busy(self.state.t("report.submitting"))
        try:
            await self.state.flush_outbox()
        finally:
            self.state.shell.set_busy(None)
        await self.load()

    async def load(self) -> None:
        await self.cases.load()
        self.show()

    def on_change(self, change) -> None:
        if change is None or not self.cases.apply(change):
            self.state.page.run_task(self.load)
        else:
            self.show()


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = CasesView(state)
    state.report_listeners.append(view.on_change)
    return Screen(content=view.root, load=view.load, dispose=lambda: state.report_listeners.remove(view.on_change))
