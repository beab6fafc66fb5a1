"""The resident app's views without a browser: routes, guard, home, report form, case detail, elderly theme."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import flet as ft
import pytest

from citizen_app import device
from citizen_app.routes import ROUTES, Route, Screen, build_screen, guard, match
from citizen_app.theme import ELDERLY, MAIN_TEXT, MUTED_TEXT, NORMAL
from citizen_app.views.case_detail import CaseDetailView
from citizen_app.views.home import HomeView
from shared.ui.report_form import ReportForm
from shared.limits import MAX_PHOTOS
from shared.models import CaseEventPublic, ReportDetail, ReportPublic, UserPublic
from shared.status import Action
from shared.taxonomy import load_taxonomy
from tests.apps.citizen_support import jpeg, new_state

NOW = datetime.now(timezone.utc)


@pytest.fixture()
def state(tmp_path):
    s = new_state("http://127.0.0.1:9", "anon", tmp_path)
    s.user = UserPublic(id=uuid.uuid4(), email="a@b.cn")
    return s


def report(status: str = "dispatched", reporter=None, **extra) -> ReportPublic:
    return ReportPublic(id=uuid.uuid4(), reporter_id=reporter, category_code="02.03.001", description="门口路灯坏了\n详情",
                        lat=39.125, lon=117.19, source="citizen_app", status=status, created_at=NOW, updated_at=NOW,
                        **extra)


def texts(control) -> list[str]:
    """Every string a control tree shows."""
    found = []

    def walk(c):
        if isinstance(c, ft.Text) and c.value:
            found.append(c.value)
        if isinstance(c, str):
            found.append(c)
        for name in ("content", "controls", "title", "label"):
            child = getattr(c, name, None)
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, (ft.Control, str)):
                    walk(item)

    walk(control)
    return found


def test_one_route_table_with_parameters_and_a_guard() -> None:
    assert match("/cases/abc")[1] == {"id": "abc"}
    assert match("/nowhere") is None
    assert guard("/report", signed_in=False) == "/sign-in"
    assert guard("/sign-in", signed_in=True) == "/"
    assert guard("/nowhere", signed_in=True) == "/"
    assert guard("/cases/x", signed_in=True) == "/cases/x"
    assert {r.pattern for r in ROUTES} >= {"/", "/report", "/pay", "/sos", "/cases", "/cases/:id", "/profile"}


async def test_a_route_whose_module_is_missing_shows_coming_soon(state, monkeypatch) -> None:
    monkeypatch.setattr("citizen_app.routes.ROUTES", [Route("/later", "citizen_app.views.not_written_yet:build",
                                                            title_key="home.pay")])
    screen = await build_screen(state, "/later")
    assert isinstance(screen, Screen) and screen.title == "缴费"
    assert "该功能即将上线" in texts(screen.content)


def test_home_shows_three_actions_open_cases_and_unread(state) -> None:
    view = HomeView(state)
    mine = [report("dispatched", state.user.id), report("closed", state.user.id)]
    view.show(mine)
    shown = texts(view.root)
    assert {"随手拍", "缴费", "一键求助"} <= set(shown)
    assert shown.count("门口路灯坏了") == 1 and "已派发" in shown and "已关闭" not in shown


def test_elderly_home_has_only_the_actions_and_the_latest_case(state) -> None:
    state.elderly = True
    view = HomeView(state)
    view.show([report("closed", state.user.id), report("dispatched", state.user.id)])
    shown = texts(view.root)
    assert "我最近的上报" in shown and shown.count("门口路灯坏了") == 1
    assert "拍照上报身边问题" not in shown  # no subtitles: less to read
    assert not view.unread.visible


def test_report_form_suggests_a_category_and_names_what_is_missing(state) -> None:
    form = ReportForm(state)
    form.description.value = "路灯不亮"
    form.on_describe()
    assert form.flow.draft.category_code == "02.03.001"
    assert form.category.value == "市政设施 / 照明设施 / 路灯不亮"
    assert [c.selected for c in form.suggestions.controls][0]
    form.category_search.value = "井盖"
    form.on_search()
    assert form.search_results.controls
    form.choose(form.flow.search_categories("井盖")[0].code)
    assert form.flow.category_chosen_by_hand and "井盖" in form.category.value


async def test_report_form_submit_without_photo_or_location_shows_plain_problems(state) -> None:
    form = ReportForm(state)
    form.description.value = "路灯不亮"
    form.on_describe()
    await form.submit()
    assert texts(form.problems) == ["请确定问题的位置"]  # a photo is optional


async def test_report_form_photos_at_most_the_limit_and_the_map_pin_moves(state) -> None:
    form = ReportForm(state)  # the limit is the database's (shared.limits.MAX_PHOTOS, 9; once 3 in the form)
    for _ in range(MAX_PHOTOS + 1):
        form.flow.add_photo(jpeg(40, 30))
    form.show_photos()
    assert len(form.photos.controls) == MAX_PHOTOS and not form.add_photo_button.visible
    form.remove_photo(0)
    assert len(form.photos.controls) == MAX_PHOTOS - 1 and form.add_photo_button.visible
    await form.set_location(39.1, 117.2)
    assert form.pin.visible and form.pin.coordinates.latitude == 39.1
    assert form.address.value == "不在任何网格内"  # no areas loaded: said plainly


def test_on_behalf_form_asks_for_the_resident(state) -> None:
    form = ReportForm(state, on_behalf=True)
    assert form.resident_name.visible and form.flow.draft.source.value == "grid_app"


def test_case_detail_shows_the_full_timeline_and_the_rating_when_resolved(state) -> None:
    view = CaseDetailView(state, str(uuid.uuid4()))
    r = report("resolved", state.user.id, resolved_at=NOW, resolution_note="已修好")
    events = [CaseEventPublic(id=i, report_id=r.id, actor_role=role, from_status=frm, to_status=to,
                              created_at=NOW - timedelta(hours=3) + timedelta(minutes=m))
              for i, (role, frm, to, m) in enumerate([("citizen", None, "submitted", 0),
                                                      ("system", "submitted", "dispatched", 1),
                                                      ("grid_worker", "dispatched", "resolved", 121)])]
    view.case.detail = ReportDetail(report=r, events=events)
    view.show()
    shown = texts(view.root)
    steps = texts(view.body.controls[-1])  # the timeline, last on the screen
    assert [s for s in steps if s in ("已提交", "已派发", "已办结")] == ["已提交", "已派发", "已办结"]
    assert "市民" in steps and "网格员" in steps
    assert "距上一步 2小时" in shown and "共用时 2小时1分" in shown and "处理结果：已修好" in shown
    assert set(view.case.actions()) == {Action.RATE, Action.REOPEN}
    assert len(view.stars.controls) == 5
    view.set_score(4)
    assert view.score == 4


def contrast(a: str, b: str) -> float:
    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_elderly_sizes_and_contrast_meet_the_issue() -> None:
    assert ELDERLY.body >= 22 and ELDERLY.small >= 22 and ELDERLY.target >= 60 and ELDERLY.line_height >= 1.3
    assert NORMAL.line_height >= 1.3
    assert contrast(MAIN_TEXT, "#ffffff") >= 7 and contrast(MUTED_TEXT, "#ffffff") >= 7


def test_device_features_never_fail_where_the_platform_lacks_them() -> None:
    # On this server there is no vibrator, notifier or speech: each says so with False.
    assert device.vibrate() in (True, False)
    assert device.notify("城市圈", "测试") in (True, False)
    assert device.speak("") is False


async def test_sign_in_form_says_what_is_missing(state) -> None:
    from citizen_app.views.account import AccountForm

    state.user = None
    form = AccountForm(state, sign_up=False)
    assert not await form.submit()
    assert state.shell.messages[-1] == ("请输入手机号或邮箱", True)
    form.identifier.value = "13800000000"
    assert not await form.submit()
    assert state.shell.messages[-1] == ("请输入密码", True)


async def test_the_contact_form_refuses_an_incomplete_or_bad_contact_before_sending(state) -> None:
    from citizen_app.views.profile import ProfileView

    section = ProfileView(state).contacts
    section.name.value = "李强"
    assert not await section.invite()
    assert state.shell.messages[-1] == ("请填写联系人姓名和电话", True)
    section.phone.value = "010-1234 5678"  # a landline cannot confirm an invitation
    assert not await section.invite()
    assert state.shell.messages[-1] == ("请输入11位手机号", True)
    section.phone.value = "+86 139-0000-2222"
    assert section.form().problem() is None
    assert state.shell.busy == []  # refused in the form: nothing was sent


async def test_the_whole_switch_row_toggles(state) -> None:
    from citizen_app.theme import switch

    seen = []

    async def changed(_e) -> None:
        seen.append(control.value)

    row, control = switch("长辈模式", False, changed, elderly=True)
    assert row.height >= 60
    await row.on_click(None)
    assert control.value is True and seen == [True]


async def test_the_report_form_builds_the_category_suggester_off_the_event_loop(state) -> None:
    form = ReportForm(state)
    form.flow.taxonomy = fresh = load_taxonomy()
    threads: list[int] = []
    fresh.prepare_suggestions = lambda: threads.append(threading.get_ident())
    await form.flow.prepare_suggestions()
    assert threads and threads[0] != threading.get_ident()
    del fresh.prepare_suggestions
    await form.flow.prepare_suggestions()
    assert "_suggester" in vars(fresh)  # built, so the first keystroke only looks things up
def followed(status: str = "accepted") -> "FollowedReportPublic":
    from shared.models import FollowedReportPublic, FollowedStep

    steps = [FollowedStep(from_status=None, to_status="submitted", at=NOW - timedelta(hours=2)),
             FollowedStep(from_status="submitted", to_status="dispatched", at=NOW - timedelta(hours=2)),
             FollowedStep(from_status="dispatched", to_status=status, at=NOW - timedelta(hours=1))]
    return FollowedReportPublic(id=uuid.uuid4(), category_code="02.03.001", status=status, approx_lat=39.125,
                                approx_lon=117.194, created_at=NOW, updated_at=NOW, followed_at=NOW, steps=steps)


def test_a_followed_case_shows_its_status_and_steps_only(state) -> None:
    from citizen_app.views.followed_case import FollowedCaseView

    view = FollowedCaseView(state, str(uuid.uuid4()))
    view.followed.case = followed()
    view.show()
    shown = texts(view.root)
    assert "您关注的案件" in shown and "已受理" in shown and {"已提交", "已派发"} <= set(shown)
    assert any("39.125, 117.194" in s and "100 米" in s for s in shown)
    assert not any("路灯坏了" in s for s in shown)  # the model has no description, address or photo to show
    assert not _images(view.root)
    assert view.speak().startswith("您关注的案件，已受理")


def test_my_cases_lists_followed_cases_apart_and_never_calls_mine_followed(state) -> None:
    from citizen_app.views.cases import CasesView

    view = CasesView(state)
    view.cases.reports = [report("dispatched", state.user.id)]
    view.followed.cases = [followed()]
    view.show()
    mine, following = texts(view.list), texts(view.following)
    assert "您关注的案件" not in mine and "门口路灯坏了" in mine
    assert following[0] == "您关注的案件" and "已受理" in following and not any("路灯坏了" in s for s in following)
    view.followed.cases = []
    view.show()
    assert view.following.controls == []


def test_a_notice_about_a_followed_case_opens_its_status_screen() -> None:
    from citizen_app.views.notifications import notice_target
    from shared.models import NotificationPublic

    rid = uuid.uuid4()

    def notice(kind: str) -> NotificationPublic:
        return NotificationPublic(id=uuid.uuid4(), user_id=uuid.uuid4(), kind=kind, title_zh="x", title_en="x",
                                  report_id=rid, created_at=NOW)

    assert notice_target(notice("followed_report_status")) == f"/followed/{rid}"
    assert notice_target(notice("report_status")) == f"/cases/{rid}"
    assert match(f"/followed/{rid}")[0].pattern == "/followed/:id"


def test_the_follow_offer_opens_ones_own_case_instead_of_following_it(state) -> None:
    from shared.models import NearbyReportPublic

    form = ReportForm(state)
    form.flow.nearby = [NearbyReportPublic(id=uuid.uuid4(), category_code="02.03.001", status="dispatched",
                                           distance_m=10, mine=True, created_at=NOW),
                        NearbyReportPublic(id=uuid.uuid4(), category_code="02.03.001", status="dispatched",
                                           distance_m=30, mine=False, created_at=NOW)]
    form.show_nearby()
    shown = texts(form.nearby)
    assert "查看我的上报" in shown and shown.count("关注此案件") == 1
    assert any("这是您自己的上报" in s and "10 米" in s for s in shown)


def _images(control) -> list:
    found = []

    def walk(c):
        if isinstance(c, ft.Image):
            found.append(c)
        for name in ("content", "controls"):
            child = getattr(c, name, None)
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, ft.Control):
                    walk(item)

    walk(control)
    return found
