"""What the grid app calls beyond the case RPCs: inbox, reporter contact, dashboard, reporting on behalf.

`WorkerClientMixin` is mixed into `shared.client.CityClient`: its methods use the client's
plumbing (`self._rpc`, `self._call`, `self._model`, `self._models`, `self.supabase`).
The RPCs are in backend/supabase/migrations/20261121001100_grid_app.sql.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.limits import PHONE_MAX_LENGTH, PHONE_PATTERN
from shared.media import PhotoInput
from shared.models import ACTIVE_TASK_STATUSES, ReportCreate, ReportPublic, ReportSource, TaskPublic

ID = uuid.UUID | str


class ReportContact(BaseModel):
    """report_contact(): who to call about a case (the resident, for a report filed on their behalf)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    display_name: str | None = None
    phone: str | None = None
    on_behalf: bool = False
    home_address: str | None = None  # sos_contact only: the caller's home, for the responders


class TransferWorker(BaseModel):
    """transfer_workers(): a grid worker of the case's street a handler may transfer it to."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: uuid.UUID
    display_name: str | None = None
    grid_codes: list[str] = Field(default_factory=list)
    on_duty: bool = False


class ResidentContact(BaseModel):
    """The resident a grid worker reports for (name and phone are kept on the report)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=PHONE_MAX_LENGTH, pattern=PHONE_PATTERN)


DASHBOARD_COLUMNS = "id,category_code,status,grid_id,street_id,lat,lon,address,due_at,resolved_at,created_at,updated_at," \
                    "description,source,photos,department_code,priority"


class WorkerClientMixin:
    """Methods of CityClient for this feature (see the module docstring)."""

    async def my_duty(self) -> bool:
        """Whether the signed-in grid worker is on duty (no duty record yet: off duty)."""
        uid = await self._uid()
        rows = (await self._call(self.supabase.table("worker_duty").select("on_duty").eq("worker_id", uid)
                                 .execute())).data
        return bool(rows and rows[0]["on_duty"])

    async def my_departments(self) -> list[str]:
        """Department codes the signed-in department staff member handles."""
        uid = await self._uid()
        rows = (await self._call(self.supabase.table("department_staff").select("department_code")
                                 .eq("user_id", uid).execute())).data
        return [r["department_code"] for r in rows or []]

    async def inbox_tasks(self, *, limit: int = 300) -> list[TaskPublic]:
        """Every active task the person may see (RLS: my grids, my department, my street), with its report."""
        query = (self.supabase.table("tasks").select("*, report:reports(*)")
                 .in_("status", sorted(s.value for s in ACTIVE_TASK_STATUSES)).order("created_at").limit(limit))
        return self._models(TaskPublic, (await self._call(query.execute())).data)

    async def task_for(self, report_id: ID) -> TaskPublic | None:
        """The report's active task, with the report (None when it has none or it is not visible)."""
        query = (self.supabase.table("tasks").select("*, report:reports(*)").eq("report_id", str(report_id))
                 .in_("status", sorted(s.value for s in ACTIVE_TASK_STATUSES)))
        rows = (await self._call(query.execute())).data
        return self._model(TaskPublic, rows) if rows else None

    async def report_contact(self, report_id: ID) -> ReportContact:
        """The reporter's (or resident's) name and phone, for staff who can see the case; PT403/PT404 otherwise."""
        rows = await self._rpc("report_contact", {"report": str(report_id)})
        return self._model(ReportContact, rows)

    async def transfer_workers(self, report_id: ID) -> list[TransferWorker]:
        """Grid workers of the report's street (on duty first), for the transfer dialog."""
        return self._models(TransferWorker, await self._rpc("transfer_workers", {"report": str(report_id)}))

    async def sos_contact(self, alert_id: ID) -> ReportContact:
        """The SOS caller's name, phone and home address, for the responders who can see the alert;
        PT403/PT404 otherwise."""
        return self._model(ReportContact, await self._rpc("sos_contact", {"alert": str(alert_id)}))

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
        recent = self.supabase.table("reports").select(DASHBOARD_COLUMNS).gte("created_at", since).limit(limit)
        still_open = (self.supabase.table("reports").select(DASHBOARD_COLUMNS).lt("created_at", since)
                      .not_.in_("status", ["resolved", "closed", "rejected"]).limit(limit))
        rows: dict[str, Any] = {}
        for query in (recent, still_open):
            for row in (await self._call(query.execute())).data or []:
                rows[row["id"]] = row
        return self._models(ReportPublic, rows.values())

    async def report_for_resident(self, report: ReportCreate, resident: ResidentContact,
                                  photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        """A grid worker files a report a resident told them about (source grid_app). Idempotent by report.id."""
        return await self._file_report(report, photos, {"source": ReportSource.GRID_APP.value,
                                                         "resident_name": resident.name.strip(),
                                                         "resident_phone": resident.phone})
