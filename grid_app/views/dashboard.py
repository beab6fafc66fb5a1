"""Dashboard: open, overdue, resolved today, average handling time, by category and by grid (7 / 30 days),
and a map of open cases; from the reports the person may see (shared.dashboard)."""

from __future__ import annotations

import flet as ft

from shared.dashboard import Dashboard, bar_series, summarise
from shared.taxonomy import default_taxonomy
from shared.ui import Screen

from ..components.charts import bar_chart
from ..state.app import AppState
from ..components.map_view import Point, map_of
from ..components.refresh import update_if_shown
from ..theme import MUTED, OVERDUE


def build(app: AppState, params: dict[str, str]) -> Screen:
    screen = DashboardScreen(app)
    return Screen(content=screen.root, show=screen.show)


class DashboardScreen:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.days = 7
        self.reports = []
        self.grid_names: dict[str, str] = {}
        self.column = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=14)
        self.root = ft.Semantics(identifier="dashboard", content=ft.Container(expand=True, padding=16,
                                                                               content=self.column))

    async def show(self) -> None:
        client = self.app.client
        done = await self.app.run(client.worker.visible_reports(30))
        if done.ok:
            self.reports = done.value
        if not self.grid_names:
            grids = await self.app.run(client.reference.areas("grid"))
            if grids.ok:
                self.grid_names = {str(g.id): self.app.t.pick(g.name_zh, g.name_en) for g in grids.value}
        self.draw()

    def figures(self) -> Dashboard:
        return summarise(self.reports, self.days)

    def draw(self) -> None:
        t, d = self.app.t, self.figures()
        avg = t("dash.hours", n=d.avg_handling_hours) if d.avg_handling_hours is not None else t("dash.none")
        tiles = [("dash.open", str(d.open), None), ("dash.overdue", str(d.overdue), OVERDUE),
                 ("dash.resolved_today", str(d.resolved_today), None), ("dash.avg", avg, None)]
        taxonomy = default_taxonomy()

        def cat(code: str) -> str:
            c = taxonomy.get(code)
            return t.pick(c.name_zh, c.name_en) if c else code

        self.column.controls = [
            ft.Row([ft.Text(t("dash.title"), size=22, weight=ft.FontWeight.BOLD), ft.Container(expand=True),
                    ft.SegmentedButton(selected=[str(self.days)], on_change=self._days, segments=[
                        ft.Segment(value="7", label=ft.Text(t("dash.days", n=7))),
                        ft.Segment(value="30", label=ft.Text(t("dash.days", n=30)))])]),
            ft.Row(wrap=True, spacing=12, controls=[self._tile(t(k), v, c) for k, v, c in tiles]),
            ft.Row(vertical_alignment=ft.CrossAxisAlignment.START, wrap=True, spacing=24, controls=[
                self._bars("dashboard-by-category", t("dash.by_category"),
                           [(cat(c), n) for c, n in d.by_category]),
                self._bars("dashboard-by-grid", t("dash.by_grid"),
                           [(self.grid_names.get(g, g) if g else t("dash.outside"), n) for g, n in d.by_grid]),
                ft.Column(tight=True, controls=[ft.Text(t("dash.map"), weight=ft.FontWeight.BOLD),
                                                map_of([Point(p.lat, p.lon, p.overdue) for p in d.open_points], t, grids=self.app.grids,
                                                       height=260, zoom=14)]),
            ]),
        ]
        update_if_shown(self.column)

    @staticmethod
    def _tile(label: str, value: str, colour) -> ft.Control:
        return ft.Card(content=ft.Container(width=200, padding=16, content=ft.Column(tight=True, controls=[
            ft.Text(label, color=MUTED), ft.Text(value, size=30, weight=ft.FontWeight.BOLD, color=colour)])))

    def _bars(self, identifier: str, title: str, rows: list[tuple[str, int]]) -> ft.Control:
        chart = (bar_chart(bar_series(rows), self.app.t("dash.axis.reports"), width=440, height=260) if rows
                 else ft.Text("—", color=MUTED))
        return ft.Column(tight=True, spacing=6, controls=[
            ft.Text(title, weight=ft.FontWeight.BOLD), ft.Semantics(identifier=identifier, content=chart)])

    async def _days(self, e: ft.ControlEvent) -> None:
        picked = e.control.selected
        self.days = int(picked[0]) if picked else 7
        self.draw()
