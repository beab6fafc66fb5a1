"""shared.timeline: every step of a case with what, who, when, time since the previous step, total."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.models import CaseEventPublic, DepartmentPublic, ReportPublic
from shared.timeline import added_info, build_timeline, format_duration, format_when

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)  # 14:00 in Beijing
RID = uuid.uuid4()


def event(n: int, minutes: float, to: str, frm: str | None, role: str, note: str | None = None) -> CaseEventPublic:
    return CaseEventPublic(id=n, report_id=RID, actor_role=role, from_status=frm, to_status=to, note=note,
                           created_at=T0 + timedelta(minutes=minutes))


REPORT = ReportPublic(id=RID, category_code="02.03.001", description="路灯不亮", lat=39.1, lon=117.2,
                      department_code="city_mgmt", source="citizen_app", status="resolved", created_at=T0,
                      updated_at=T0)
DEPARTMENTS = {"city_mgmt": DepartmentPublic(code="city_mgmt", name_zh="城市管理", name_en="City management")}
EVENTS = [
    event(1, 0, "submitted", None, "citizen"),
    event(2, 0.2, "dispatched", "submitted", "system", "grid worker"),
    event(3, 45, "accepted", "dispatched", "grid_worker"),
    event(4, 45 + 130, "resolved", "accepted", "dept_staff", "已更换灯泡"),
]


@pytest.mark.parametrize("span, zh, en", [
    (timedelta(seconds=20), "不到1分钟", "under 1 min"), (timedelta(minutes=7), "7分钟", "7 min"),
    (timedelta(hours=2, minutes=10), "2小时10分", "2 h 10 min"), (timedelta(hours=3), "3小时", "3 h"),
    (timedelta(days=2, hours=5, minutes=9), "2天5小时", "2 d 5 h"), (timedelta(days=1), "1天", "1 d"),
    (timedelta(minutes=-5), "不到1分钟", "under 1 min"),
])
def test_durations_in_two_units_at_most(span, zh, en) -> None:
    assert format_duration(span) == zh and format_duration(span, "en") == en


def test_times_are_shown_in_china_time() -> None:
    assert format_when(T0) == "11月21日 14:00" and format_when(T0, "en") == "Nov 21, 14:00"


def test_full_timeline_what_who_when_and_durations() -> None:
    tl = build_timeline(list(reversed(EVENTS)), REPORT, DEPARTMENTS)  # any order in, oldest first out
    assert [s.what for s in tl.steps] == ["已提交", "已派发", "已受理", "已办结"]
    assert [s.who for s in tl.steps] == ["市民", "城市管理 · 派给网格员", "网格员", "部门 · 城市管理"]
    assert tl.steps[1].note is None  # the dispatch note is shown as words, not as the trigger's code
    assert [s.since_previous for s in tl.steps] == [None, "不到1分钟", "44分钟", "2小时10分"]
    assert tl.steps[2].when == "11月21日 14:45" and tl.steps[3].note == "已更换灯泡"
    assert tl.total == "2小时55分"


def test_english_timeline_and_an_open_case_counts_until_now() -> None:
    tl = build_timeline(EVENTS[:3], REPORT, DEPARTMENTS, "en", now=T0 + timedelta(hours=5), open_case=True)
    assert [s.what for s in tl.steps][:2] == ["Submitted", "Dispatched"]
    assert tl.steps[2].who == "Grid worker" and tl.total == "5 h"


def test_dispatch_to_a_department_or_the_supervisors_in_words() -> None:
    events = [event(1, 0, "submitted", None, "citizen"), event(2, 1, "dispatched", "submitted", "system",
                                                                 "department city_mgmt")]
    assert build_timeline(events, None, DEPARTMENTS, "en").steps[1].who == "System · Sent to City management"
    events[1] = event(2, 1, "dispatched", "submitted", "system", "supervisor queue")
    assert build_timeline(events).steps[1].who == "系统 · 派给街道督办"


def test_a_comment_is_a_step_that_keeps_the_status() -> None:
    tl = build_timeline([EVENTS[0], event(2, 3, "submitted", "submitted", "citizen", "补充照片")])
    assert tl.steps[1].what == "留言" and tl.steps[1].note == "补充照片" and tl.steps[1].since_previous == "3分钟"


def test_no_events_no_steps() -> None:
    assert build_timeline([]).steps == []


def test_the_rating_step_is_worded_in_the_readers_language() -> None:
    rated = [EVENTS[0], event(2, 60, "closed", "resolved", "citizen", "rated 5/5")]
    assert build_timeline(rated, REPORT, DEPARTMENTS, "zh-CN").steps[1].note == "评分 5/5"
    assert build_timeline(rated, REPORT, DEPARTMENTS, "en").steps[1].note == "Rated 5/5"
    # A note someone typed that merely looks alike stays as written.
    typed = [EVENTS[0], event(2, 3, "submitted", "submitted", "citizen", "rated 5/5 by my neighbour")]
    assert build_timeline(typed).steps[1].note == "rated 5/5 by my neighbour"


def test_information_the_reporter_added_is_its_own_step_with_its_photos() -> None:
    added = CaseEventPublic(id=5, report_id=RID, actor_role="citizen", from_status="dispatched", to_status="dispatched",
                            note="在3号楼东侧", kind="info_added", photos=["u/a.jpg"], created_at=T0 + timedelta(minutes=3))
    steps = build_timeline(EVENTS[:2] + [added], REPORT, DEPARTMENTS).steps
    assert (steps[-1].what, steps[-1].note, steps[-1].photos) == ("补充说明", "在3号楼东侧", ("u/a.jpg",))
    assert build_timeline([added], REPORT, DEPARTMENTS, "en").steps[0].what == "Information added"
    assert added_info(steps) == [steps[-1]]


def test_a_withdrawn_case_says_so() -> None:
    withdrawn = event(5, 60, "withdrawn", "accepted", "citizen", "不需要了")
    steps = build_timeline(EVENTS[:3] + [withdrawn], REPORT, DEPARTMENTS).steps
    assert (steps[-1].what, steps[-1].note) == ("已撤回", "不需要了")
