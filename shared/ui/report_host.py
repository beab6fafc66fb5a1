"""What the shared report form needs of the app that embeds it: a typed host, no adapters.

The citizen app's AppState is one as it is (the resident files their own report, offline into
the command queue); the grid app gives its own (grid_app/views/report_for_resident.py: a worker
files for a resident through `client.worker.report_for_resident`, never offline).
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.report_flow import ReportFlowHost

from .controls import Elderly


class ReportFormHost(ReportFlowHost, Protocol):
    elderly: Elderly  # False in the grid app (staff screens: regular sizes)
    page: Any  # the ft.Page (services, tasks); None until the form is on one

    async def open_case(self, report_id: Any) -> None: ...  # "open my report" of the nearby offer
