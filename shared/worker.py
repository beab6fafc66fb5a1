"""The shapes of what staff read beyond reports and tasks (the calls: `shared.facades.worker`).

The RPCs are in backend/supabase/migrations/20261121001100_grid_app.sql.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.limits import PHONE_MAX_LENGTH, PHONE_PATTERN

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
