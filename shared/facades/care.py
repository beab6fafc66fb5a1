"""Care watch: subjects, alerts and follow-ups (migration 20261121001300_care_watch.sql).

What a caller sees is decided by the database: grid workers see the residents of their grids,
supervisors those of their streets.
"""

from __future__ import annotations

from datetime import datetime

from shared.care import (CareAbsencePublic, CareAlertPublic, CareFollowupPublic, CareSubjectPublic, FollowupAction,
                         FollowupOutcome, Resolution)
from shared.transport import ID, Transport

_WITH_SUBJECT = "*, subject:care_subjects(*)"


class CareFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def list_care_subjects(self) -> list[CareSubjectPublic]:
        """The residents living alone I watch over (my grids; a supervisor: my streets), by name."""
        return self._t.models(CareSubjectPublic, await self._t.rows(self._t.table("care_subjects").select("*")
                                                                    .order("name")))

    async def list_care_alerts(self, open_only: bool = True) -> list[CareAlertPublic]:
        """Alerts of my residents, most severe and newest first, with the resident embedded."""
        q = self._t.table("care_alerts").select(_WITH_SUBJECT)
        if open_only:
            q = q.neq("status", "closed")
        q = q.order("severity", desc=True).order("created_at", desc=True)
        return self._t.models(CareAlertPublic, await self._t.rows(q))

    async def get_care_alert(self, alert_id: ID) -> CareAlertPublic:
        q = self._t.table("care_alerts").select(_WITH_SUBJECT).eq("id", str(alert_id))
        return self._t.model(CareAlertPublic, await self._t.rows(q))

    async def list_care_followups(self, subject_id: ID) -> list[CareFollowupPublic]:
        q = (self._t.table("care_followups").select("*").eq("subject_id", str(subject_id))
             .order("created_at", desc=True))
        return self._t.models(CareFollowupPublic, await self._t.rows(q))

    async def record_care_followup(self, alert_id: ID, action: FollowupAction, outcome: FollowupOutcome,
                                   note: str | None = None, resolution: Resolution = "close") -> CareAlertPublic:
        """Record what I did about an alert; then keep it open, close it or escalate it."""
        row = await self._t.rpc("record_care_followup", {"alert": str(alert_id), "action": action,
                                                         "outcome": outcome, "note": note, "resolution": resolution})
        return self._t.model(CareAlertPublic, row)

    async def log_care_visit(self, subject_id: ID, outcome: FollowupOutcome = "safe",
                             note: str | None = None) -> CareSubjectPublic:
        row = await self._t.rpc("log_care_visit", {"subject": str(subject_id), "outcome": outcome, "note": note})
        return self._t.model(CareSubjectPublic, row)

    async def register_care_absence(self, subject_id: ID, starts_at: datetime, ends_at: datetime,
                                    note: str | None = None) -> CareAbsencePublic:
        row = await self._t.rpc("register_care_absence", {"subject": str(subject_id), "starts_at": starts_at,
                                                          "ends_at": ends_at, "note": note})
        return self._t.model(CareAbsencePublic, row)
