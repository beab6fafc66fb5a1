"""Care watch: subjects, readings, alerts and follow-ups.

The models; the calls are `shared.facades.care` (`client.care`).
What a caller sees is decided by the database (migration `20261121001300_care_watch.sql`):
grid workers see the residents of their grids, supervisors those of their streets.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

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
