"""shared.status mirrors the case RPCs' checks (0600, 20261201000800) for the UI; the database stays the guard."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.models import ReportStatus as S
from shared.models import Role
from shared.status import (RULES, Action, is_legal, is_overdue, may_offer, offered_actions, sla_text, status_label,
                           time_left, action_label)

_MIGRATIONS = Path(__file__).parents[2] / "backend/supabase/migrations"
MIGRATIONS = [next(_MIGRATIONS.glob(f"*_{name}.sql")) for name in ("case_rpcs", "withdraw_and_add_info")]
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def sql_allowed() -> dict[str, set[str]]:
    """Each RPC's require_status list, read from the migration itself."""
    text = "\n".join(m.read_text(encoding="utf-8") for m in MIGRATIONS)
    found = {}
    for name, body in re.findall(r"create function public\.(\w+)\(.*?\n(.*?)\n\$\$;", text, re.S):
        m = re.search(r"require_status\(r, '\{([a-z_,]+)\}'", body)
        if m:
            found[name] = set(m.group(1).split(","))
    return found


def test_the_mirror_matches_every_require_status_in_the_sql() -> None:
    sql = sql_allowed()
    assert set(sql) == {a.value for a in Action} - {"comment_report"}
    for action, rule in RULES.items():
        if action is Action.COMMENT:
            assert rule.allowed_from == frozenset(S)
        else:
            assert {s.value for s in rule.allowed_from} == sql[action.value], action


def test_the_happy_path_and_illegal_moves() -> None:
    assert is_legal(Action.ACCEPT, S.DISPATCHED)
    assert not is_legal(Action.START, S.DISPATCHED)
    assert not is_legal(Action.RESOLVE, S.CLOSED)
    assert offered_actions(S.DISPATCHED, Role.GRID_WORKER, holds_case=True) == [
        Action.ACCEPT, Action.TRANSFER, Action.REJECT, Action.COMMENT]
    assert offered_actions(S.IN_PROGRESS, Role.GRID_WORKER, holds_case=True) == [
        Action.REQUEST_INFO, Action.TRANSFER, Action.RESOLVE, Action.REJECT, Action.COMMENT]


def test_who_may_act() -> None:
    # A worker who does not hold the case sees no handler action; a citizen never does.
    assert not may_offer(Action.ACCEPT, S.DISPATCHED, Role.GRID_WORKER, holds_case=False)
    assert not may_offer(Action.ACCEPT, S.DISPATCHED, Role.CITIZEN, holds_case=True)
    assert may_offer(Action.ANSWER_INFO, S.NEEDS_INFO, Role.CITIZEN, is_reporter=True)
    assert not may_offer(Action.ANSWER_INFO, S.NEEDS_INFO, Role.GRID_WORKER, holds_case=True)
    assert may_offer(Action.CLOSE, S.RESOLVED, Role.SUPERVISOR, holds_case=True)
    assert not may_offer(Action.CLOSE, S.RESOLVED, Role.GRID_WORKER, holds_case=True)
    assert offered_actions(S.RESOLVED, Role.CITIZEN, is_reporter=True, resolved_at=NOW, now=NOW) == [
        Action.REOPEN, Action.CLOSE, Action.RATE, Action.COMMENT]


def test_reopen_window_and_rating_once() -> None:
    resolved = NOW - timedelta(days=8)
    assert not may_offer(Action.REOPEN, S.RESOLVED, Role.CITIZEN, is_reporter=True, resolved_at=resolved, now=NOW)
    assert may_offer(Action.REOPEN, S.RESOLVED, Role.CITIZEN, is_reporter=True,
                     resolved_at=NOW - timedelta(days=6), now=NOW)
    assert may_offer(Action.RATE, S.CLOSED, Role.CITIZEN, is_reporter=True)
    assert not may_offer(Action.RATE, S.CLOSED, Role.CITIZEN, is_reporter=True, rated=True)


@pytest.mark.parametrize("status", list(S))
def test_every_status_has_labels_in_both_languages(status) -> None:
    zh, en = status_label(status), status_label(status, "en")
    assert zh and en and zh != en
    assert re.search(r"[\u4e00-\u9fff]", zh)


def test_action_labels() -> None:
    assert action_label(Action.ACCEPT) == "受理"
    assert action_label("resolve_report", "en") == "Resolve"
    assert all(action_label(a) and action_label(a, "en") for a in Action)


def test_sla() -> None:
    due = NOW + timedelta(hours=5, minutes=10)
    assert time_left(due, NOW) == timedelta(hours=5, minutes=10)
    assert time_left(None, NOW) is None
    assert not is_overdue(due, S.ACCEPTED, NOW)
    assert is_overdue(NOW - timedelta(minutes=1), S.ACCEPTED, NOW)
    assert not is_overdue(NOW - timedelta(days=1), S.RESOLVED, NOW)  # done cases are never overdue
    assert not is_overdue(None, S.ACCEPTED, NOW)
    assert sla_text(due, S.ACCEPTED, "zh-CN", NOW) == "剩余 5 小时"
    assert sla_text(due, S.ACCEPTED, "en", NOW) == "5 h left"
    assert sla_text(NOW - timedelta(minutes=30), S.IN_PROGRESS, "en", NOW) == "30 min overdue"
    assert sla_text(NOW - timedelta(days=3), S.IN_PROGRESS, "zh", NOW) == "已超时 3 天"
    assert sla_text(due, S.CLOSED, "en", NOW) == ""


def test_sos_labels() -> None:
    from shared.models import SosStatus
    from shared.status import sos_label

    assert all(sos_label(s) and sos_label(s, "en") and sos_label(s) != sos_label(s, "en") for s in SosStatus)
    assert sos_label("on_the_way", "en") == "On the way"


# ---------------------------------------------------------------- grid app menu (grid_actions, holds_case)

from shared.status import grid_actions, holds_case  # noqa: E402


def test_grid_menu_offers_handler_actions_only_to_the_holder() -> None:
    me = "u1"
    assert holds_case("worker", me, None, Role.GRID_WORKER, me)
    assert not holds_case("worker", "someone", None, Role.GRID_WORKER, me)
    assert holds_case("department", None, "water", Role.DEPT_STAFF, me, frozenset({"water"}))
    assert not holds_case("department", None, "water", Role.DEPT_STAFF, me, frozenset({"environment"}))
    assert holds_case("supervisor", None, None, Role.SUPERVISOR, me)
    held = grid_actions(S.DISPATCHED, Role.GRID_WORKER, holds=True)
    assert held == ["accept_report", "transfer_report", "reject_report", "comment_report",
                    "change_report_category", "escalate_report"]
    assert grid_actions(S.DISPATCHED, Role.GRID_WORKER, holds=False) == ["comment_report"]
    assert "resolve_report" in grid_actions(S.IN_PROGRESS, Role.GRID_WORKER, holds=True)
    assert grid_actions(S.RESOLVED, Role.GRID_WORKER, holds=True) == ["comment_report"]
    assert "escalate_report" not in grid_actions(S.ACCEPTED, Role.SUPERVISOR, holds=True)
