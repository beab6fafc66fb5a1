"""The resident app's state without a browser, on the in-memory twin: account, report, cases, following.

No PostgreSQL, no gateway (`no_stack` fails a test that reaches for them). The twin keeps the SQL's
rules these tests depend on, and tests/contract/ holds the twin to the stack. The outbox across a
real network outage is tests/apps/test_citizen_outbox_outage.py.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from citizen_app.state.app import SESSION_KEY, credentials_problem
from shared.prefs import MemoryPrefs
from citizen_app.state.cases import CaseDetail, CaseList
from citizen_app.state.followed import FollowedCase, FollowedList
from citizen_app.state.profile import ProfileDraft
from shared.report_flow import ReportFlow
from shared import errors
from shared.models import ReportPublic, ReportStatus, Role
from shared.status import Action
from tests.apps.citizen_support import jpeg
from tests.apps.twin_support import citizen_state, signed_in_twin
from tests.backend.core_support import GRID_POINTS, GRIDS

pytestmark = pytest.mark.usefixtures("no_stack")

LAMP = "02.03.001"  # 路灯不亮, handled by city_mgmt: dispatched to the grid's worker on duty


@pytest.fixture()
def city(twin_city):
    """The demo city, with one worker on duty in the first grid."""
    worker = twin_city.add_user(role=Role.GRID_WORKER)
    twin_city.assign_worker(worker.user.id, GRIDS[0], on_duty=True)
    return SimpleNamespace(id=str(worker.user.id), email=worker.user.email, password=worker.password)


def account(twin_city):
    user = twin_city.add_user(role=Role.CITIZEN)
    return user.user.email, user.password


def point(n: int) -> tuple[float, float]:
    """Distinct points inside the first grid, more than 50 m apart, so tests do not see each other's reports."""
    lat, lon = GRID_POINTS[0]
    return lat + (n % 7 - 3) * 0.0007, lon + (n // 7 % 5 - 2) * 0.0009


async def signed_in(twin_city, tmp_path, prefs=None):
    state = citizen_state(twin_city, tmp_path, prefs)
    email, password = account(twin_city)
    assert await state.sign_in(email, password), state.shell.messages
    return state


def test_sign_in_input_is_checked_before_asking_the_backend() -> None:
    assert credentials_problem("", "pw") == "account.need_identifier"
    assert credentials_problem("not an address", "pw") == "account.bad_identifier"
    assert credentials_problem("a@b.cn", "") == "account.need_password"
    assert credentials_problem("+86 138 0000 0000", "pw") is None
    assert credentials_problem(" a@b.cn ", "pw") is None


async def test_sign_up_then_stay_signed_in_across_a_reload_then_sign_out(twin_city, tmp_path) -> None:
    prefs = MemoryPrefs()
    state = citizen_state(twin_city, tmp_path, prefs)
    email = f"new{uuid.uuid4().hex[:10]}@example.com"
    assert await state.sign_up(email, "secret-pass-1", "张三")
    assert state.user.email == email and state.profile.display_name == "张三"
    assert prefs.values[SESSION_KEY]
    await state.close()

    reloaded = citizen_state(twin_city, tmp_path, prefs)  # the browser reloads the page
    await reloaded.start()
    assert reloaded.signed_in and reloaded.user.email == email
    assert (await reloaded.run(lambda c: c.profile.get_profile())).value is not None
    await reloaded.sign_out()
    assert not reloaded.signed_in and SESSION_KEY not in prefs.values
    assert reloaded.shell.routes[-1] == "/sign-in"

    after = citizen_state(twin_city, tmp_path, prefs)
    await after.start()
    assert not after.signed_in


async def test_wrong_password_and_weak_sign_up_in_plain_words(twin_city, tmp_path) -> None:
    state = citizen_state(twin_city, tmp_path)
    email, _ = account(twin_city)
    assert not await state.sign_in(email, "wrong-password")
    assert state.shell.messages[-1] == (errors.InvalidCredentials.zh, True)
    assert not await state.sign_up(f"x{uuid.uuid4().hex[:8]}@example.com", "123")
    assert state.shell.messages[-1] == ("密码至少 6 位", True)
    state.t.locale = "en"
    assert not await state.sign_in("", "x")
    assert state.shell.messages[-1] == ("Please enter your phone number or e-mail.", True)
    assert not state.signed_in


async def test_a_stale_kept_session_is_dropped_not_fatal(twin_city, tmp_path) -> None:
    prefs = MemoryPrefs()
    prefs.values[SESSION_KEY] = "not-a-refresh-token"
    state = citizen_state(twin_city, tmp_path, prefs)
    await state.start()
    assert not state.signed_in and SESSION_KEY not in prefs.values


async def test_report_is_checked_then_sent_dispatched_and_shown_with_its_timeline(twin_city, tmp_path, city) -> None:
    state = await signed_in(twin_city, tmp_path)
    flow = ReportFlow(state)
    await flow.load_areas()
    assert await flow.submit() == "invalid"
    assert flow.messages() == ["请确定问题的位置", "请选择问题类别", "请简单描述问题"]

    flow.add_photo(jpeg())
    flow.set_location(*point(1))
    assert flow.draft.address and flow.draft.address.endswith("网格")
    assert [c.code for c in flow.describe("路灯不亮")][0] == LAMP
    assert flow.draft.category_code == LAMP  # chosen for the resident: one tap less
    assert await flow.submit() == "sent", state.shell.messages
    assert flow.filed.status.value == "dispatched" and len(flow.filed.photos) == 1

    cases = CaseList(state)
    await cases.load()
    assert [r.id for r in cases.shown] == [flow.filed.id]
    detail = CaseDetail(state, str(flow.filed.id))
    assert await detail.load()
    timeline = detail.timeline()
    assert [s.status for s in timeline.steps] == ["submitted", "dispatched"]
    assert timeline.steps[1].since_previous is not None
    assert list(detail.photos.values())[0][:2] == b"\xff\xd8"  # the prepared JPEG, readable by its reporter
    assert detail.grid is not None and detail.grid[0].endswith("网格")  # outlined on the map without tiles
    await state.close()


async def test_same_problem_nearby_is_offered_to_follow_instead(twin_city, tmp_path, city) -> None:
    first = await signed_in(twin_city, tmp_path)
    flow = ReportFlow(first)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(2))
    flow.describe("路灯不亮")
    assert await flow.submit() == "sent"

    second = await signed_in(twin_city, tmp_path / "b")
    again = ReportFlow(second)
    await again.load_areas()
    again.add_photo(jpeg())
    again.set_location(point(2)[0] + 0.0001, point(2)[1])  # about 11 m away
    again.describe("路灯不亮")
    assert await again.submit() == "nearby"
    assert [n.id for n in again.nearby] == [flow.filed.id]
    assert await again.follow(flow.filed.id)
    assert second.shell.messages[-1] == ("已关注，进展会通知您", False)
    assert again.filed is None  # nothing new was filed
    # The follower sees the case's status, apart from their own cases, and not the case itself.
    following = FollowedList(second)
    await following.load()
    assert [c.id for c in following.cases] == [flow.filed.id]
    status = FollowedCase(second, str(flow.filed.id))
    assert await status.load() and [s.what for s in status.steps()] == ["已提交", "已派发"]
    assert not await CaseDetail(second, str(flow.filed.id)).load()
    # The reporter is offered their own case to open, never to follow.
    mine = ReportFlow(first)
    await mine.load_areas()
    mine.add_photo(jpeg())
    mine.set_location(*point(2))
    mine.describe("路灯不亮")
    assert await mine.submit() == "nearby" and [n.mine for n in mine.nearby] == [True]
    await first.close()
    await second.close()


