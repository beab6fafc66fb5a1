"""The /report screen: the report form; after sending, to the case (or My cases when it waits)."""

from __future__ import annotations

from shared.ui.report_form import ReportForm

from ..routes import Screen
from ..state.app import AppState


def build(state: AppState, params: dict[str, str]) -> Screen:
    async def done(report, outcome: str) -> None:
        await state.shell.go(f"/cases/{report.id}" if report is not None else "/cases")

    form = ReportForm(state, on_done=done)
    return Screen(content=form.root, show=form.load, speak=lambda: state.t("report.title"))
