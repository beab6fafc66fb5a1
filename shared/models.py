"""Pydantic models of the tables and RPC payloads, named as the SQL names them.

One naming family per entity (style.md): `XBase` holds the fields a client may
send, `XCreate` what an insert or RPC takes, `XUpdate` a partial change, `XPublic`
a row as the API returns it. Field names are the column names of
backend/supabase/migrations; enums carry the SQL enum values. Never imports flet.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.limits import LANDMARK_MAX_LENGTH, MAX_DESCRIPTION

# ---------------------------------------------------------------- enums


class Role(StrEnum):
    """profiles.role, from the JWT's app_metadata.role (an admin sets it)."""

    CITIZEN = "citizen"
    GRID_WORKER = "grid_worker"
    DEPT_STAFF = "dept_staff"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ReportStatus(StrEnum):
    """public.report_status."""

    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    NEEDS_INFO = "needs_info"
    TRANSFERRED = "transferred"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"  # by the reporter while open (withdraw_report, migration 20261201000800)


class ReportSource(StrEnum):
    """public.report_source."""

    CITIZEN_APP = "citizen_app"
    GRID_APP = "grid_app"
    HOTLINE = "hotline"
    SENSOR = "sensor"


class TaskStatus(StrEnum):
    """public.task_status."""

    OPEN = "open"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskQueue(StrEnum):
    """public.task_queue: one worker, a department's queue, or a supervisor queue."""

    WORKER = "worker"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"


class AreaLevel(StrEnum):
    """public.area_level."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


class SosStatus(StrEnum):
    """public.sos_status: sent, acknowledged, on the way, resolved (or cancelled by the caller)."""

    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ON_THE_WAY = "on_the_way"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


# The one Python list of a task still being worked on: the SQL's `status in ('open', 'accepted',
# 'in_progress')` (tasks_one_active_per_report and the functions); tests/backend/test_limits_mirror.py
# compares the two.
ACTIVE_TASK_STATUSES = frozenset({TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS})


class _Row(BaseModel):
    """A row from the API: unknown columns (added by later migrations) are kept, not refused."""

    model_config = ConfigDict(extra="allow", frozen=True)


class _Input(BaseModel):
    """What a client sends: unknown fields are a programming error."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- reference data


class DepartmentPublic(_Row):
    code: str
    name_zh: str
    name_en: str
    phone: str | None = None


class CategoryPublic(_Row):
    code: str
    level: int
    parent_code: str | None = None
    name_zh: str
    name_en: str
    department_code: str | None = None
    sla_hours: int | None = None
    priority: int | None = None
    keywords: list[str] = Field(default_factory=list)


class AreaPublic(_Row):
    """public.areas; polygon and center arrive as PostgreSQL's text forms ('((x,y),...)', '(x,y)')."""

    id: uuid.UUID
    parent_id: uuid.UUID | None = None
    level: AreaLevel
    code: str
    name_zh: str
    name_en: str
    polygon: str | None = None
    center: str | None = None
    created_at: datetime | None = None


# ---------------------------------------------------------------- people


class EmergencyContact(BaseModel):
    name: str = Field(max_length=100)
    phone: str = Field(max_length=32)
    relation: str | None = Field(default=None, max_length=50)


class ContactStatus(StrEnum):
    """public.contact_invitation_status: an emergency contact is a link both sides agreed to."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ENDED = "ended"


class EmergencyContactPublic(_Row):
    """One of my emergency contacts (an invitation I sent), as invite_emergency_contact answers it."""

    id: uuid.UUID
    phone: str
    name: str
    relation: str | None = None
    status: ContactStatus
    created_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None


class ContactInvitationPublic(_Row):
    """An invitation to my verified phone (my_contact_invitations): only the inviter's display name."""

    id: uuid.UUID
    inviter_name: str
    name: str
    relation: str | None = None
    status: ContactStatus
    created_at: datetime | None = None
    answered_at: datetime | None = None


class ProfileBase(_Input):
    display_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    locale: str = Field(default="zh-CN", pattern=r"^(zh-CN|en)$")
    elderly_mode: bool = False
    home_area_id: uuid.UUID | None = None
    emergency_contacts: list[EmergencyContact] = Field(default_factory=list)


