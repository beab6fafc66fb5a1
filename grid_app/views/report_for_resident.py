"""Report on behalf of a resident: the shared report form (shared/ui/report_form.py) with
`on_behalf=True`, so the report's source is "grid app" and the resident's name and phone are asked
for. `ResidentReportHost` is this app's host of the form (shared/ui/report_host.py): it files
through `client.worker.report_for_resident`, so the resident's name and phone land in their own
columns (report_contact shows them to the handlers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import flet as ft

from shared.app_core import Outcome
from shared.commands import CommandQueue
from shared.models import ReportPublic
from shared.reporting import ReportDraft
from shared.ui import Screen
from shared.ui.report_form import ReportForm
from shared.worker import ResidentContact

from ..components.refresh import page_of, update_if_shown
from ..routes import HOME
from ..state.app import AppState


class ResidentReportHost:
    """The report form's host over this app's session: a worker's screen, filing for a resident."""

    elderly = False  # staff screen: regular sizes

    def __init__(self, app: AppState, page: ft.Page | None = None) -> None:
        self.app = app
        self.t = app.t  # grid_app/strings.py holds the form's words (shared/ui/strings.py)
        self.page = page if page is not None else app.page
        self.photo_uploads = app.photo_uploads

    @property
    def locale(self) -> str:
        return self.app.locale

    @property
    def outbox(self) -> CommandQueue | None:
        return None  # a worker files while on site: offline, the form says so and keeps the draft

    async def ensure_client(self) -> Any:
        return await self.app.ensure_client()

    async def run(self, call: Callable[[Any], Awaitable[Any]], *, busy: str | None = "app.busy",
                  quiet: bool = False) -> Outcome[Any]:
        return await self.app.run(call, busy=busy, quiet=quiet)

    def busy(self, key: str = "app.busy") -> AbstractContextManager[None]:
        return self.app.busy(key)

    def say(self, text: str, *, error: bool = False) -> None:
        self.app.say(text, error=error)

    async def file_report(self, draft: ReportDraft) -> ReportPublic:
        resident = ResidentContact(name=draft.resident_name.strip(), phone=draft.resident_phone.strip() or None)
        client = await self.app.ensure_client()
        return await client.worker.report_for_resident(draft.to_create(), resident, draft.photos)

    async def open_case(self, report_id: Any) -> None:
        # A worker's report skips the nearby offer (ReportFlow), the one place that asks; cases open from the inbox.
        if self.page is not None:
            await self.page.push_route(HOME)


class ReportForResidentScreen:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.box = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=12)
        self.root = ft.Semantics(identifier="report-for-resident",
                                 content=ft.Container(expand=True, padding=16, content=self.box))
        self.form: ReportForm | None = None

    async def show(self) -> None:
        if self.form is not None:
            return
        self.form = ReportForm(ResidentReportHost(self.app, page_of(self.box)), on_done=self._done, on_behalf=True)
        self.box.controls = [ft.Container(width=640, content=self.form.root)]  # the form has its own heading
        update_if_shown(self.box)
        await self.form.load()

    async def _done(self, report, outcome: str) -> None:
        # A fresh form for the next resident.
        self.form = None
        await self.show()


def build(app: AppState, params: dict[str, str]) -> Screen:
    screen = ReportForResidentScreen(app)
    return Screen(content=screen.root, show=screen.show)
