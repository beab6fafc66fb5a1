"""Care watch: subjects, readings, alerts and follow-ups.

`CareClientMixin` is mixed into `shared.client.CityClient`: its methods use the client's
plumbing (`self._rpc`, `self._call`, `self._model`, `self._models`, `self.supabase`).
What a caller sees is decided by the database (migration `20261121001300_care_watch.sql`):
grid workers see the residents of their grids, supervisors those of their streets.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

AlertKind = Literal["inactivity", "continuous_use", "routine_break"]
AlertStatus = Literal["open", "escalated", "closed"]
MeterKind = Literal["water", "electricity", "gas"]
FollowupAction = Literal["called_person", "called_family", "visited", "sent_to_120"]
FollowupOutcome = Literal["safe", "needs_help", "sent_to_120", "unreachable"]
Resolution = Literal["keep", "close", "escalate"]
OUTCOMES: tuple[FollowupOutcome, ...] = ("safe", "needs_help", "sent_to_120", "unreachable")
ACTIONS: tuple[FollowupAction, ...] = ("called_person", "called_family", "visited", "sent_to_120")


class Contact(BaseModel):
    name: str = ""
    phone: str = ""
    relation: str = ""


class CareSubjectPublic(BaseModel):
    id: uuid.UUID
    profile_id: uuid.UUID | None = None
    name: str
    phone: str | None = None
    address: str | None = None
    grid_id: uuid.UUID
    family_contacts: list[Contact] = Field(default_factory=list)
    consent_at: str
    last_visit_at: datetime | None = None


class Evidence(BaseModel):
    """Expected band vs observed, hour by hour, for the 24 hours up to the alert."""

    meter_kind: MeterKind | None = None
    hours: list[datetime] = Field(default_factory=list)
    observed: list[float | None] = Field(default_factory=list)
    expected: list[float] = Field(default_factory=list)
    band_low: list[float] = Field(default_factory=list)
    band_high: list[float] = Field(default_factory=list)
    onset: datetime | None = None
    detected: datetime | None = None
    score: float | None = None
    threshold: float | None = None


class CareAlertPublic(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    kind: AlertKind
    severity: int
    meter_kind: MeterKind | None = None
    onset_at: datetime
    detected_at: datetime
    evidence: Evidence = Field(default_factory=Evidence)
    status: AlertStatus
    assigned_to: uuid.UUID | None = None
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    created_at: datetime
    subject: CareSubjectPublic | None = None


class CareFollowupPublic(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    alert_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    action: FollowupAction
    outcome: FollowupOutcome
    note: str | None = None
    created_at: datetime


class CareAbsencePublic(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    note: str | None = None


class CareClientMixin:
    """Methods of CityClient for this feature (see the module docstring)."""

    supabase: Any

    async def list_care_subjects(self) -> list[CareSubjectPublic]:
        """The residents living alone I watch over (my grids; a supervisor: my streets), by name."""
        q = self.supabase.table("care_subjects").select("*").order("name")
        return self._models(CareSubjectPublic, (await self._call(q.execute())).data)

    async def list_care_alerts(self, open_only: bool = True) -> list[CareAlertPublic]:
        """Alerts of my residents, most severe and newest first, with the resident embedded."""
        q = self.supabase.table("care_alerts").select("*, subject:care_subjects(*)")
        if open_only:
            q = q.neq("status", "closed")
        q = q.order("severity", desc=True).order("created_at", desc=True)
        return self._models(CareAlertPublic, (await self._call(q.execute())).data)

    async def get_care_alert(self, alert_id: uuid.UUID | str) -> CareAlertPublic:
        q = self.supabase.table("care_alerts").select("*, subject:care_subjects(*)").eq("id", str(alert_id))
        return self._model(CareAlertPublic, (await self._call(q.execute())).data)

    async def list_care_followups(self, subject_id: uuid.UUID | str) -> list[CareFollowupPublic]:
        q = (self.supabase.table("care_followups").select("*").eq("subject_id", str(subject_id))
             .order("created_at", desc=True))
        return self._models(CareFollowupPublic, (await self._call(q.execute())).data)

    async def record_care_followup(self, alert_id: uuid.UUID | str, action: FollowupAction,
                                   outcome: FollowupOutcome, note: str | None = None,
                                   resolution: Resolution = "close") -> CareAlertPublic:
        """Record what I did about an alert; then keep it open, close it or escalate it."""
        row = await self._rpc("record_care_followup", {"alert": str(alert_id), "action": action,
                                                       "outcome": outcome, "note": note, "resolution": resolution})
        return self._model(CareAlertPublic, row)

    async def log_care_visit(self, subject_id: uuid.UUID | str, outcome: FollowupOutcome = "safe",
                             note: str | None = None) -> CareSubjectPublic:
        row = await self._rpc("log_care_visit", {"subject": str(subject_id), "outcome": outcome, "note": note})
        return self._model(CareSubjectPublic, row)

    async def register_care_absence(self, subject_id: uuid.UUID | str, starts_at: datetime, ends_at: datetime,
                                    note: str | None = None) -> CareAbsencePublic:
        row = await self._rpc("register_care_absence", {"subject": str(subject_id), "starts_at": starts_at,
                                                        "ends_at": ends_at, "note": note})
        return self._model(CareAbsencePublic, row)
