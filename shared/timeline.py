"""A case's full timeline, ready to show: what happened, who, when, how long it took (flet-free).

Built from `case_events` (oldest first). Each step says what (the status it moved
to, or the note for a comment), who (the role, or the department for department
steps), when, the time since the previous step and the total time since the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from shared.localtime import to_local
from shared.models import CaseEventPublic, DepartmentPublic, ReportPublic
from shared.status import status_label

ACTOR_LABELS: dict[str, tuple[str, str]] = {
    "citizen": ("市民", "Resident"),
    "system": ("系统", "System"),
    "grid_worker": ("网格员", "Grid worker"),
    "dept_staff": ("部门", "Department"),
    "supervisor": ("街道督办", "Supervisor"),
    "admin": ("管理员", "Administrator"),
}


def _en(locale: str) -> bool:
    return locale.lower().startswith("en")


def format_duration(span: timedelta, locale: str = "zh-CN") -> str:
    """'2天3小时' / '2 d 3 h', '5小时12分' / '5 h 12 min', '3分钟' / '3 min', '不到1分钟' / 'under 1 min'.

    Two units at most: a resident wants the order of magnitude, not the seconds.
    """
    en = _en(locale)
    minutes = int(max(span, timedelta(0)).total_seconds() // 60)
    if minutes < 1:
        return "under 1 min" if en else "不到1分钟"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [(days, "d", "天"), (hours, "h", "小时")]
    elif hours:
        parts = [(hours, "h", "小时"), (mins, "min", "分")]
    else:
        return f"{mins} min" if en else f"{mins}分钟"
    shown = [p for i, p in enumerate(parts) if i == 0 or p[0]]
    return " ".join(f"{n} {u_en}" for n, u_en, _ in shown) if en else "".join(f"{n}{u_zh}" for n, _, u_zh in shown)


def format_when(moment: datetime, locale: str = "zh-CN", tz: timezone | None = None) -> str:
    """'11月21日 14:05' / 'Nov 21, 14:05' on the city's clock (shared.localtime), or in `tz`."""
    local = moment.astimezone(tz) if tz else to_local(moment)
    if _en(locale):
        return local.strftime("%b %d, %H:%M").replace(" 0", " ")
    return f"{local.month}月{local.day}日 {local:%H:%M}"


@dataclass(frozen=True)
class TimelineStep:
    what: str
    who: str
    when: str
    since_previous: str | None  # None for the first step
    note: str | None
    status: str
    at: datetime
    photos: tuple[str, ...] = ()  # storage names the step added (information the reporter added)
    kind: str | None = None  # case_events.kind: 'info_added', else None


def added_info(steps: Sequence[TimelineStep]) -> list[TimelineStep]:
    """The steps where the reporter added information (a note, photos), oldest first."""
    return [step for step in steps if step.kind == "info_added"]


@dataclass(frozen=True)
class Timeline:
    steps: list[TimelineStep]
    total: str  # from the first step to the last (or to now while the case is open)


def _dispatch_target(note: str | None, departments: Mapping[str, DepartmentPublic], locale: str) -> str | None:
    """The dispatch trigger's note ('grid worker', 'department <code>', 'supervisor queue') in words."""
    if not note:
        return None
    en = _en(locale)
    if note == "grid worker":
        return "Sent to the grid worker" if en else "派给网格员"
    if note == "supervisor queue":
        return "Sent to the street supervisors" if en else "派给街道督办"
    if note.startswith("department "):
        department = departments.get(note.removeprefix("department "))
        name = (department.name_en if en else department.name_zh) if department else note.removeprefix("department ")
        return f"Sent to {name}" if en else f"派给{name}"
    return None


# Notes the database writes itself (case_rpcs: rate_report), in English: worded per language here.
_RATED = re.compile(r"rated ([1-5])/5")


def note_text(note: str | None, locale: str = "zh-CN") -> str | None:
    """A step's note as the reader reads it: 'rated 5/5' -> '评分 5/5' in Chinese."""
    rated = _RATED.fullmatch(note or "")
    if rated:
        return f"Rated {rated.group(1)}/5" if _en(locale) else f"评分 {rated.group(1)}/5"
    return note


def who_label(event: CaseEventPublic, report: ReportPublic | None, departments: Mapping[str, DepartmentPublic],
              locale: str = "zh-CN") -> str:
    role = event.actor_role or "system"
    zh, en = ACTOR_LABELS.get(role, (role, role))
    label = en if _en(locale) else zh
    department = departments.get(report.department_code) if report and report.department_code else None
    if role in ("dept_staff", "system") and department is not None and event.to_status.value in (
            "dispatched", "transferred", "accepted", "in_progress", "resolved"):
        name = department.name_en if _en(locale) else department.name_zh
        return f"{label} · {name}" if role == "dept_staff" else name
    return label


def build_timeline(events: Sequence[CaseEventPublic], report: ReportPublic | None = None,
                   departments: Mapping[str, DepartmentPublic] | None = None, locale: str = "zh-CN",
                   now: datetime | None = None, open_case: bool = False) -> Timeline:
    departments = departments or {}
    ordered = sorted(events, key=lambda e: (e.created_at, e.id))
    steps = []
    previous: datetime | None = None
    for event in ordered:
        what = status_label(event.to_status, locale)
        if event.kind == "info_added":
            what = "补充说明" if not _en(locale) else "Information added"
        elif event.from_status == event.to_status:  # a comment or an answer keeps the status
            what = "留言" if not _en(locale) else "Comment"
        who, note = who_label(event, report, departments, locale), note_text(event.note, locale)
        target = _dispatch_target(note, departments, locale) if event.actor_role == "system" else None
        if target:
            who, note = f"{who} · {target}", None
        steps.append(TimelineStep(
            what=what, who=who, when=format_when(event.created_at, locale),
            since_previous=None if previous is None else format_duration(event.created_at - previous, locale),
            note=note, status=event.to_status.value, at=event.created_at, photos=tuple(event.photos),
            kind=event.kind))
        previous = event.created_at
    if not ordered:
        return Timeline(steps=[], total=format_duration(timedelta(0), locale))
    end = (now or datetime.now(timezone.utc)) if open_case else ordered[-1].created_at
    return Timeline(steps=steps, total=format_duration(end - ordered[0].created_at, locale))
