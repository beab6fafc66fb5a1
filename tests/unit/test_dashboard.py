"""shared.dashboard: the figures of the grid app's dashboard from the visible reports."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared.dashboard import summarise
from shared.models import ReportPublic

NOW = datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)  # 14:00 in the city (UTC+8)
G1, G2 = uuid.uuid4(), uuid.uuid4()


def report(status: str, *, age_d: float, category="01.01.001", grid=G1, due_h: float | None = 24,
           resolved_after_h: float | None = None) -> ReportPublic:
    created = NOW - timedelta(days=age_d)
    resolved = created + timedelta(hours=resolved_after_h) if resolved_after_h is not None else None
    return ReportPublic(id=uuid.uuid4(), category_code=category, description="d", lat=39.1, lon=117.2,
                        source="citizen_app", status=status, grid_id=grid, created_at=created, updated_at=created,
                        due_at=created + timedelta(hours=due_h) if due_h else None, resolved_at=resolved)


def test_figures_over_7_and_30_days() -> None:
    rows = [
        report("dispatched", age_d=0.1),  # open, on time
        report("in_progress", age_d=3, category="05.01.001", grid=G2),  # open, overdue (due after 24 h)
        report("resolved", age_d=0.5, resolved_after_h=4),  # resolved today (city time)
        report("closed", age_d=10, category="05.02.001", resolved_after_h=10),  # in 30 days only
        report("rejected", age_d=2, grid=None),
        report("accepted", age_d=40, due_h=None),  # older than 30 days but still open: counted as open
    ]
    week = summarise(rows, 7, NOW)
    assert (week.open, week.overdue, week.resolved_today) == (3, 1, 1)
    assert week.avg_handling_hours == 4.0
    assert week.by_category == [("01", 3), ("05", 1)]
    assert week.by_grid == [(str(G1), 2), (str(G2), 1), (None, 1)]
    month = summarise(rows, 30, NOW)
    assert month.avg_handling_hours == 7.0
    assert month.by_category == [("01", 3), ("05", 2)]
    assert len(month.open_points) == 3 and sum(p.overdue for p in month.open_points) == 1


def test_no_resolved_case_means_no_average() -> None:
    assert summarise([report("dispatched", age_d=1)], 7, NOW).avg_handling_hours is None