class ProfileUpdate(_Input):
    """The columns a person may change on their own profile (the grant lists exactly these)."""

    display_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    locale: str | None = Field(default=None, pattern=r"^(zh-CN|en)$")
    elderly_mode: bool | None = None
    text_size: int | None = Field(default=None, ge=1, le=3)  # migration 20261201000900 (its check is the authority)
    home_area_id: uuid.UUID | None = None
    home_address: str | None = Field(default=None, max_length=300)  # migration 1000 (citizen app)
    emergency_contacts: list[EmergencyContact] | None = None


class ProfilePublic(_Row):
    id: uuid.UUID
    display_name: str | None = None
    phone: str | None = None
    locale: str = "zh-CN"
    elderly_mode: bool = False
    text_size: int = 2  # elderly mode's text size step, migration 20261201000900
    home_area_id: uuid.UUID | None = None
    home_address: str | None = None  # migration 1000 (citizen app)
    emergency_contacts: list[EmergencyContact] = Field(default_factory=list)
    role: Role = Role.CITIZEN
    created_at: datetime | None = None
    updated_at: datetime | None = None


class WorkerDutyPublic(_Row):
    worker_id: uuid.UUID
    on_duty: bool
    since: datetime


class WorkerGridPublic(_Row):
    worker_id: uuid.UUID
    grid_id: uuid.UUID
    created_at: datetime | None = None


class DepartmentStaffPublic(_Row):
    user_id: uuid.UUID
    department_code: str
    created_at: datetime | None = None


class SupervisorStreetPublic(_Row):
    user_id: uuid.UUID
    street_id: uuid.UUID
    created_at: datetime | None = None


class UserPublic(_Row):
    """The signed-in account as the client knows it."""

    id: uuid.UUID
    email: str | None = None
    phone: str | None = None
    role: Role = Role.CITIZEN


# ---------------------------------------------------------------- reports and cases



class ReportBase(_Input):
    category_code: str = Field(pattern=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{3}$")
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=300)
    landmark: str | None = Field(default=None, min_length=1, max_length=LANDMARK_MAX_LENGTH)
    source: ReportSource = ReportSource.CITIZEN_APP


class ReportCreate(ReportBase):
    """A new report. The id is chosen by the client, so a retried submission is not filed twice."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)


class ReportPublic(_Row):
    id: uuid.UUID
    reporter_id: uuid.UUID | None = None
    category_code: str
    description: str
    lat: float
    lon: float
    address: str | None = None
    landmark: str | None = None
    grid_id: uuid.UUID | None = None
    street_id: uuid.UUID | None = None
    department_code: str | None = None
    photos: list[str] = Field(default_factory=list)
    source: ReportSource
    status: ReportStatus
    priority: int | None = None
    due_at: datetime | None = None
    paused_at: datetime | None = None  # the clock stands still while waiting for the resident (migration 1130)
    case_number: str | None = None  # e.g. HP-20261201-0042, given at filing (migration 1130)
    duplicate_of: uuid.UUID | None = None
    resolution_note: str | None = None
    resolution_photos: list[str] = Field(default_factory=list)
    resolved_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class TaskPublic(_Row):
    id: uuid.UUID
    report_id: uuid.UUID
    queue: TaskQueue
    assignee_id: uuid.UUID | None = None
    department_code: str | None = None
    street_id: uuid.UUID | None = None
    status: TaskStatus
    note: str | None = None
    escalated_at: datetime | None = None  # added by the escalations migration (0800)
    grid_id: uuid.UUID | None = None  # the report's grid, kept by the database (migration 1410)
    created_at: datetime
    updated_at: datetime
    report: ReportPublic | None = None  # embedded when the inbox asks for it


class CaseEventPublic(_Row):
    id: int
    report_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    actor_role: str
    from_status: ReportStatus | None = None
    to_status: ReportStatus
    note: str | None = None
    kind: str | None = None  # what the step is (migration 1140; older rows: null, or 'info_added')
    reporter_id: uuid.UUID | None = None  # the report's reporter, kept by the database (migration 1430)
    photos: list[str] = Field(default_factory=list)
    # The state after the step (migration 1140; null on older rows: typed false)
    department_code: str | None = None
    assignee_id: uuid.UUID | None = None
    category_code: str | None = None
    due_at: datetime | None = None
    rating: int | None = None
    typed: bool = False
    created_at: datetime


class RatingCreate(_Input):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class RatingPublic(_Row):
    report_id: uuid.UUID
    rater_id: uuid.UUID | None = None  # null once the rater's account was deleted
    score: int
    comment: str | None = None
    created_at: datetime


class ReportDetail(_Row):
    """A report with its timeline (oldest first), its tasks and its rating, for the detail screen."""

    report: ReportPublic
    events: list[CaseEventPublic] = Field(default_factory=list)
    tasks: list[TaskPublic] = Field(default_factory=list)
    rating: RatingPublic | None = None


class TransferCreate(_Input):
    """transfer_report's arguments: to a department or to a grid worker, never both."""

    reason: str = Field(min_length=1, max_length=2000)
    to_department: str | None = None
    to_worker: uuid.UUID | None = None


