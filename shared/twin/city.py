"""`TwinCity`: the in-memory backend the twin's clients share - accounts, reports, tasks, events, notifications.

It keeps the rules app-state tests depend on, mirroring the SQL (the SQL is the authority,
`tests/contract/` holds the two together): routing and dispatch of a new report
(20261121000500_reports.sql), who may read a report (`private.can_read_report`), the case RPCs'
transitions and callers (20261121000600_case_rpcs.sql, checked transition first: PT409, then the
caller: PT403), idempotent report ids, the hourly and daily report quotas, and the notifications
each change sends. Everything runs in one event loop; no locks needed.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from shared import errors
from shared.geo import GeoPoint, grid_for_point
from shared.limits import REPORTS_PER_DAY, REPORTS_PER_HOUR
from shared.models import (ACTIVE_TASK_STATUSES, AreaLevel, CaseEventPublic, NotificationPublic, ProfilePublic,
                           ReportPublic, ReportStatus, Role, TaskPublic, TaskQueue, TaskStatus, UserPublic)
from shared.reporting import grids_from_areas
from shared.twin import reference

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Account:
    user: UserPublic
    password: str
    profile: ProfilePublic


@dataclass
class Session:
    access: str
    refresh: str
    uid: uuid.UUID
    family: str  # one sign-in and its refreshes: signing out ends them all


@dataclass
class Listener:
    """A twin client's Realtime channel: (table, callback, who)."""

    table: str
    callback: Callable[[Any], Any]
    uid: uuid.UUID
    filter_user: bool = False  # notifications: only the person's own
    match: Callable[[Any], bool] | None = None  # the channel's filter (postgres_changes `filter=`), if any


