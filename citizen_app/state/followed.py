"""Cases I follow, without flet: their status and status steps, never their content.

Following someone else's case (offered instead of a duplicate report) gives status, not the
case: followed_reports() / followed_report_status(report) answer the category, the status,
its steps and a place rounded to about 100 m. Nothing here can show a description, photo,
address or person, because the backend never sends them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.models import FollowedReportPublic
from shared.reporting import address_for
from shared.status import status_label
from shared.timeline import format_when

from .app import AppState


@dataclass(frozen=True)
class FollowedStepText:
    what: str
    when: str


class FollowedList:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.cases: list[FollowedReportPublic] = []
        self.failed = False

    async def load(self) -> None:
        found = await self.state.run(lambda c: c.reports.followed_reports(), busy=None, quiet=True)
        self.failed = not found.ok
        if found.ok:
            self.cases = found.value


class FollowedCase:
    def __init__(self, state: AppState, report_id: str) -> None:
        self.state = state
        self.report_id = uuid.UUID(report_id)
        self.case: FollowedReportPublic | None = None

    async def load(self) -> bool:
        await self.state.load_areas()
        found = await self.state.run(lambda c: c.reports.followed_report_status(self.report_id))
        if not found.ok:
            return False
        self.case = found.value
        return True

    def steps(self) -> list[FollowedStepText]:
        assert self.case is not None
        locale = self.state.locale
        return [FollowedStepText(status_label(s.to_status, locale), format_when(s.at, locale)) for s in self.case.steps]

    def place(self) -> tuple[float, float]:
        assert self.case is not None
        return self.case.approx_lat, self.case.approx_lon

    def area(self) -> str | None:
        """The area names around the rounded place, in the person's language; None outside every grid."""
        assert self.case is not None
        return address_for(self.case.approx_lat, self.case.approx_lon, self.state.areas, self.state.locale)