class ResolutionCreate(_Input):
    note: str = Field(min_length=1, max_length=2000)
    photos: list[str] = Field(default_factory=list, max_length=9)


class NearbyReportPublic(_Row):
    """A row of nearby_open_reports: no reporter, description or address; the distance rounded to 10 m."""

    id: uuid.UUID
    category_code: str
    status: ReportStatus
    distance_m: float
    mine: bool = False  # the caller's own case: offered to open, not to follow
    created_at: datetime


class FollowedStep(_Row):
    """One status step of a followed case: no actor, no note."""

    from_status: ReportStatus | None = None
    to_status: ReportStatus
    at: datetime


class FollowedReportPublic(_Row):
    """A case someone else reported that the caller follows: its status, not its content
    (followed_reports; followed_report_status adds the steps). The place is rounded to about 100 m."""

    id: uuid.UUID
    category_code: str
    status: ReportStatus
    approx_lat: float
    approx_lon: float
    created_at: datetime
    updated_at: datetime
    followed_at: datetime
    steps: list[FollowedStep] = Field(default_factory=list)


class NotificationPublic(_Row):
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    title_zh: str
    title_en: str
    payload: dict[str, Any] = Field(default_factory=dict)
    report_id: uuid.UUID | None = None
    sos_alert_id: uuid.UUID | None = None  # added by the SOS migration (0700)
    read_at: datetime | None = None
    created_at: datetime

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang.startswith("en") else self.title_zh


class ReportFollowerPublic(_Row):
    report_id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime


# ---------------------------------------------------------------- SOS (migration 0700)


class SosCreate(_Input):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    note: str | None = Field(default=None, max_length=500)


class SosLocationUpdate(_Input):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)


class SosAlertPublic(_Row):
    """public.sos_alerts: the latest location is on the alert, the trail in sos_locations."""

    id: uuid.UUID
    caller_id: uuid.UUID | None = None  # null once the caller's account was deleted
    grid_id: uuid.UUID | None = None
    street_id: uuid.UUID | None = None
    status: SosStatus
    note: str | None = None
    lat: float
    lon: float
    accuracy_m: float | None = None
    emergency_contacts: list[EmergencyContact] = Field(default_factory=list)
    notified_ids: list[uuid.UUID] = Field(default_factory=list)
    assigned_to: uuid.UUID | None = None
    acknowledged_by: uuid.UUID | None = None
    acknowledged_by_name: str | None = None
    acknowledged_at: datetime | None = None
    on_the_way_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: uuid.UUID | None = None
    resolution_note: str | None = None
    cancelled_at: datetime | None = None
    escalation_level: int = 0
    escalated_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in (SosStatus.SENT, SosStatus.ACKNOWLEDGED, SosStatus.ON_THE_WAY)


class SosLocationPublic(_Row):
    id: int
    alert_id: uuid.UUID
    lat: float
    lon: float
    accuracy_m: float | None = None
    at: datetime


class SosEventPublic(_Row):
    id: int
    alert_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    actor_role: str
    from_status: SosStatus | None = None
    to_status: SosStatus
    escalation_level: int = 0
    note: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
