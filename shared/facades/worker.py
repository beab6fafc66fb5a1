"""What staff call beyond the case RPCs: the task inbox, duty, contacts, transfer, dashboard, reporting on behalf.

The RPCs are in backend/supabase/migrations/20261121001100_grid_app.sql.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.facades.reports import file_report
from shared.media import PhotoInput
from shared.models import (ACTIVE_TASK_STATUSES, ReportCreate, ReportPublic, ReportSource, Role, TaskPublic,
                           TaskQueue, TaskStatus, WorkerDutyPublic)
from shared.realtime import MAX_FILTER_VALUES, Binding, Callback, Subscription
from shared.transport import ID, Transport
from shared.worker import DASHBOARD_COLUMNS, ReportContact, ResidentContact, TransferWorker

_ACTIVE = sorted(s.value for s in ACTIVE_TASK_STATUSES)


class WorkerFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def _report_rpc(self, name: str, **args: Any) -> ReportPublic:
        return self._t.model(ReportPublic, await self._t.rpc(name, args))

    async def tasks(self, *, statuses: Iterable[TaskStatus] | None = None, queue: TaskQueue | None = None,
                    mine: bool = True, with_report: bool = True, limit: int = 100) -> list[TaskPublic]:
        """The task inbox: by default my active tasks with their reports, oldest first."""
        wanted = [TaskStatus(s).value for s in (statuses if statuses is not None else ACTIVE_TASK_STATUSES)]
        query = self._t.table("tasks").select("*, report:reports(*)" if with_report else "*")
        query = query.in_("status", sorted(wanted))
        if mine:
            query = query.eq("assignee_id", await self._t.uid())
        if queue is not None:
            query = query.eq("queue", TaskQueue(queue).value)
        query = query.order("created_at").limit(limit)
        return self._t.models(TaskPublic, await self._t.rows(query))

    async def inbox_tasks(self, *, limit: int = 300) -> list[TaskPublic]:
        """Every active task the person may see (RLS: my grids, my department, my street), with its report."""
        query = (self._t.table("tasks").select("*, report:reports(*)").in_("status", _ACTIVE)
                 .order("created_at").limit(limit))
        return self._t.models(TaskPublic, await self._t.rows(query))

    async def task_for(self, report_id: ID) -> TaskPublic | None:
        """The report's active task, with the report (None when it has none or it is not visible)."""
        query = (self._t.table("tasks").select("*, report:reports(*)").eq("report_id", str(report_id))
                 .in_("status", _ACTIVE))
        rows = await self._t.rows(query)
        return self._t.model(TaskPublic, rows) if rows else None

    async def set_my_duty(self, on_duty: bool) -> WorkerDutyPublic:
        return self._t.model(WorkerDutyPublic, await self._t.rpc("set_my_duty", {"on_duty": on_duty}))

    async def my_duty(self) -> bool:
        """Whether the signed-in grid worker is on duty (no duty record yet: off duty)."""
        uid = await self._t.uid()
        rows = await self._t.rows(self._t.table("worker_duty").select("on_duty").eq("worker_id", uid))
        return bool(rows and rows[0]["on_duty"])

    async def my_departments(self) -> list[str]:
        """Department codes the signed-in department staff member handles."""
        uid = await self._t.uid()
        rows = await self._t.rows(self._t.table("department_staff").select("department_code").eq("user_id", uid))
        return [r["department_code"] for r in rows]

    async def report_contact(self, report_id: ID) -> ReportContact:
        """The reporter's (or resident's) name and phone, for staff who can see the case; PT403/PT404 otherwise."""
        return self._t.model(ReportContact, await self._t.rpc("report_contact", {"report": str(report_id)}))

    async def transfer_workers(self, report_id: ID) -> list[TransferWorker]:
        """Grid workers of the report's street (on duty first), for the transfer dialog."""
        return self._t.models(TransferWorker, await self._t.rpc("transfer_workers", {"report": str(report_id)}))

    async def change_report_category(self, report_id: ID, category_code: str, reason: str) -> ReportPublic:
        """Re-categorise an open case (with a reason): department, SLA and holder follow the new item."""
        return await self._report_rpc("change_report_category", report=report_id, category=category_code,
                                      reason=reason)

    async def escalate_report(self, report_id: ID, reason: str) -> ReportPublic:
        """Ask the street's supervisors to step in; recorded on the timeline, status unchanged."""
        return await self._report_rpc("escalate_report", report=report_id, reason=reason)

    async def run_case_command(self, command_id: ID, action: str, report_id: ID,
                               args: dict[str, Any] | None = None) -> ReportPublic:
        """A case action under a client-chosen id (shared/case_actions.py names them): applied once;
        sending the same id again answers the first result (migration 20261201001060)."""
        return await self._report_rpc("run_case_command", command_id=command_id, action=action, report=report_id,
                                      args=args or {})

    async def visible_reports(self, days: int = 30, *, limit: int = 2000) -> list[ReportPublic]:
        """Reports created in the last `days` days, plus every older one still open, that the person may see."""
        since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
        recent = self._t.table("reports").select(DASHBOARD_COLUMNS).gte("created_at", since).limit(limit)
        still_open = (self._t.table("reports").select(DASHBOARD_COLUMNS).lt("created_at", since)
                      .not_.in_("status", ["resolved", "closed", "rejected"]).limit(limit))
        rows: dict[str, Any] = {}
        for query in (recent, still_open):
            for row in await self._t.rows(query):
                rows[row["id"]] = row
        return self._t.models(ReportPublic, rows.values())

    async def report_for_resident(self, report: ReportCreate, resident: ResidentContact,
                                  photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        """A grid worker files a report a resident told them about (source grid_app). Idempotent by report.id."""
        return await file_report(self._t, report, photos, {"source": ReportSource.GRID_APP.value,
                                                           "resident_name": resident.name.strip(),
                                                           "resident_phone": resident.phone})

    async def subscribe_tasks(self, callback: Callback) -> Subscription:
        """`callback(TaskPublic)` on each new or changed task the person may see (the worker's inbox).

        A grid worker's channel names filters (`grid_id=in.(my grids)`, `assignee_id=eq.<me>` for
        tasks handed over from another grid): Realtime matches a filter before it checks RLS, so a
        change costs the server the few workers of its grid, not the city's thousand. RLS still
        decides every row. Department staff, supervisors and admins (a few dozen) listen to every
        task RLS shows them: their scope is not one column of the task (docs/client.md)."""
        user = await self._t.current_user()
        bindings: list[Binding] = [("*", "tasks", None, TaskPublic)]
        if user is not None and user.role is Role.GRID_WORKER:
            rows = await self._t.rows(self._t.table("worker_grids").select("grid_id").eq("worker_id", str(user.id)))
            grids = sorted(str(r["grid_id"]) for r in rows)
            if len(grids) <= MAX_FILTER_VALUES:  # more than a filter may name: unfiltered, never a grid left out
                bindings = [("*", "tasks", f"assignee_id=eq.{user.id}", TaskPublic)]
                if grids:
                    bindings.append(("*", "tasks", f"grid_id=in.({','.join(grids)})", TaskPublic))
        return await self._t.subscribe("tasks", bindings, callback)
