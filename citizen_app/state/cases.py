"""My cases and one case, without flet: filters, the waiting outbox, the timeline and the resident's actions."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone
from typing import Literal, TypeVar

from shared import errors
from shared.models import (CaseEventPublic, DepartmentPublic, FollowedReportPublic, RatingCreate,
                           ReportDetail, ReportPublic, ReportStatus, Role)
from shared.commands import Command
from shared.reporting import grids_from_areas
from shared.status import OPEN_STATUSES, Action, offered_actions
from shared.timeline import Timeline, build_timeline

from .app import AppState

log = logging.getLogger(__name__)

Filter = Literal["open", "done", "all"]
R = TypeVar("R", ReportPublic, FollowedReportPublic)


def filter_reports(reports: list[R], which: Filter) -> list[R]:
    """Open, done or all of my reports (or of the cases I follow: anything with a status)."""
    if which == "open":
        return [r for r in reports if r.status in OPEN_STATUSES]
    if which == "done":
        return [r for r in reports if r.status not in OPEN_STATUSES]
    return list(reports)


class CaseList:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.filter: Filter = "open"
        self.reports: list[ReportPublic] = []
        self.failed = False  # the last load got no answer: the list says so instead of "no cases"

    async def load(self) -> None:
        await self.state.load_areas()  # each case's place, in the person's language
        found = await self.state.run(lambda c: c.reports.my_reports(limit=100), busy="app.busy", quiet=True)
        self.failed = not found.ok
        if found.ok:
            self.reports = found.value

    @property
    def shown(self) -> list[ReportPublic]:
        return filter_reports(self.reports, self.filter)

    @property
    def waiting(self) -> list[Command]:
        box = self.state.outbox
        return box.waiting_reports() if box else []

    def apply(self, change: object) -> bool:
        """A live change: update the list in place; True when something shown changed."""
        if isinstance(change, ReportPublic):
            for i, r in enumerate(self.reports):
                if r.id == change.id:
                    self.reports[i] = change
                    return True
        return False


class CaseDetail:
    def __init__(self, state: AppState, report_id: str) -> None:
        self.state = state
        self.report_id = uuid.UUID(report_id)
        self.detail: ReportDetail | None = None
        self.departments: dict[str, DepartmentPublic] = {}
        self.grid: tuple[str, list[tuple[float, float]]] | None = None  # the case's grid: name, (lon, lat) ring
        # storage path -> bytes: the web client cannot fetch signed URLs from another origin (no CORS headers)
        self.photos: dict[str, bytes] = {}

    async def load(self) -> bool:
        async def fetch(c):
            detail = await c.reports.report_detail(self.report_id)
            departments = {d.code: d for d in await c.reference.departments()}
            added = [p for e in detail.events for p in e.photos]  # photos the resident added later
            paths = [p for p in detail.report.photos + detail.report.resolution_photos + added if p not in self.photos]
            data = await asyncio.gather(*(c.reports.download_photo(p) for p in paths), return_exceptions=True)
            for path, failed in zip(paths, data):
                if isinstance(failed, errors.CityError):  # gone, or not the person's to see: left out
                    log.warning("photo %s not shown: %r", path, failed)
                elif isinstance(failed, BaseException):
                    log.error("photo %s failed", path, exc_info=failed)
            return detail, departments, {p: d for p, d in zip(paths, data) if isinstance(d, bytes)}

        areas = await self.state.load_areas()  # the place in the person's language, the grid's outline
        found = await self.state.run(fetch)
        if not found.ok:
            return False
        self.detail, self.departments, photos = found.value
        self.photos.update(photos)
        for grid in grids_from_areas(a for a in areas if a.id == self.detail.report.grid_id):
            self.grid = (self.state.t.pick(grid.name_zh, grid.name_en), list(grid.polygon))
        return True

    @property
    def report(self) -> ReportPublic | None:
        return self.detail.report if self.detail else None

    def timeline(self, now: datetime | None = None) -> Timeline:
        assert self.detail is not None
        return build_timeline(self.detail.events, self.detail.report, self.departments, self.state.locale,
                              now=now, open_case=self.detail.report.status in OPEN_STATUSES)

    def actions(self, now: datetime | None = None) -> list[Action]:
        if self.detail is None or self.state.user is None:
            return []
        report = self.detail.report
        offered = offered_actions(report.status, Role.CITIZEN, is_reporter=report.reporter_id == self.state.user.id,
                                  resolved_at=report.resolved_at, rated=self.detail.rating is not None,
                                  now=now or datetime.now(timezone.utc))
        return [a for a in offered if a in (Action.RATE, Action.REOPEN, Action.ANSWER_INFO, Action.ADD_INFO,
                                            Action.WITHDRAW)]

    def info_request(self) -> str | None:
        """The worker's question while the case waits for the resident."""
        if self.detail is None or self.detail.report.status != ReportStatus.NEEDS_INFO:
            return None
        asked = [e for e in self.detail.events if e.to_status == ReportStatus.NEEDS_INFO]
        return (asked[-1].note or "") if asked else ""

    def apply(self, change: object) -> bool:
        """A live change of this case; True when it should be reloaded."""
        if isinstance(change, ReportPublic) and change.id == self.report_id:
            return True
        return isinstance(change, CaseEventPublic) and change.report_id == self.report_id

    # --------------------------------------------------------- the resident's actions

    def _need(self, key: str) -> None:
        self.state.shell.show_message(self.state.t(key), error=True)

    async def rate(self, score: int | None, comment: str = "") -> bool:
        if not score or not 1 <= score <= 5:
            self._need("cases.need_score")
            return False
        rating = RatingCreate(score=score, comment=comment.strip()[:1000] or None)
        done = await self.state.run(lambda c: c.reports.rate_report(self.report_id, rating))
        return done.ok and await self.load()

    async def reopen(self, reason: str) -> bool:
        if not reason.strip():
            self._need("cases.need_reason")
            return False
        done = await self.state.run(lambda c: c.reports.reopen_report(self.report_id, reason.strip()))
        return done.ok and await self.load()

    async def answer(self, note: str) -> bool:
        if not note.strip():
            self._need("cases.need_answer")
            return False
        done = await self.state.run(lambda c: c.reports.answer_report_info(self.report_id, note.strip()))
        return done.ok and await self.load()

    async def add_info(self, note: str, photos: list[bytes] = ()) -> bool:
        """A note (required) and photos for the handler, while the case is open."""
        if not note.strip():
            self._need("cases.need_info_note")
            return False
        done = await self.state.run(lambda c: c.reports.add_report_info(self.report_id, note.strip(), list(photos)))
        return done.ok and await self.load()

    async def withdraw(self, reason: str) -> bool:
        if not reason.strip():
            self._need("cases.need_reason")
            return False
        done = await self.state.run(lambda c: c.reports.withdraw_report(self.report_id, reason.strip()))
        return done.ok and await self.load()
