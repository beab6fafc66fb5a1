"""Inbox (list-detail): my grids' / department's / street's tasks sorted by due time, with filters and counts.

On a tablet the list and the selected case sit side by side; on a phone (narrow page)
the case replaces the list and a back button returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timezone

import flet as ft

from shared import inbox
from shared.case_number import case_label
from shared.inbox import Ownership
from shared.models import ReportStatus, TaskPublic
from shared.status import status_label
from shared.taxonomy import default_taxonomy

from ..app_state import AppState
from ..components.refresh import update_if_shown
from ..inbox_state import InboxState
from ..theme import MUTED, ON_TIME, OVERDUE, TARGET
from .case_detail import CaseDetail

NARROW = 800  # below this width the detail replaces the list
ALL = "all"
TICK_S = 30  # the rows' "received ... ago" and SLA chips move on while the list is shown


def category_name(code: str, t) -> str:
    cat = default_taxonomy().get(code)
    return t.pick(cat.name_zh, cat.name_en) if cat else code


def build(app: AppState) -> InboxScreen:
    return InboxScreen(app, app.inbox, app.page)


class InboxScreen:
    def __init__(self, app: AppState, state: InboxState, page: ft.Page) -> None:
        self.app, self.state, self.page = app, state, page
        t = app.t
        self.list = ft.ListView(expand=True, spacing=4, padding=ft.Padding.only(right=8))
        self.summary = ft.Text("", color=MUTED)
        self.status = ft.Dropdown(label=t("filter.status"), width=150, value=ALL, on_select=self._status)
        self.category = ft.Dropdown(label=t("filter.category"), width=170, value=ALL, on_select=self._category)
        self.priority = ft.Dropdown(label=t("filter.priority"), width=110, value=ALL, on_select=self._priority)
        self.toggles = ft.Row(wrap=True, spacing=6)
        self.detail_pane = ft.Container(expand=True, padding=16,
                                        content=ft.Text(t("inbox.pick"), color=MUTED, size=18))
        self.detail: CaseDetail | None = None
        self.list_pane = ft.Container(width=460, padding=ft.Padding.only(left=12, top=12), content=ft.Column(
            expand=True, spacing=8, controls=[
                ft.Row([ft.Text(t("inbox.title"), size=22, weight=ft.FontWeight.BOLD), ft.Container(expand=True),
                        ft.IconButton(ft.Icons.REFRESH, tooltip=t("refresh"), on_click=self._reload)]),
                self.summary,
                ft.Row([self.status, self.category, self.priority], wrap=True, spacing=6),
                self.toggles,
                ft.Semantics(identifier="inbox-list", content=ft.Container(expand=True, content=self.list)),
            ]))
        self.root = ft.Row(expand=True, spacing=0, vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                           controls=[self.list_pane, ft.VerticalDivider(width=1), self.detail_pane])
        self.shown = False
        self._ticker: asyncio.Task | None = None
        state.on_changed = self._changed

    # ---------------------------------------------------------------- lifecycle

    async def show(self) -> None:
        self.shown = True
        if not self.state.loaded:
            await self.state.load()
        self.redraw()
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick_forever())

    def hide(self) -> None:
        self.shown = False
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def _tick_forever(self) -> None:
        while self.shown:
            await asyncio.sleep(TICK_S)
            with contextlib.suppress(AttributeError, RuntimeError):  # the browser went away meanwhile
                self.redraw()
                update_if_shown(self.list_pane)

    def _changed(self) -> None:
        # A live task while another screen is open: redraw when this one is shown again. Rows
        # replaced while the list is off the page reach the browser twice once it is back.
        if self.shown:
            self.redraw()

    async def _reload(self, e: ft.ControlEvent) -> None:
        await self.state.load()
        self.redraw()
        await self.refresh_detail()

    async def refresh_detail(self) -> None:
        if self.detail is not None:
            await self.detail.reload()

    # ---------------------------------------------------------------- drawing

    @property
    def narrow(self) -> bool:
        return bool(self.page.width) and self.page.width < NARROW

    def redraw(self, now: datetime | None = None) -> None:
        t, now = self.app.t, now or datetime.now(timezone.utc)
        counts = self.state.counts(now)
        rows = self.state.rows(now)
        self.summary.value = t("filter.all") + f" {counts.total} · " + t("filter.overdue") + f" {counts.overdue}"
        self.status.options = [ft.DropdownOption(key=ALL, text=t("filter.all"))] + [
            ft.DropdownOption(key=s, text=f"{status_label(s, t.locale)} ({n})") for s, n in sorted(counts.by_status.items())]
        self.category.options = [ft.DropdownOption(key=ALL, text=t("filter.all"))] + [
            ft.DropdownOption(key=c, text=f"{category_name(c, t)} ({n})") for c, n in sorted(counts.by_category.items())]
        self.priority.options = [ft.DropdownOption(key=ALL, text=t("filter.all"))] + [
            ft.DropdownOption(key=str(p), text=f"P{p} ({n})") for p, n in sorted(counts.by_priority.items())]
        f = self.state.filter
        self.toggles.controls = [
            self._toggle("filter-overdue", f"{t('filter.overdue')} {counts.overdue}", f.overdue_only, self._overdue),
            self._toggle("filter-mine", f"{t('filter.mine')} {counts.mine}", f.ownership is Ownership.MINE,
                         self._ownership(Ownership.MINE)),
            self._toggle("filter-unassigned", f"{t('filter.unassigned')} {counts.unassigned}",
                         f.ownership is Ownership.UNASSIGNED, self._ownership(Ownership.UNASSIGNED)),
        ]
        tiles = [self._row(task, now) for task in rows]
        if self.state.failed:  # what is known stays below the notice
            self.list.controls = [self._load_error(), *tiles]
        else:
            self.list.controls = tiles or [ft.Text(t("inbox.empty"), color=MUTED)]
        self.list_pane.visible = not (self.narrow and self.detail is not None)
        self.detail_pane.visible = not self.narrow or self.detail is not None
        self.list_pane.width = None if self.narrow else 460
        self.list_pane.expand = self.narrow

    def _load_error(self) -> ft.Control:
        t = self.app.t
        return ft.Semantics(identifier="inbox-load-error", content=ft.Column(spacing=8, controls=[
            ft.Text(t("load_failed"), color=ft.Colors.RED_900, size=16),
            ft.Semantics(identifier="inbox-load-error-retry", content=ft.OutlinedButton(
                t("retry"), icon=ft.Icons.REFRESH, height=TARGET, on_click=self._reload))]))

    def _toggle(self, ident: str, text: str, on: bool, handler) -> ft.Control:
        return ft.Semantics(identifier=ident, content=ft.Chip(label=ft.Text(text), selected=on, on_select=handler))

    def _row(self, task: TaskPublic, now: datetime) -> ft.Control:
        t, report = self.app.t, task.report
        unit, amount = inbox.age(inbox.received_at(task), now)
        chip = inbox.chip(task, t.locale, now)
        selected = self.state.selected == str(report.id)
        chip_control = ft.Container(
            padding=ft.Padding.symmetric(horizontal=8, vertical=2), border_radius=12,
            bgcolor=(OVERDUE if chip.overdue else ON_TIME) if chip else None,
            content=ft.Text(chip.text if chip else "", color=ft.Colors.WHITE, size=13)) if chip else ft.Container()
        return ft.Semantics(identifier=f"task-{report.id}", content=ft.Container(
            padding=10, border_radius=8, on_click=self._open(str(report.id)),
            bgcolor=ft.Colors.INDIGO_50 if selected else ft.Colors.SURFACE_CONTAINER_LOW,
            border=ft.Border.all(2, OVERDUE) if chip and chip.overdue else None,
            content=ft.Column(spacing=4, controls=[
                ft.Row([ft.Text(category_name(report.category_code, t), weight=ft.FontWeight.BOLD, size=16,
                                expand=True, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS), chip_control]),
                ft.Text(self.app.address(report.address, report.landmark), max_lines=2,
                        overflow=ft.TextOverflow.ELLIPSIS),
                ft.Row([ft.Text(status_label(report.status, t.locale), color=MUTED),
                        ft.Text(t(f"age.{unit}", n=amount), color=MUTED),
                        ft.Text(f"P{report.priority}" if report.priority else "", color=MUTED),
                        ft.Text(case_label(report), color=MUTED)], spacing=12),
            ])))

    # ---------------------------------------------------------------- handlers

    def _open(self, report_id: str):
        async def handler(e: ft.ControlEvent) -> None:
            await self.open_case(report_id)
        return handler

    async def open_case(self, report_id: str) -> None:
        self.state.selected = report_id
        self.detail = CaseDetail(self.app, report_id, on_back=self._back if self.narrow else None,
                                 on_report_changed=self.state.on_report_change)
        self.detail_pane.content = self.detail.root
        self.redraw()
        self.page.update()
        await self.detail.reload()
        self.page.update()

    async def _back(self) -> None:
        self.detail, self.state.selected = None, None
        self.detail_pane.content = ft.Text(self.app.t("inbox.pick"), color=MUTED, size=18)
        self.redraw()
        self.page.update()

    def _set(self, **changes) -> None:
        self.state.set_filter(**changes)
        self.redraw()

    async def _status(self, e: ft.ControlEvent) -> None:
        self._set(status=None if self.status.value == ALL else ReportStatus(self.status.value))

    async def _category(self, e: ft.ControlEvent) -> None:
        self._set(category=None if self.category.value == ALL else self.category.value)

    async def _priority(self, e: ft.ControlEvent) -> None:
        self._set(priority=None if self.priority.value == ALL else int(self.priority.value))

    async def _overdue(self, e: ft.ControlEvent) -> None:
        self._set(overdue_only=not self.state.filter.overdue_only)

    def _ownership(self, which: Ownership):
        async def handler(e: ft.ControlEvent) -> None:
            now = self.state.filter.ownership
            self._set(ownership=Ownership.ALL if now is which else which)
        return handler
