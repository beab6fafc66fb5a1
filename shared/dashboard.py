"""Dashboard figures from the reports a person may see (CityClient.worker.visible_reports).

Computed here rather than in SQL: RLS already limits the rows to the caller's grids,
department or street, the window is at most 30 days of one street (hundreds to a few
thousand rows), and the same rows feed the map. A city-wide view would move this into
an RPC with aggregates. Never imports flet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from shared.chart_scale import Scale, nice_scale
from shared.localtime import city_tz
from shared.models import ReportPublic, ReportStatus
from shared.status import OPEN_STATUSES, is_overdue

DONE = frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED})


@dataclass(frozen=True)
class OpenPoint:
    report_id: str
    lat: float
    lon: float
    overdue: bool


@dataclass(frozen=True)
class Dashboard:
    days: int
    open: int
    overdue: int
    resolved_today: int
    avg_handling_hours: float | None  # created -> resolved, over cases resolved in the window
    by_category: list[tuple[str, int]]  # major category code, reports created in the window, most first
    by_grid: list[tuple[str | None, int]]  # grid id (None: outside every grid)
    open_points: list[OpenPoint]


def summarise(reports: list[ReportPublic], days: int, now: datetime | None = None,
              tz: tzinfo | None = None) -> Dashboard:
    # "today" is the city's day, not UTC's.
    tz = tz or city_tz()
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(days=days)
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    open_reports = [r for r in reports if r.status in OPEN_STATUSES]
    window = [r for r in reports if r.created_at >= since]
    resolved = [r for r in reports if r.status in DONE and r.resolved_at is not None and r.resolved_at >= since]
    hours = [(r.resolved_at - r.created_at).total_seconds() / 3600 for r in resolved]
    return Dashboard(
        days=days,
        open=len(open_reports),
        overdue=sum(is_overdue(r.due_at, r.status, now) for r in open_reports),
        resolved_today=sum(1 for r in resolved if r.resolved_at >= today),
        avg_handling_hours=round(sum(hours) / len(hours), 1) if hours else None,
        by_category=_ranked(Counter(r.category_code[:2] for r in window)),
        by_grid=_ranked(Counter(str(r.grid_id) if r.grid_id else None for r in window)),
        open_points=[OpenPoint(str(r.id), r.lat, r.lon, is_overdue(r.due_at, r.status, now)) for r in open_reports],
    )


@dataclass(frozen=True)
class Bars:
    """A bar chart's data: named counts, most first, and a scale in whole reports."""

    labels: list[str]
    values: list[int]
    scale: Scale


def bar_series(named: list[tuple[str, int]], limit: int = 10) -> Bars:
    """The first `limit` of `named` (a Dashboard ranking with names put in) as bars."""
    shown = named[:limit]
    return Bars(labels=[name for name, _ in shown], values=[n for _, n in shown],
                scale=nice_scale(max((n for _, n in shown), default=0), whole=True))


def _ranked(counter: Counter) -> list:
    # Most first; on a tie by code, with "outside every grid" (None) last.
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] is None, str(kv[0])))