async def test_a_citizen_over_the_hourly_quota_is_told_in_plain_words(twin_city, tmp_path, city) -> None:
    from shared.limits import REPORTS_PER_HOUR

    state = await signed_in(twin_city, tmp_path)
    lat, lon = point(6)
    at = datetime.now(timezone.utc)  # reach the quota cheaply: closed rows straight into the twin, no dispatch
    for _ in range(REPORTS_PER_HOUR):
        earlier = ReportPublic(id=uuid.uuid4(), reporter_id=state.user.id, category_code=LAMP, description="earlier",
                               lat=lat, lon=lon, source="citizen_app", status=ReportStatus.CLOSED, created_at=at,
                               updated_at=at)
        twin_city.reports[earlier.id] = earlier
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(lat, lon)
    flow.describe("路灯不亮")
    flow.nearby_dismissed = True
    assert await flow.submit() == "failed"
    assert state.shell.messages[-1] == (f"上报太频繁：每小时最多 {REPORTS_PER_HOUR} 件，请稍后再报", True)
    await state.close()


async def test_resident_rates_a_resolved_case_and_reopens_another(twin_city, tmp_path, city) -> None:
    state = await signed_in(twin_city, tmp_path)
    worker = await signed_in_twin(twin_city, city.email, city.password)
    ids = []
    for n in (4, 5):
        flow = ReportFlow(state)
        await flow.load_areas()
        flow.add_photo(jpeg())
        flow.set_location(*point(n))
        flow.describe("路灯不亮")
        assert await flow.submit() == "sent"
        ids.append(flow.filed.id)
        await worker.reports.accept_report(flow.filed.id)
        await worker.reports.resolve_report(flow.filed.id, "已更换灯泡")

    rated = CaseDetail(state, str(ids[0]))
    assert await rated.load()
    assert set(rated.actions()) == {Action.RATE, Action.REOPEN}
    assert not await rated.rate(None)
    assert state.shell.messages[-1] == ("请选择 1-5 星", True)
    assert await rated.rate(5, "很快，谢谢")
    assert rated.detail.rating.score == 5 and rated.report.status.value == "closed"
    assert rated.actions() == []

    reopened = CaseDetail(state, str(ids[1]))
    assert await reopened.load()
    assert not await reopened.reopen("  ")
    assert await reopened.reopen("灯又灭了")
    assert reopened.report.status.value == "reopened"
    assert reopened.timeline().steps[-1].note == "灯又灭了"
    await state.close()
    await worker.aclose()


