"""The inbox screen's state: the visible tasks, the filter, the selection, live arrivals."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared import inbox
from shared.inbox import Counts, InboxFilter
from shared.models import TaskPublic

from .app_state import AppState


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

    @property
    def me(self) -> uuid.UUID | None:
        return self.app.user.id if self.app.user else None

    async def load(self) -> bool:
        done = await self.app.run(self.app.client.inbox_tasks())
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

    async def on_task_change(self, task: TaskPublic) -> None:
        """Realtime: a task was created or changed. A new one is fetched with its report, then announced."""
        known = any(str(t.id) == str(task.id) for t in self.tasks)
        if not known and task.report is None and task.status.value in ("open", "accepted", "in_progress"):
            fetched = await self.app.client.task_for(task.report_id)
            if fetched is None:
                return
            task = fetched
        self.tasks, is_new = inbox.upsert(self.tasks, task)
        if is_new:
            self.on_new_task(task)
        self.on_changed()
