"""Report on behalf of a resident: the citizen app's reporting form (citizen_app.views.report_form),
embedded with `on_behalf=True`, so the report's source is "grid app" and the resident's name and phone
are asked for. The form expects the citizen app's session object; `FormHost` gives it what it uses,
over this app's session, and files the report through CityClient.worker.report_for_resident so the
resident's name and phone land in their own columns (report_contact shows them to the handlers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from shared.i18n import Translator
from shared.worker import ResidentContact
from shared.ui import Screen

from ..state.app import AppState, Outcome
from ..components.refresh import page_of, update_if_shown
from ..theme import MUTED


class _Shell:
    def __init__(self, app: AppState) -> None:
        self.app = app

    def set_busy(self, text: str | None) -> None:
        self.app.notifier.set_busy(text)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.app.say(text, error=error)


class _OnBehalfReports:
    """The client's reports facade, except that `submit_report` files for the resident named in the form."""

    def __init__(self, client: Any, draft: Callable[[], Any]) -> None:
        self._client, self._draft = client, draft

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client.reports, name)

    async def submit_report(self, report, photos=()):
        draft = self._draft()
        resident = ResidentContact(name=draft.resident_name.strip(), phone=draft.resident_phone.strip() or None)
        return await self._client.worker.report_for_resident(report, resident, photos)


class OnBehalfClient:
    """The signed-in client, with the reports facade above."""

    def __init__(self, client: Any, draft: Callable[[], Any]) -> None:
        self._client = client
        self.reports = _OnBehalfReports(client, draft)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class FormHost:
    """What citizen_app.views.report_form.ReportForm reads from its `state`."""

    def __init__(self, app: AppState, page: ft.Page | None, catalogue) -> None:
        self.app, self.page = app, page
        self.t = Translator(catalogue, app.t.locale)
        self.elderly = False  # staff screen: regular sizes
        self.shell = _Shell(app)
        self.outbox = None  # a worker files while on site: offline, the form says so and keeps the draft
        self.photo_uploads = app.photo_uploads
        self.form: Any = None

    @property
    def locale(self) -> str:
        return self.app.t.locale

    async def ensure_client(self) -> OnBehalfClient:
        return OnBehalfClient(self.app.client, lambda: self.form.flow.draft)

    async def run(self, call: Callable[[Any], Awaitable[Any]], *, busy: str | None = None,
                  quiet: bool = False) -> Outcome[Any]:
        async def on_behalf(_client: Any) -> Any:
            return await call(await self.ensure_client())

        return await self.app.run(on_behalf, busy="app.busy", quiet=quiet)


class ReportForResidentScreen:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.box = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=12)
        self.root = ft.Semantics(identifier="report-for-resident",
                                 content=ft.Container(expand=True, padding=16, content=self.box))
        self.form = None

    async def show(self) -> None:
        if self.form is not None:
            return
        t = self.app.t
        try:
            from citizen_app.strings import STRINGS as CITIZEN_STRINGS
            from citizen_app.views.report_form import ReportForm
        except ImportError:  # the citizen app is not installed beside this one
            self.box.controls = [ft.Text(t("behalf.title"), size=22, weight=ft.FontWeight.BOLD),
                                 ft.Text(t("behalf.unavailable"), color=MUTED)]
            return
        host = FormHost(self.app, page_of(self.box), CITIZEN_STRINGS)
        self.form = ReportForm(host, on_done=self._done, on_behalf=True)
        host.form = self.form
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
