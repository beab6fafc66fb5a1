"""shared.inbox: which tasks the worker's list shows, in which order, with which counts and SLA chips."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared import inbox
from shared.inbox import InboxFilter, Ownership
from shared.models import ReportPublic, ReportStatus, TaskPublic, TaskStatus

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
ME, OTHER = uuid.uuid4(), uuid.uuid4()


def task(*, due_h: float | None, status=ReportStatus.DISPATCHED, category="01.01.001", priority=3,
         assignee=ME, age_h: float = 1, task_status="open") -> TaskPublic:
    rid = uuid.uuid4()
    created = NOW - timedelta(hours=age_h)
    report = ReportPublic(id=rid, category_code=category, description="d", lat=39.1, lon=117.2, source="citizen_app",
                          status=status, priority=priority, created_at=created, updated_at=created,
                          due_at=NOW + timedelta(hours=due_h) if due_h is not None else None)
    return TaskPublic(id=uuid.uuid4(), report_id=rid, queue="worker" if assignee else "department",
                      assignee_id=assignee, department_code=None if assignee else "environment", status=task_status,
                      created_at=created, updated_at=created, report=report)


def test_sorted_by_due_time_overdue_first_and_no_sla_last() -> None:
    late, soon, later, none = task(due_h=-2), task(due_h=1), task(due_h=30), task(due_h=None)
    rows = inbox.visible([none, later, soon, late], InboxFilter(), ME, NOW)
    assert rows == [late, soon, later, none]


def test_same_due_time_puts_the_more_urgent_priority_first() -> None:
    p3, p1 = task(due_h=4, priority=3), task(due_h=4, priority=1)
    assert inbox.visible([p3, p1], InboxFilter(), ME, NOW) == [p1, p3]


def test_filters_combine() -> None:
    mine_late = task(due_h=-1, category="01.02.003", priority=1)
    queue_ok = task(due_h=5, assignee=None, category="05.01.001", status=ReportStatus.ACCEPTED)
    other = task(due_h=5, assignee=OTHER)
    tasks = [mine_late, queue_ok, other]
    assert inbox.visible(tasks, InboxFilter(overdue_only=True), ME, NOW) == [mine_late]
    assert inbox.visible(tasks, InboxFilter(ownership=Ownership.MINE), ME, NOW) == [mine_late]
    assert inbox.visible(tasks, InboxFilter(ownership=Ownership.UNASSIGNED), ME, NOW) == [queue_ok]
    assert inbox.visible(tasks, InboxFilter(category="05"), ME, NOW) == [queue_ok]
    assert inbox.visible(tasks, InboxFilter(category="01.02"), ME, NOW) == [mine_late]
    assert inbox.visible(tasks, InboxFilter(priority=1), ME, NOW) == [mine_late]
    assert inbox.visible(tasks, InboxFilter(status=ReportStatus.ACCEPTED), ME, NOW) == [queue_ok]
    assert inbox.visible(tasks, InboxFilter(status=ReportStatus.ACCEPTED, ownership=Ownership.MINE), ME, NOW) == []


def test_counts_cover_every_filter() -> None:
    tasks = [task(due_h=-1, category="01.02.003", priority=1), task(due_h=5, assignee=None, category="05.01.001"),
             task(due_h=5, assignee=OTHER, status=ReportStatus.IN_PROGRESS)]
    c = inbox.counts(tasks, ME, NOW)
    assert (c.total, c.overdue, c.mine, c.unassigned) == (3, 1, 1, 1)
    assert c.by_status == {"dispatched": 2, "in_progress": 1}
    assert c.by_category == {"01": 2, "05": 1}
    assert c.by_priority == {1: 1, 3: 2}


def test_chip_shows_time_left_or_overdue_in_red() -> None:
    left = inbox.chip(task(due_h=5), "zh-CN", NOW)
    assert left.text == "剩余 5 小时" and not left.overdue
    late = inbox.chip(task(due_h=-3), "en", NOW)
    assert late.text == "3 h overdue" and late.overdue
    assert inbox.chip(task(due_h=None), "zh-CN", NOW) is None


def test_age_in_minutes_hours_days() -> None:
    assert inbox.age(NOW - timedelta(minutes=7), NOW) == ("min", 7)
    assert inbox.age(NOW - timedelta(hours=5), NOW) == ("h", 5)
    assert inbox.age(NOW - timedelta(days=3), NOW) == ("d", 3)


def test_upsert_adds_new_keeps_the_known_report_and_drops_finished_tasks() -> None:
    a = task(due_h=3)
    tasks, new = inbox.upsert([], a)
    assert tasks == [a] and new
    # A realtime change carries no embedded report: the known one stays.
    changed = a.model_copy(update={"report": None, "status": TaskStatus.ACCEPTED})
    tasks, new = inbox.upsert(tasks, changed)
    assert not new and tasks[0].status.value == "accepted" and tasks[0].report == a.report
    done = a.model_copy(update={"report": None, "status": TaskStatus.DONE})
    tasks, new = inbox.upsert(tasks, done)
    assert tasks == [] and not new


def test_a_changed_report_replaces_the_embedded_one_and_the_age_counts_from_receipt() -> None:
    a, b = task(due_h=3, age_h=5), task(due_h=4)
    accepted = a.report.model_copy(update={"status": ReportStatus.ACCEPTED})
    tasks = inbox.with_report([a, b], accepted)
    assert tasks[0].report.status is ReportStatus.ACCEPTED and tasks[1] == b
    # A task transferred to me an hour ago, for a report made five hours ago: received 1 h ago.
    moved = a.model_copy(update={"created_at": NOW - timedelta(hours=1)})
    assert inbox.age(inbox.received_at(moved), NOW) == ("h", 1)
