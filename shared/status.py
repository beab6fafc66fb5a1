"""The case lifecycle, mirrored for the UI.

A mirror of the checks in backend/supabase/migrations/*_case_rpcs.sql, so an app
can show only the buttons that would work. It is never the only guard: each RPC
checks the transition (PT409) and the caller (PT403) in SQL, for every client.
Whether a handler holds the task (which worker, which department, which street)
is known only to the database; `may_offer` takes it as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from shared.models import ReportStatus as S
from shared.models import Role, SosStatus

REOPEN_DAYS = 7  # reopen_report: within 7 days of the resolution


class Action(StrEnum):
    """One per case RPC; the value is the RPC's name."""

    ACCEPT = "accept_report"
    START = "start_report"
    REQUEST_INFO = "request_report_info"
    ANSWER_INFO = "answer_report_info"
    TRANSFER = "transfer_report"
    RESOLVE = "resolve_report"
    REJECT = "reject_report"
    REOPEN = "reopen_report"
    CLOSE = "close_report"
    RATE = "rate_report"
    COMMENT = "comment_report"
    WITHDRAW = "withdraw_report"
    ADD_INFO = "add_report_info"


class Actor(StrEnum):
    """Who may call an action, in the RPCs' words."""

    HANDLER = "handler"  # holds the active task, supervises the street, or the service role
    REPORTER = "reporter"
    REPORTER_OR_SUPERVISOR = "reporter_or_supervisor"
    ANYONE = "anyone"  # anyone who can read the report


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[S]
    to: S | None  # None: the status stays (comment)
    actor: Actor


_OPEN = frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.NEEDS_INFO, S.TRANSFERRED, S.REOPENED})

RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(frozenset({S.DISPATCHED, S.TRANSFERRED, S.REOPENED}), S.ACCEPTED, Actor.HANDLER),
    Action.START: Rule(frozenset({S.ACCEPTED}), S.IN_PROGRESS, Actor.HANDLER),
    Action.REQUEST_INFO: Rule(frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.NEEDS_INFO, Actor.HANDLER),
    Action.ANSWER_INFO: Rule(frozenset({S.NEEDS_INFO}), S.IN_PROGRESS, Actor.REPORTER),
    Action.TRANSFER: Rule(_OPEN, S.TRANSFERRED, Actor.HANDLER),
    Action.RESOLVE: Rule(frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.RESOLVED, Actor.HANDLER),
    Action.REJECT: Rule(_OPEN, S.REJECTED, Actor.HANDLER),
    Action.REOPEN: Rule(frozenset({S.RESOLVED}), S.REOPENED, Actor.REPORTER),
    Action.CLOSE: Rule(frozenset({S.RESOLVED}), S.CLOSED, Actor.REPORTER_OR_SUPERVISOR),
    Action.RATE: Rule(frozenset({S.RESOLVED, S.CLOSED}), S.CLOSED, Actor.REPORTER),
    Action.COMMENT: Rule(frozenset(S), None, Actor.ANYONE),
    Action.WITHDRAW: Rule(_OPEN, S.WITHDRAWN, Actor.REPORTER),  # migration 20261201000800
    Action.ADD_INFO: Rule(_OPEN, None, Actor.REPORTER),
}

HANDLER_ROLES = frozenset({Role.GRID_WORKER, Role.DEPT_STAFF, Role.SUPERVISOR})
# As private.is_open_status (migration 20261201000800) decides it; a test checks the two agree.
OPEN_STATUSES = frozenset(S) - {S.RESOLVED, S.CLOSED, S.REJECTED, S.WITHDRAWN}
FINAL_STATUSES = frozenset({S.CLOSED, S.REJECTED, S.WITHDRAWN})


def is_legal(action: Action, status: S) -> bool:
    """Whether the RPC would accept the transition (ignoring who calls)."""
    return S(status) in RULES[action].allowed_from


def may_offer(action: Action, status: S, role: Role, *, is_reporter: bool = False, holds_case: bool = False,
              resolved_at: datetime | None = None, rated: bool = False, now: datetime | None = None) -> bool:
    """Whether to show `action` to this person for a report in `status`.

    `holds_case`: the person holds the active task or supervises the report's street
    (the apps know it from the task row they read). `rated`: a rating exists.
    """
    if not is_legal(action, status):
        return False
    actor = RULES[action].actor
    if actor is Actor.ANYONE:
        return True
    if actor is Actor.HANDLER:
        return holds_case and Role(role) in HANDLER_ROLES
    if actor is Actor.REPORTER_OR_SUPERVISOR:
        return is_reporter or (Role(role) is Role.SUPERVISOR and holds_case)
    if not is_reporter:
        return False
    if action is Action.RATE:
        return not rated
    if action is Action.REOPEN and resolved_at is not None:
        return _now(now) <= resolved_at + timedelta(days=REOPEN_DAYS)
    return True


def offered_actions(status: S, role: Role, **facts) -> list[Action]:
    """Every action `may_offer` allows, in lifecycle order."""
    return [a for a in Action if may_offer(a, status, role, **facts)]


# ---------------------------------------------------------------- labels

