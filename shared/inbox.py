"""The worker's inbox as rules: which tasks show, in which order, with which counts and chips.

Rows come from CityClient.worker.inbox_tasks() (RLS already decided what the person may see);
this module only filters, sorts and labels them, so the app's list and its tests agree.
Never imports flet.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from shared.models import ReportPublic, ReportStatus, TaskPublic
from shared.status import is_overdue, sla_text


class Ownership(StrEnum):
    ALL = "all"
    MINE = "mine"  # held by me (my worker task)
    UNASSIGNED = "unassigned"  # in a queue (department, supervisors) or nobody yet


@dataclass(frozen=True)
class InboxFilter:
    status: ReportStatus | None = None
    category: str | None = None  # a major category ("01") or an item prefix ("01.02")
    priority: int | None = None
    overdue_only: bool = False
    ownership: Ownership = Ownership.ALL

    def but(self, **changes) -> InboxFilter:
        return replace(self, **changes)


@dataclass(frozen=True)
class Chip:
    text: str
    overdue: bool


def _report_status(task: TaskPublic) -> ReportStatus | None:
    return task.report.status if task.report else None


def is_mine(task: TaskPublic, me: uuid.UUID | str | None) -> bool:
    return me is not None and task.assignee_id is not None and str(task.assignee_id) == str(me)


def task_overdue(task: TaskPublic, now: datetime | None = None) -> bool:
    return task.report is not None and is_overdue(task.report.due_at, task.report.status, now)


def matches(task: TaskPublic, f: InboxFilter, me: uuid.UUID | str | None, now: datetime | None = None) -> bool:
    report = task.report
    if report is None:
        return False
    if f.status is not None and report.status != f.status:
        return False
    if f.category and not report.category_code.startswith(f.category):
        return False
    if f.priority is not None and report.priority != f.priority:
        return False
    if f.overdue_only and not task_overdue(task, now):
        return False
    if f.ownership is Ownership.MINE and not is_mine(task, me):
        return False
    if f.ownership is Ownership.UNASSIGNED and task.assignee_id is not None:
        return False
    return True


_FAR = datetime.max.replace(tzinfo=timezone.utc)


def sort_key(task: TaskPublic) -> tuple:
    """Soonest due first (overdue before everything); no SLA last; then priority (1 = most urgent), age."""
    report = task.report
    due = report.due_at if report and report.due_at else _FAR
    priority = report.priority if report and report.priority is not None else 9
    return (due, priority, report.created_at if report else task.created_at, str(task.id))


def visible(tasks: list[TaskPublic], f: InboxFilter, me: uuid.UUID | str | None,
            now: datetime | None = None) -> list[TaskPublic]:
    return sorted((t for t in tasks if matches(t, f, me, now)), key=sort_key)


@dataclass(frozen=True)
class Counts:
    total: int
    overdue: int
    mine: int
    unassigned: int
    by_status: dict[str, int]
    by_category: dict[str, int]  # major category code ("01") -> count
    by_priority: dict[int, int]


def counts(tasks: list[TaskPublic], me: uuid.UUID | str | None, now: datetime | None = None) -> Counts:
    with_report = [t for t in tasks if t.report is not None]
    return Counts(
        total=len(with_report),
        overdue=sum(task_overdue(t, now) for t in with_report),
        mine=sum(is_mine(t, me) for t in with_report),
        unassigned=sum(t.assignee_id is None for t in with_report),
        by_status=dict(Counter(t.report.status.value for t in with_report)),
        by_category=dict(Counter(t.report.category_code[:2] for t in with_report)),
        by_priority=dict(Counter(t.report.priority for t in with_report if t.report.priority is not None)),
    )


def chip(task: TaskPublic, locale: str = "zh-CN", now: datetime | None = None) -> Chip | None:
    """The SLA chip: time left, or how long overdue (red); None without an SLA."""
    report = task.report
    if report is None:
        return None
    text = sla_text(report.due_at, report.status, locale, now)
    return Chip(text, task_overdue(task, now)) if text else None


def age(created_at: datetime, now: datetime | None = None) -> tuple[str, int]:
    """How old a case is, as (unit, amount) with unit "min", "h" or "d" (the app words it)."""
    delta = (now or datetime.now(timezone.utc)) - created_at
    minutes = max(0, int(delta / timedelta(minutes=1)))
    if minutes < 60:
        return "min", minutes
    if minutes < 48 * 60:
        return "h", minutes // 60
    return "d", minutes // (24 * 60)


def with_report(tasks: list[TaskPublic], report: ReportPublic) -> list[TaskPublic]:
    """The tasks with `report` embedded wherever its id is: what a row shows after a case action."""
    return [t.model_copy(update={"report": report}) if str(t.report_id) == str(report.id) else t for t in tasks]


def received_at(task: TaskPublic) -> datetime:
    """When the task reached its holder (a transfer makes a new task): what the row's age counts from."""
    return task.created_at


def upsert(tasks: list[TaskPublic], changed: TaskPublic) -> tuple[list[TaskPublic], bool]:
    """Apply a realtime task change; (new list, whether it is a task not seen before).

    A change arrives without the embedded report: the known report is kept. A task that
    is no longer active (done, cancelled) leaves the inbox.
    """
    from shared.models import ACTIVE_TASK_STATUSES

    known = {str(t.id): t for t in tasks}
    old = known.get(str(changed.id))
    if changed.status not in ACTIVE_TASK_STATUSES:
        return [t for t in tasks if str(t.id) != str(changed.id)], False
    if changed.report is None and old is not None and old.report is not None:
        changed = changed.model_copy(update={"report": old.report})
    out = [changed if str(t.id) == str(changed.id) else t for t in tasks]
    if old is None:
        out.append(changed)
    return out, old is None