@dataclass
class TwinCity:
    accounts: dict[uuid.UUID, Account] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)  # refresh token (also spent ones) -> current session
    reports: dict[uuid.UUID, ReportPublic] = field(default_factory=dict)
    tasks: dict[uuid.UUID, TaskPublic] = field(default_factory=dict)
    events: list[CaseEventPublic] = field(default_factory=list)
    ratings: dict[uuid.UUID, Any] = field(default_factory=dict)
    followers: dict[uuid.UUID, dict[uuid.UUID, datetime]] = field(default_factory=dict)  # report -> user -> since
    notifications: list[NotificationPublic] = field(default_factory=list)
    photos: dict[str, bytes] = field(default_factory=dict)
    worker_grids: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)  # worker -> grids
    duty: dict[uuid.UUID, tuple[bool, datetime]] = field(default_factory=dict)
    staff_departments: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    supervised_streets: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    nearby_lookups: dict[uuid.UUID, list[datetime]] = field(default_factory=dict)
    residents: dict[uuid.UUID, tuple[str | None, str | None]] = field(default_factory=dict)  # report -> name, phone
    commands: dict[uuid.UUID, tuple[uuid.UUID, str, uuid.UUID]] = field(default_factory=dict)  # id -> who, what, report
    listeners: list[Listener] = field(default_factory=list)
    offline: bool = False  # True: every call fails as the network would (NetworkError)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _pending: set[asyncio.Future] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.areas = reference.areas()
        self.categories = {c.code: c for c in reference.categories()}
        self.grids = grids_from_areas(list(self.areas))
        self.area_by_id = {a.id: a for a in self.areas}

    # ------------------------------------------------------------ set-up, as the admin API and SQL fixtures do

    def add_user(self, email: str | None = None, password: str = "secret-pass-1", *, role: Role = Role.CITIZEN,
                 phone: str | None = None, display_name: str | None = None) -> Account:
        uid = uuid.uuid4()
        email = email or f"u{uid.hex[:12]}@test.cityloop.local"
        if any(a.user.email == email for a in self.accounts.values()):
            raise errors.AccountExists("user already registered", code="user_already_exists", status=422)
        user = UserPublic(id=uid, email=email, phone=phone, role=role)
        at = now()
        profile = ProfilePublic(id=uid, display_name=display_name, role=role, created_at=at, updated_at=at)
        self.accounts[uid] = Account(user, password, profile)
        return self.accounts[uid]

    def assign_worker(self, worker_id: uuid.UUID | str, grid_id: uuid.UUID | str, on_duty: bool = True) -> None:
        wid = uuid.UUID(str(worker_id))
        self.worker_grids.setdefault(wid, set()).add(uuid.UUID(str(grid_id)))
        self.set_duty(wid, on_duty)

    def add_staff(self, user_id: uuid.UUID | str, department: str) -> None:
        self.staff_departments.setdefault(uuid.UUID(str(user_id)), set()).add(department)

    def supervise(self, user_id: uuid.UUID | str, street_id: uuid.UUID | str) -> None:
        self.supervised_streets.setdefault(uuid.UUID(str(user_id)), set()).add(uuid.UUID(str(street_id)))

    def street_of(self, grid_id: uuid.UUID) -> uuid.UUID | None:
        community = self.area_by_id[grid_id].parent_id
        return self.area_by_id[community].parent_id if community else None

    def set_duty(self, worker_id: uuid.UUID, on_duty: bool) -> None:
        before = self.duty.get(worker_id)
        self.duty[worker_id] = (on_duty, before[1] if before and before[0] == on_duty else now())

    # ------------------------------------------------------------ reading rules

    def role_of(self, uid: uuid.UUID | None) -> Role | None:
        return self.accounts[uid].user.role if uid in self.accounts else None

    def can_read(self, uid: uuid.UUID | None, r: ReportPublic) -> bool:
        """private.can_read_report (followers are not in it: following gives status, not the case)."""
        if uid is None:
            return False
        role = self.role_of(uid)
        return (r.reporter_id == uid
                or (r.grid_id is not None and r.grid_id in self.worker_grids.get(uid, set()))
                or (role == Role.GRID_WORKER and any(t.report_id == r.id and t.assignee_id == uid
                                                     for t in self.tasks.values()))
                or (r.department_code in self.staff_departments.get(uid, set()))
                or (role == Role.SUPERVISOR and (r.street_id is None
                                                 or r.street_id in self.supervised_streets.get(uid, set())))
                or role == Role.ADMIN)

    def visible(self, uid: uuid.UUID | None, report_id: uuid.UUID | str) -> ReportPublic:
        """private.lock_case: the report, or PT404 when missing or not the caller's to see."""
        r = self.reports.get(_uuid(report_id))
        if r is None or not self.can_read(uid, r):
            raise errors.NotFound(f"report {report_id} not found", code="PT404", status=404)
        return r

    def active_task(self, report_id: uuid.UUID) -> TaskPublic | None:
        active = (t for t in self.tasks.values() if t.report_id == report_id and t.status in ACTIVE_TASK_STATUSES)
        return next(active, None)

    def may_handle(self, uid: uuid.UUID, r: ReportPublic, t: TaskPublic | None) -> bool:
        """private.may_handle."""
        role = self.role_of(uid)
        streets = self.supervised_streets.get(uid, set())
        if t is not None and ((t.queue == TaskQueue.WORKER and t.assignee_id == uid and role == Role.GRID_WORKER)
                              or (t.queue == TaskQueue.DEPARTMENT
                                  and t.department_code in self.staff_departments.get(uid, set()))
                              or (t.queue == TaskQueue.SUPERVISOR and role == Role.SUPERVISOR
                                  and (t.street_id is None or t.street_id in streets))):
            return True
        return role == Role.SUPERVISOR and (r.street_id is None or r.street_id in streets)

    # ------------------------------------------------------------ filing (reports_route + reports_dispatch)

    def file(self, uid: uuid.UUID, row: dict[str, Any]) -> ReportPublic:
        rid = _uuid(row["id"])
        if rid in self.reports:
            raise errors.Conflict('duplicate key value violates unique constraint "reports_pkey"', code="23505")
        role, source = self.role_of(uid), row.get("source") or "citizen_app"
        if not ((role == Role.CITIZEN and source == "citizen_app")
                or (role == Role.GRID_WORKER and source in ("grid_app", "citizen_app"))):
            raise errors.PermissionDenied('new row violates row-level security policy for table "reports"',
                                          code="42501")
        if role == Role.CITIZEN or source == "citizen_app":  # staff filing for residents are exempt
            self._check_quota(uid)
        item = self.categories.get(row["category_code"])
        if item is None or item.level != 3:
            raise errors.ValidationError(f"category {row['category_code']} is not an item (level 3) of the taxonomy,"
                                         " or does not exist", code="23514")
        grid = grid_for_point(GeoPoint(lat=row["lat"], lon=row["lon"]), self.grids)
        grid_id = uuid.UUID(str(grid.id)) if grid else None
        street_id = self.street_of(grid_id) if grid_id else None
        at = now()
        report = ReportPublic.model_validate(row | {
            "id": rid, "reporter_id": uid, "grid_id": grid_id, "street_id": street_id,
            "department_code": item.department_code or "city_mgmt", "priority": item.priority,
            "due_at": at + timedelta(hours=item.sla_hours) if item.sla_hours else None,
            "status": ReportStatus.DISPATCHED, "created_at": at, "updated_at": at})
        self.reports[rid] = report
        if source == "grid_app":
            self.residents[rid] = (row.get("resident_name"), row.get("resident_phone"))
        task = self.route(report)
        queue = task.queue
        self.event(report, uid, self._actor_role(uid), None, ReportStatus.SUBMITTED, None)
        note = {TaskQueue.WORKER: "grid worker", TaskQueue.DEPARTMENT: f"department {report.department_code}"}
        self.event(report, None, "system", ReportStatus.SUBMITTED, ReportStatus.DISPATCHED,
                    note.get(queue, "supervisor queue"))
        self.notify(uid, "report_dispatched", "您的上报已受理并派发", "Your report was received and dispatched", rid,
                    {"status": "dispatched", "queue": queue.value})
        for recipient in self._holders(task):
            self.notify(recipient, "task_assigned", "新的待办事件", "New case to handle", rid,
                        {"queue": queue.value, "category_code": report.category_code})
        self.publish("reports", report)
        return report

    def _check_quota(self, uid: uuid.UUID) -> None:
        mine = [r.created_at for r in self.reports.values() if r.reporter_id == uid]
        at = now()
        if sum(1 for c in mine if c > at - timedelta(hours=1)) >= REPORTS_PER_HOUR:
            raise errors.HourlyReportQuota(f"too many reports: at most {REPORTS_PER_HOUR} an hour", code="PT429",
                                           status=429)
        if sum(1 for c in mine if c > at - timedelta(days=1)) >= REPORTS_PER_DAY:
            raise errors.DailyReportQuota(f"too many reports: at most {REPORTS_PER_DAY} a day", code="PT429",
                                          status=429)

    def route(self, r: ReportPublic) -> TaskPublic:
        """A new task for the report, as dispatch (and private.route_again) choose it."""
        queue, worker, street = self._dispatch_target(r)
        return self.new_task(r, queue, worker, r.department_code if queue == TaskQueue.DEPARTMENT else None, street)

    def _dispatch_target(self, r: ReportPublic) -> tuple[TaskQueue, uuid.UUID | None, uuid.UUID | None]:
        if r.grid_id is None:
            return TaskQueue.SUPERVISOR, None, None
        if r.department_code != "city_mgmt":
            return TaskQueue.DEPARTMENT, None, None
        on_duty = [w for w, grids in self.worker_grids.items() if r.grid_id in grids and self.duty.get(w, (False,))[0]]
        if not on_duty:
            return TaskQueue.SUPERVISOR, None, r.street_id
        load = {w: sum(1 for t in self.tasks.values() if t.assignee_id == w and t.status in ACTIVE_TASK_STATUSES)
                for w in on_duty}
        return TaskQueue.WORKER, min(on_duty, key=lambda w: (load[w], self.duty[w][1], str(w))), None

    def new_task(self, r: ReportPublic, queue: TaskQueue, assignee: uuid.UUID | None, department: str | None,
                  street: uuid.UUID | None) -> TaskPublic:
        at = now()
        task = TaskPublic(id=uuid.uuid4(), report_id=r.id, queue=queue, assignee_id=assignee,
                          department_code=department, street_id=street, status=TaskStatus.OPEN,
                          grid_id=r.grid_id, created_at=at, updated_at=at)
        self.tasks[task.id] = task
        self.publish("tasks", task)
        return task

    def update_task(self, task: TaskPublic, **changes: Any) -> TaskPublic:
        task = task.model_copy(update=changes | {"updated_at": now()})
        self.tasks[task.id] = task
        self.publish("tasks", task)
        return task

    def _holders(self, t: TaskPublic) -> set[uuid.UUID]:
        if t.queue == TaskQueue.WORKER:
            return {t.assignee_id} if t.assignee_id else set()
        if t.queue == TaskQueue.DEPARTMENT:
            return {u for u, d in self.staff_departments.items() if t.department_code in d}
        return {u for u, s in self.supervised_streets.items() if t.street_id is None or t.street_id in s}

    def notify_holders(self, t: TaskPublic, by: uuid.UUID, kind: str, zh: str, en: str) -> None:
        for recipient in self._holders(t) - {by}:
            self.notify(recipient, kind, zh, en, t.report_id, {"queue": t.queue.value})

    # ------------------------------------------------------------ changes (private.record_change)

    def record_change(self, by: uuid.UUID, r: ReportPublic, to: ReportStatus, note: str | None,
                      **columns: Any) -> ReportPublic:
        changed = r.model_copy(update=columns | {"status": to, "updated_at": now()})
        self.reports[r.id] = changed
        self.event(r, by, self._actor_role(by), r.status, to, note)
        if to != r.status:
            for follower in ({r.reporter_id} | set(self.followers.get(r.id, {}))) - {None, by}:
                self.notify(follower, "report_status", "您关注的事件状态已更新", "A case you follow has changed", r.id,
                            {"from": r.status.value, "to": to.value})
        self.publish("reports", changed)
        return changed

    def event(self, r: ReportPublic, by: uuid.UUID | None, role: str, before: ReportStatus | None,
               to: ReportStatus, note: str | None, **extra: Any) -> CaseEventPublic:
        event = CaseEventPublic(id=next(self._ids), report_id=r.id, actor_id=by, actor_role=role, from_status=before,
                                to_status=to, note=note, reporter_id=r.reporter_id, created_at=now(), **extra)
        self.events.append(event)
        self.publish("case_events", event)
        return event

    def _actor_role(self, uid: uuid.UUID | None) -> str:
        role = self.role_of(uid)
        return role.value if role else "system"

    def notify(self, recipient: uuid.UUID, kind: str, zh: str, en: str, report_id: uuid.UUID | None,
               payload: dict[str, Any] | None = None) -> None:
        n = NotificationPublic(id=uuid.uuid4(), user_id=recipient, kind=kind, title_zh=zh, title_en=en,
                               payload=payload or {}, report_id=report_id, created_at=now())
        self.notifications.append(n)
        self.publish("notifications", n)

    # ------------------------------------------------------------ realtime

    def publish(self, table: str, row: Any) -> None:
        """Deliver a change to each channel of that table whose holder may see the row (as Realtime checks RLS)."""
        for listener in list(self.listeners):
            if (listener.table == table and (listener.match is None or listener.match(row))
                    and self._may_see(listener.uid, table, row)):
                try:
                    result = listener.callback(row)
                    if inspect.isawaitable(result):  # coroutine callbacks run as tasks, as shared.realtime runs them
                        future = asyncio.ensure_future(result)
                        self._pending.add(future)
                        future.add_done_callback(self._pending.discard)
                except Exception:  # noqa: BLE001 - like the real socket: a faulty callback stops nothing
                    log.exception("twin realtime callback failed")

    def _may_see(self, uid: uuid.UUID, table: str, row: Any) -> bool:
        if table == "notifications":
            return row.user_id == uid
        if table == "reports":
            return self.can_read(uid, row)
        report = self.reports.get(row.report_id)
        return report is not None and self.can_read(uid, report)

    def grid_areas(self) -> list:
        return [a for a in self.areas if a.level == AreaLevel.GRID]


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise errors.ValidationError(f"invalid input syntax for type uuid: \"{value}\"", code="22P02",
                                     status=400) from None