STATUS_LABELS: dict[S, tuple[str, str]] = {
    S.SUBMITTED: ("已提交", "Submitted"),
    S.DISPATCHED: ("已派发", "Dispatched"),
    S.ACCEPTED: ("已受理", "Accepted"),
    S.IN_PROGRESS: ("处理中", "In progress"),
    S.NEEDS_INFO: ("待补充信息", "Needs information"),
    S.TRANSFERRED: ("已转派", "Transferred"),
    S.RESOLVED: ("已办结", "Resolved"),
    S.CLOSED: ("已关闭", "Closed"),
    S.REJECTED: ("不予受理", "Rejected"),
    S.REOPENED: ("已重新打开", "Reopened"),
    S.WITHDRAWN: ("已撤回", "Withdrawn"),
}

ACTION_LABELS: dict[Action, tuple[str, str]] = {
    Action.ACCEPT: ("受理", "Accept"),
    Action.START: ("开始处理", "Start work"),
    Action.REQUEST_INFO: ("请求补充信息", "Ask for information"),
    Action.ANSWER_INFO: ("补充信息", "Answer"),
    Action.TRANSFER: ("转派", "Transfer"),
    Action.RESOLVE: ("办结", "Resolve"),
    Action.REJECT: ("不予受理", "Reject"),
    Action.REOPEN: ("重新打开", "Reopen"),
    Action.CLOSE: ("关闭", "Close"),
    Action.RATE: ("评价", "Rate"),
    Action.COMMENT: ("留言", "Comment"),
    Action.WITHDRAW: ("撤回", "Withdraw"),
    Action.ADD_INFO: ("补充说明", "Add information"),
}


SOS_LABELS: dict[SosStatus, tuple[str, str]] = {
    SosStatus.SENT: ("求助已发出", "Sent"),
    SosStatus.ACKNOWLEDGED: ("已有人响应", "Acknowledged"),
    SosStatus.ON_THE_WAY: ("正在赶来", "On the way"),
    SosStatus.RESOLVED: ("已处置", "Resolved"),
    SosStatus.CANCELLED: ("已取消", "Cancelled"),
}


def _lang(locale: str) -> int:
    return 1 if locale.lower().startswith("en") else 0


def status_label(status: S | str, locale: str = "zh-CN") -> str:
    return STATUS_LABELS[S(status)][_lang(locale)]


def sos_label(status: SosStatus | str, locale: str = "zh-CN") -> str:
    return SOS_LABELS[SosStatus(status)][_lang(locale)]


def action_label(action: Action | str, locale: str = "zh-CN") -> str:
    return ACTION_LABELS[Action(action)][_lang(locale)]


# ---------------------------------------------------------------- SLA


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(timezone.utc)


def time_left(due_at: datetime | None, now: datetime | None = None) -> timedelta | None:
    """Time until the due time (negative when overdue); None when the case has no SLA."""
    return None if due_at is None else due_at - _now(now)


def is_overdue(due_at: datetime | None, status: S | str, now: datetime | None = None) -> bool:
    """Overdue: past its due time and still open (a resolved, closed or rejected case never is)."""
    left = time_left(due_at, now)
    return left is not None and left < timedelta(0) and S(status) in OPEN_STATUSES


def sla_text(due_at: datetime | None, status: S | str, locale: str = "zh-CN", now: datetime | None = None) -> str:
    """'剩余 5 小时' / '5 h left', '已超时 2 小时' / '2 h overdue', '' without an SLA or once done."""
    left = time_left(due_at, now)
    if left is None or S(status) not in OPEN_STATUSES:
        return ""
    en = _lang(locale) == 1
    minutes = int(abs(left.total_seconds()) // 60)
    if minutes >= 48 * 60:
        amount = f"{minutes // 1440} d" if en else f"{minutes // 1440} 天"
    elif minutes >= 60:
        amount = f"{minutes // 60} h" if en else f"{minutes // 60} 小时"
    else:
        amount = f"{minutes} min" if en else f"{minutes} 分钟"
    if left < timedelta(0):
        return f"{amount} overdue" if en else f"已超时 {amount}"
    return f"{amount} left" if en else f"剩余 {amount}"


# ---------------------------------------------------------------- grid app: handler's menu

def holds_case(task_queue: str | None, assignee_id: object, task_department: str | None, role: Role,
               me: object, my_departments: frozenset[str] = frozenset()) -> bool:
    """Whether the person holds a (visible) case, as private.may_handle decides it in SQL."""
    role = Role(role)
    if role is Role.SUPERVISOR:
        return True  # a supervisor sees only the cases of their streets, and may handle each
    if task_queue == "worker":
        return role is Role.GRID_WORKER and assignee_id is not None and str(assignee_id) == str(me)
    if task_queue == "department":
        return role is Role.DEPT_STAFF and task_department in my_departments
    return False


def grid_actions(status: S, role: Role, *, holds: bool) -> list[str]:
    """What the grid app offers on a case: the handler RPCs the state allows, a note always, and the
    extras of migration 1100 (re-categorise, escalate; open cases, handler only). How each is asked
    for and sent: shared/case_actions.py."""
    offered = [a.value for a in offered_actions(status, role, holds_case=holds)
               if RULES[a].actor is Actor.HANDLER]
    offered.append(Action.COMMENT.value)
    if holds and Role(role) in HANDLER_ROLES and S(status) in _OPEN:
        offered.append("change_report_category")
        if Role(role) is not Role.SUPERVISOR:
            offered.append("escalate_report")
    return offered
