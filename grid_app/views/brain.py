"""/brain, the city brain (一屏观全城): the caller's whole area live, for supervisors and admins.

Counters (today's intake by source, open, overdue, SOS, care alerts, hotspots), a map of the
grids coloured by open cases, a ticker of case steps as they happen, a 14-day trend chart and
the performance table, worst first. Data and live updates are `shared.brain.BrainBoard`'s; the
screen only draws them. Laid out for 1920x1080 and 1280x800.
"""

from __future__ import annotations

import logging
from functools import partial

import flet as ft
import flet_charts as fc

from shared.brain import GROUPS, PERIODS, BrainBoard, CitySummary, HotspotMember, HotspotPublic, PerformanceRow, TickerEvent, TrendDay
from shared.geo import localized_address
from shared.localtime import local_text
from shared.status import status_label
from shared.taxonomy import default_taxonomy
from shared.ui import Screen

from ..components.dialog import close_dialog
from ..components.load_map import load_map
from ..components.refresh import update_if_shown
from ..state.app import AppState
from ..theme import MUTED, OVERDUE

log = logging.getLogger(__name__)
SOS_RED = ft.Colors.RED_700
RECEIVED = ft.Colors.INDIGO_400
RESOLVED = ft.Colors.TEAL_500


def build(app: AppState, params: dict[str, str]) -> Screen:
    screen = BrainScreen(app)
    return Screen(content=screen.root, show=screen.show, hide=screen.hide)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class BrainScreen:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.board = BrainBoard(app.client.brain, self.redraw)
        self.shown = False
        self._drawn_loads: tuple = ()
        self.tiles = ft.Row(wrap=True, spacing=12, run_spacing=12)
        self.map_box = ft.Container(expand=2)
        self.trend_box = ft.Container(expand=2)
        self.ticker = ft.ListView(spacing=2, height=300)
        self.table_box = ft.Column(spacing=8)
        self.hotspot_box = ft.Column(spacing=4)
        self.live_dot = ft.Text("", size=13, color=MUTED)
        t = app.t
        self.grouping = ft.SegmentedButton(
            selected=[self.board.group_by], on_change=self._group,
            segments=[ft.Segment(value=g, label=ft.Text(t(f"brain.by.{g}"))) for g in GROUPS])
        self.periods = ft.SegmentedButton(
            selected=[self.board.period], on_change=self._period,
            segments=[ft.Segment(value=p, label=ft.Text(t(f"brain.period.{p}"))) for p in PERIODS])
        self.period_text = ft.Text("", color=MUTED)
        exports = [ft.Semantics(identifier=f"brain-export-{fmt}", content=ft.OutlinedButton(
            t(f"brain.export_{fmt}"), icon=ft.Icons.DOWNLOAD, on_click=partial(self._export, fmt)))
            for fmt in ("xlsx", "csv")]
        header = ft.Row([ft.Text(t("brain.title"), size=24, weight=ft.FontWeight.BOLD),
                         ft.Text(t("brain.scope", scope=app.role_label()), color=MUTED),
                         ft.Container(expand=True), self.live_dot])
        self.column = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=16, controls=[
            header, self.tiles,
            ft.Row(vertical_alignment=ft.CrossAxisAlignment.START, spacing=16, controls=[
                self._panel(t("brain.map"), self.map_box, expand=3),
                self._panel(t("brain.trend"), self.trend_box, expand=3),
                self._panel(t("brain.ticker"), self.ticker, expand=2, key="brain-ticker")]),
            self._panel(t("brain.performance"), ft.Column(spacing=8, controls=[
                ft.Row(spacing=12, controls=[self.periods, self.period_text, ft.Container(expand=True), *exports]),
                self.grouping,
                self.table_box])),
            self._panel(t("brain.hotspots"), self.hotspot_box),
        ])
        self.root = ft.Semantics(identifier="brain", content=ft.Container(expand=True, padding=16, content=self.column))

    # ------------------------------------------------------------ lifecycle

    async def show(self) -> None:
        self.shown = True
        done = await self.app.run(self.board.load())
        if not done.ok:
            return
        live = await self.app.run(self.board.start_live(), busy=None, quiet=True)
        self._draw_live("brain.live" if live.ok else "brain.not_live")

    def _draw_live(self, key: str) -> None:
        self.live_dot.value = self.app.t(key)
        self.live_dot.color = RESOLVED if key == "brain.live" else OVERDUE
        update_if_shown(self.live_dot)

    def hide(self) -> None:
        self.shown = False
        self.app.live.spawn(self.board.stop())

    async def _group(self, e: ft.Event) -> None:
        chosen = next(iter(e.control.selected or []), self.board.group_by)
        await self.app.run(self.board.set_grouping(chosen))

    async def _period(self, e: ft.Event) -> None:
        chosen = next(iter(e.control.selected or []), self.board.period)
        await self.app.run(self.board.set_period(chosen))

    async def _export(self, fmt: str, _e=None) -> None:
        # The rows on screen (the person's own scope, period and grouping), written as the CLI writes them.
        name, data = self.board.export(fmt)
        try:
            await ft.FilePicker().save_file(file_name=name, src_bytes=data, allowed_extensions=[fmt],
                                            file_type=ft.FilePickerFileType.CUSTOM)
        except Exception:  # noqa: BLE001 - a platform without a save dialog: say so plainly
            log.exception("performance export not saved")
            self.app.say(self.app.t("brain.export_failed"), error=True)
            return
        self.app.say(self.app.t("brain.exported", n=len(self.board.performance)))

    async def _merge(self, hotspot: HotspotPublic, _e=None) -> None:
        t = self.app.t

        async def confirmed(_e) -> None:
            if close_dialog(dialog):  # through itself: the hotspot list may be redrawn meanwhile
                await self.app.run(self.board.merge_hotspot(hotspot.id), success=t("brain.merged_done"))

        dialog = ft.AlertDialog(
            modal=True, title=ft.Text(t("brain.merge_title")),
            content=ft.Text(t("brain.merge_body", n=hotspot.open_count), width=420),
            actions=[ft.TextButton(t("cancel"), on_click=lambda _e: close_dialog(dialog)),
                     ft.Semantics(identifier="brain-merge-confirm",
                                  content=ft.FilledButton(t("brain.hotspot_merge"), on_click=confirmed))])
        self.app.page.show_dialog(dialog)

    async def _members(self, hotspot: HotspotPublic, _e=None) -> None:
        t = self.app.t
        got = await self.app.run(self.board.hotspot_members(hotspot))
        if not got.ok:
            return
        rows = ft.Column(tight=True, spacing=6, scroll=ft.ScrollMode.AUTO, height=360, width=520)

        async def split(member: HotspotMember, _e=None) -> None:
            if (await self.app.run(self.board.split_member(member.id), success=t("brain.split_done"))).ok:
                close_dialog(dialog)

        def row(m: HotspotMember) -> ft.Control:
            parent = any(other.parent_report_id == m.id for other in got.value)
            can_split = hotspot.parent_report_id is not None and not parent
            return ft.Container(padding=8, border_radius=8, bgcolor=ft.Colors.BLUE_GREY_50, content=ft.Row(
                spacing=8, vertical_alignment=ft.CrossAxisAlignment.START, controls=[
                    ft.Column(tight=True, spacing=2, expand=True, controls=[
                        ft.Row(spacing=8, controls=[
                            ft.Text(m.case_number or "", weight=ft.FontWeight.BOLD),
                            ft.Text(status_label(m.status, t.locale), color=MUTED),
                            ft.Text(t("brain.member_parent"), color=OVERDUE) if parent else ft.Container()]),
                        ft.Text(m.description, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS)]),
                    ft.Semantics(identifier=f"brain-split-{m.case_number}", content=ft.TextButton(
                        t("brain.split"), on_click=partial(split, m))) if can_split else ft.Container()]))

        rows.controls = [row(m) for m in got.value]
        dialog = ft.AlertDialog(title=ft.Text(t("brain.members_title")), content=rows,
                                actions=[ft.TextButton(t("close"), on_click=lambda _e: close_dialog(dialog))])
        self.app.page.show_dialog(dialog)

    # ------------------------------------------------------------ drawing

    def redraw(self, parts: frozenset[str] = BrainBoard.ALL) -> None:
        """Redraw only what changed: a new ticker row must not resend the map and the table."""
        if not self.shown:
            return
        b, t = self.board, self.app.t
        changed: list[ft.Control] = []
        if "live" in parts and b.subscription is not None:
            self._draw_live("brain.live" if b.live else "brain.reconnecting")
        if "summary" in parts:
            self.tiles.controls = self._tiles(b.summary)
            changed.append(self.tiles)
            loads = tuple((str(g.grid_id), g.open, g.overdue) for g in b.summary.grids)
            if loads != self._drawn_loads:
                self._drawn_loads = loads
                self.map_box.content = load_map(b.summary.grids, self.app.grids, t, height=300)
                changed.append(self.map_box)
        if "trend" in parts:
            self.trend_box.content = self._trend(b.trend)
            changed.append(self.trend_box)
        if "ticker" in parts:
            self.ticker.controls = [self._ticker_row(e) for e in b.ticker] or [
                ft.Text(t("brain.ticker_empty"), color=MUTED)]
            changed.append(self.ticker)
        if "performance" in parts:
            self.period_text.value = t("brain.period", start=b.from_date.isoformat(), end=b.to_date.isoformat())
            self.table_box.controls = [self._table(b.performance)]
            changed.extend([self.period_text, self.table_box])
        if "hotspots" in parts:
            self.hotspot_box.controls = [self._hotspot_row(h) for h in b.hotspots[:8]] or [
                ft.Text(t("brain.no_hotspots"), color=MUTED)]
            changed.append(self.hotspot_box)
        for control in changed:
            update_if_shown(control)

    def _panel(self, title: str, body: ft.Control, *, expand: int | None = None, key: str | None = None) -> ft.Control:
        column = ft.Column(tight=True, spacing=8, controls=[ft.Text(title, weight=ft.FontWeight.BOLD, size=16), body])
        return ft.Container(expand=expand, padding=12, border_radius=10, bgcolor=ft.Colors.WHITE,
                            border=ft.Border.all(1, ft.Colors.BLUE_GREY_100),
                            content=ft.Semantics(identifier=key, content=column) if key else column)

    def _tiles(self, s: CitySummary) -> list[ft.Control]:
        t = self.app.t
        sources = "  ".join(f"{t('brain.source.' + k)} {n}" for k, n in sorted(s.received_today_by_source.items()))
        hotspots = "—" if s.hotspots_open is None else str(s.hotspots_open)
        return [
            self._tile("tile-received", t("brain.received_today"), str(s.received_today), sources or t("brain.none_yet")),
            self._tile("tile-resolved", t("brain.resolved_today"), str(s.resolved_today)),
            self._tile("tile-open", t("brain.open"), str(s.open)),
            self._tile("tile-overdue", t("brain.overdue"), str(s.overdue), alert=s.overdue > 0),
            self._tile("tile-sos", t("brain.sos_open"), str(s.sos_open), alert=s.sos_open > 0, solid=s.sos_open > 0),
            self._tile("tile-care", t("brain.care_open"), str(s.care_alerts_open), alert=s.care_alerts_open > 0),
            self._tile("tile-hotspots", t("brain.hotspots_open"), hotspots),
        ]

    @staticmethod
    def _tile(key: str, label: str, value: str, note: str = "", *, alert: bool = False,
              solid: bool = False) -> ft.Control:
        ink = ft.Colors.WHITE if solid else (OVERDUE if alert else None)
        return ft.Semantics(identifier=key, content=ft.Container(
            width=208, padding=14, border_radius=10, bgcolor=SOS_RED if solid else ft.Colors.WHITE,
            border=ft.Border.all(1, SOS_RED if alert else ft.Colors.BLUE_GREY_100),
            content=ft.Column(tight=True, spacing=2, controls=[
                ft.Text(label, color=ft.Colors.WHITE if solid else MUTED, size=14),
                ft.Semantics(identifier=f"{key}-value", content=ft.Text(value, size=34, weight=ft.FontWeight.BOLD,
                                                                         color=ink)),
                ft.Text(note, size=12, color=ft.Colors.WHITE if solid else MUTED, max_lines=2)])))

    def _trend(self, days: list[TrendDay]) -> ft.Control:
        t = self.app.t
        if not days:
            return ft.Text(t("brain.none_yet"), color=MUTED)
        top = max([d.received for d in days] + [d.resolved for d in days] + [1])

        def series(attr: str, colour) -> fc.LineChartData:
            return fc.LineChartData(color=colour, stroke_width=3, curved=False, points=[
                fc.LineChartDataPoint(i, getattr(d, attr), tooltip=f"{d.day:%m-%d} {getattr(d, attr)}")
                for i, d in enumerate(days)])

        step = max(1, len(days) // 7)
        chart = fc.LineChart(
            data_series=[series("received", RECEIVED), series("resolved", RESOLVED)], height=250, min_y=0,
            max_y=top + max(1, top // 5), min_x=0, max_x=len(days) - 1, interactive=True,
            horizontal_grid_lines=fc.ChartGridLines(interval=max(1, top // 4), color=ft.Colors.BLUE_GREY_50, width=1),
            left_axis=fc.ChartAxis(title=ft.Text(t("brain.cases_axis"), size=12), label_size=40),
            bottom_axis=fc.ChartAxis(label_size=28, labels=[
                fc.ChartAxisLabel(value=i, label=ft.Text(f"{d.day:%m-%d}", size=11))
                for i, d in enumerate(days) if i % step == 0]))
        legend = ft.Row(spacing=16, controls=[
            ft.Row(tight=True, spacing=4, controls=[ft.Container(width=14, height=4, bgcolor=c), ft.Text(label, size=12)])
            for c, label in ((RECEIVED, t("brain.received")), (RESOLVED, t("brain.resolved")))])
        return ft.Column(tight=True, spacing=6, controls=[chart, legend])

    def _ticker_row(self, e: TickerEvent) -> ft.Control:
        t = self.app.t
        category = default_taxonomy().get(e.category_code) if e.category_code else None
        what = t.pick(category.name_zh, category.name_en) if category else ""
        step = t("brain.step.new") if e.from_status is None else status_label(e.to_status, t.locale)
        return ft.Container(padding=ft.Padding.symmetric(vertical=4, horizontal=6), border_radius=6,
                            bgcolor=ft.Colors.BLUE_GREY_50, content=ft.Row(spacing=8, controls=[
                                ft.Text(local_text(e.created_at, "%H:%M:%S"), size=12, color=MUTED, width=62),
                                ft.Text(e.case_number or "", size=12, width=142),
                                ft.Text(step, size=13, weight=ft.FontWeight.BOLD, width=76),
                                ft.Text(what, size=13, expand=True, max_lines=1,
                                        overflow=ft.TextOverflow.ELLIPSIS)]))

    def _table(self, rows: list[PerformanceRow]) -> ft.Control:
        t = self.app.t
        if not rows:
            return ft.Text(t("brain.none_yet"), color=MUTED)
        heads = ["group", "received", "resolved", "on_time", "response", "one_time", "reopen", "satisfied", "rated",
                 "transfers", "overdue_open"]

        def cell(text: str, alert: bool = False) -> ft.DataCell:
            return ft.DataCell(ft.Text(text, color=OVERDUE if alert else None))

        return ft.Row(scroll=ft.ScrollMode.AUTO, controls=[ft.DataTable(
            heading_row_height=40, data_row_max_height=40, column_spacing=22,
            columns=[ft.DataColumn(ft.Text(t(f"brain.col.{h}"), weight=ft.FontWeight.BOLD), numeric=h != "group")
                     for h in heads],
            rows=[ft.DataRow(cells=[
                cell(self._group_label(r)), cell(str(r.received)),
                cell(str(r.resolved)),
                cell(percent(r.on_time_rate), r.on_time_rate is not None and r.on_time_rate < 0.9),
                cell("—" if r.first_response_minutes_p50 is None else t("brain.minutes",
                                                                         n=round(r.first_response_minutes_p50))),
                cell(percent(r.one_time_rate)), cell(percent(r.reopen_rate)),
                cell(percent(r.satisfaction_rate), r.satisfaction_rate is not None and r.satisfaction_rate < 0.9),
                cell(str(r.rated)), cell(str(r.transfers)), cell(str(r.overdue_open), r.overdue_open > 0)])
                for r in rows])])

    def _group_label(self, r: PerformanceRow) -> str:
        """The group's name in the person's language: areas by their English names, departments and
        categories by the taxonomy's; a worker's name as it is."""
        t = self.app.t
        if not (r.group_name or r.group_code):
            return t("brain.unassigned")
        if self.board.group_by in ("department", "category") and r.group_code:
            known = default_taxonomy().get(r.group_code)
            if known is not None:
                return t.pick(known.name_zh, known.name_en)
        if self.board.group_by in ("street", "grid"):
            return localized_address(r.group_name, self.app.areas, t.locale) or r.group_code or ""
        return r.group_name or r.group_code or ""

    def _hotspot_row(self, h) -> ft.Control:
        t = self.app.t
        category = default_taxonomy().get(h.category_code)
        what = t.pick(category.name_zh, category.name_en) if category else h.category_code
        state = t("brain.hotspot_merged") if h.parent_report_id else t("brain.hotspot_open", n=h.open_count)
        actions: list[ft.Control] = [ft.TextButton(t("brain.hotspot_details"), on_click=partial(self._members, h))]
        if h.parent_report_id is None and h.open_count >= 2:
            actions.append(ft.Semantics(identifier=f"brain-merge-{h.id}", content=ft.OutlinedButton(
                t("brain.hotspot_merge"), on_click=partial(self._merge, h))))
        return ft.Row(spacing=10, wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
            ft.Icon(ft.Icons.BUBBLE_CHART, color=OVERDUE), ft.Text(what, weight=ft.FontWeight.BOLD),
            ft.Text(t("brain.hotspot_members", n=h.member_count)), ft.Text(state, color=MUTED),
            ft.Text(local_text(h.last_at) if h.last_at else "", color=MUTED, size=12), *actions])