async def test_resident_answers_a_request_for_information(twin_city, tmp_path, city) -> None:
    state = await signed_in(twin_city, tmp_path)
    worker = await signed_in_twin(twin_city, city.email, city.password)
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(6))
    flow.describe("路灯不亮")
    assert await flow.submit() == "sent"
    await worker.reports.accept_report(flow.filed.id)
    await worker.reports.request_report_info(flow.filed.id, "是哪一根灯杆？")

    case = CaseDetail(state, str(flow.filed.id))
    assert await case.load()
    assert case.info_request() == "是哪一根灯杆？" and Action.ANSWER_INFO in case.actions()
    assert await case.answer("小区南门第二根")
    assert case.report.status.value == "in_progress" and case.info_request() is None
    await state.close()
    await worker.aclose()


async def test_live_status_change_is_announced(twin_city, tmp_path, city) -> None:
    state = await signed_in(twin_city, tmp_path)
    worker = await signed_in_twin(twin_city, city.email, city.password)
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(8))
    flow.describe("路灯不亮")
    assert await flow.submit() == "sent"
    await state.run(lambda c: c.reports.my_reports())
    state._statuses[str(flow.filed.id)] = "dispatched"
    seen = []
    state.report_listeners.append(seen.append)
    await worker.reports.accept_report(flow.filed.id)
    deadline = asyncio.get_running_loop().time() + 30
    while ("您的上报状态更新为：已受理", False) not in state.shell.messages:
        assert asyncio.get_running_loop().time() < deadline, state.shell.messages
        await asyncio.sleep(0.1)
    assert any(getattr(c, "id", None) == flow.filed.id for c in seen)
    await state.close()
    await worker.aclose()


async def test_profile_address_language_and_elderly_mode_are_kept(twin_city, tmp_path) -> None:
    prefs = MemoryPrefs()
    state = await signed_in(twin_city, tmp_path, prefs)
    draft = ProfileDraft(display_name="李阿姨", phone="13800001111", home_address="新华路 3 号 2-301")
    assert draft.problem() is None
    assert await state.save_profile(draft.to_update())
    assert state.profile.home_address == "新华路 3 号 2-301"
    assert "emergency_contacts" not in draft.to_update().model_dump(exclude_unset=True)  # contacts are invitations
    assert ProfileDraft(phone="abc").problem() == "profile.bad_phone"

    await state.set_elderly(True)
    await state.set_locale("en")
    assert state.shell.changes == 2
    profile = (await state.run(lambda c: c.profile.get_profile())).value
    assert profile.elderly_mode and profile.locale == "en"
    assert state.timeout == 30.0  # generous time for every step
    await state.close()

    again = citizen_state(twin_city, tmp_path, prefs)
    await again.start()
    assert again.elderly and again.locale == "en" and again.t("home.report") == "Report"
    await again.close()
