"""The inbox screen's state: the visible tasks, the filter, the selection, live arrivals."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from shared import errors, inbox
from shared.inbox import Counts, InboxFilter
from shared.models import ACTIVE_TASK_STATUSES, ReportPublic, TaskPublic
from shared.taxonomy import default_taxonomy

from .app import AppState


def task_what_where(app: AppState, task: TaskPublic) -> str:
    """'路灯不亮 · 滨西社区北门外': a new task's category and address, for its announcement."""
    report = task.report
    if report is None:
        return ""
    category = default_taxonomy().get(report.category_code)
    what = app.t.pick(category.name_zh, category.name_en) if category else report.category_code
    place = app.address(report.address, report.landmark) if report.address or report.landmark else ""
    return " · ".join(x for x in (what, place) if x)


class InboxState:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.tasks: list[TaskPublic] = []
        self.filter = InboxFilter()
        self.selected: str | None = None  # report id
        self.loaded = False
        self.failed = False
        # Set by the view: called with the new task when one arrives live.
        self.on_new_task: Callable[[TaskPublic], Any] = lambda task: None
        self.on_changed: Callable[[], Any] = lambda: None
        self.on_flushed: Callable[[], Awaitable[None]] | None = None  # the view: reload the open case

    async def queue_flushed(self) -> None:
        """The offline queue sent (or gave up on) actions: the open case shows where it stands."""
        if self.on_flushed is not None:
            await self.on_flushed()

    @property
    def me(self) -> uuid.UUID | None:
        return self.app.user.id if self.app.user else None

    async def load(self) -> bool:
        done = await self.app.run(self.app.client.worker.inbox_tasks())
        self.failed = not done.ok  # the list says "can't load, retry" rather than "no tasks"
        if done.ok:
            self.tasks = done.value
            self.loaded = True
        return done.ok

    def rows(self, now: datetime | None = None) -> list[TaskPublic]:
        return inbox.visible(self.tasks, self.filter, self.me, now)

    def counts(self, now: datetime | None = None) -> Counts:
        return inbox.counts(self.tasks, self.me, now)

    def set_filter(self, **changes: Any) -> None:
        self.filter = self.filter.but(**changes)

    def on_report_change(self, report: ReportPublic) -> None:
        """A case action here changed the report: its row shows the new status at once (a task's
        Realtime change carries no report, and the report's own status is what the row shows)."""
        self.tasks = inbox.with_report(self.tasks, report)
        self.on_changed()

    async def on_task_change(self, task: TaskPublic) -> None:
        """Realtime: a task was created or changed. A new one is fetched with its report, then announced;
        a known one whose status moved (an accept on another device) too, so its row shows the report's
        new status rather than the one it was listed with."""
        known = next((t for t in self.tasks if str(t.id) == str(task.id)), None)
        active = task.status in ACTIVE_TASK_STATUSES
        if task.report is None and active and (known is None or known.status != task.status):
            try:
                fetched = await self.app.client.worker.task_for(task.report_id)
            except errors.CityError:
                fetched = None
            if fetched is None and known is None:
                return
            task = fetched or task
        self.tasks, is_new = inbox.upsert(self.tasks, task)
        if is_new:
            self.on_new_task(task)
        self.on_changed()
