"""The resident app's state against the real local stack, without a browser: account, report, outbox, cases."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import pytest

from citizen_app.state.app import SESSION_KEY, credentials_problem
from shared.prefs import MemoryPrefs
from citizen_app.state.cases import CaseDetail, CaseList
from citizen_app.state.followed import FollowedCase, FollowedList
from citizen_app.state.profile import ProfileDraft
from citizen_app.state.reporting import ReportFlow
from shared import errors
from shared.status import Action
from tests.apps.citizen_support import Switch, jpeg, new_state, signed_in_client, sole_worker
from tests.backend.core_support import GRID_POINTS, GRIDS, ensure_demo_city

LAMP = "02.03.001"  # 路灯不亮, handled by city_mgmt: dispatched to the grid's worker on duty


@pytest.fixture(scope="module")
def city(db, make_user):
    """The demo city, with one worker on duty in the first grid."""
    ensure_demo_city(db)
    worker = make_user(app_metadata={"role": "grid_worker"})
    with sole_worker(db, GRIDS[0], worker.id):
        yield worker


def account(make_user):
    user = make_user(app_metadata={"role": "citizen"})
    return user.email, user.password


def point(n: int) -> tuple[float, float]:
    """Distinct points inside the first grid, more than 50 m apart, so tests do not see each other's reports."""
    lat, lon = GRID_POINTS[0]
    return lat + (n % 7 - 3) * 0.0007, lon + (n // 7 % 5 - 2) * 0.0009


async def signed_in(stack, tmp_path, make_user, prefs=None):
    state = new_state(stack.url, stack.anon_key, tmp_path, prefs)
    email, password = account(make_user)
    assert await state.sign_in(email, password), state.shell.messages
    return state


def test_sign_in_input_is_checked_before_asking_the_backend() -> None:
    assert credentials_problem("", "pw") == "account.need_identifier"
    assert credentials_problem("not an address", "pw") == "account.bad_identifier"
    assert credentials_problem("a@b.cn", "") == "account.need_password"
    assert credentials_problem("+86 138 0000 0000", "pw") is None
    assert credentials_problem(" a@b.cn ", "pw") is None


async def test_sign_up_then_stay_signed_in_across_a_reload_then_sign_out(stack, tmp_path) -> None:
    prefs = MemoryPrefs()
    state = new_state(stack.url, stack.anon_key, tmp_path, prefs)
    email = f"new{uuid.uuid4().hex[:10]}@example.com"
    assert await state.sign_up(email, "secret-pass-1", "张三")
    assert state.user.email == email and state.profile.display_name == "张三"
    assert prefs.values[SESSION_KEY]
    await state.close()

    reloaded = new_state(stack.url, stack.anon_key, tmp_path, prefs)  # the browser reloads the page
    await reloaded.start()
    assert reloaded.signed_in and reloaded.user.email == email
    assert (await reloaded.run(lambda c: c.get_profile())).value is not None
    await reloaded.sign_out()
    assert not reloaded.signed_in and SESSION_KEY not in prefs.values
    assert reloaded.shell.routes[-1] == "/sign-in"

    after = new_state(stack.url, stack.anon_key, tmp_path, prefs)
    await after.start()
    assert not after.signed_in


async def test_wrong_password_and_weak_sign_up_in_plain_words(stack, tmp_path, make_user) -> None:
    state = new_state(stack.url, stack.anon_key, tmp_path)
    email, _ = account(make_user)
    assert not await state.sign_in(email, "wrong-password")
    assert state.shell.messages[-1] == (errors.InvalidCredentials.zh, True)
    assert not await state.sign_up(f"x{uuid.uuid4().hex[:8]}@example.com", "123")
    assert state.shell.messages[-1] == ("密码至少 6 位", True)
    state.t.locale = "en"
    assert not await state.sign_in("", "x")
    assert state.shell.messages[-1] == ("Please enter your phone number or e-mail.", True)
    assert not state.signed_in


async def test_a_stale_kept_session_is_dropped_not_fatal(stack, tmp_path) -> None:
    prefs = MemoryPrefs()
    prefs.values[SESSION_KEY] = "not-a-refresh-token"
    state = new_state(stack.url, stack.anon_key, tmp_path, prefs)
    await state.start()
    assert not state.signed_in and SESSION_KEY not in prefs.values


async def test_report_is_checked_then_sent_dispatched_and_shown_with_its_timeline(stack, tmp_path, make_user,
                                                                                   city) -> None:
    state = await signed_in(stack, tmp_path, make_user)
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


async def test_same_problem_nearby_is_offered_to_follow_instead(stack, tmp_path, make_user, city) -> None:
    first = await signed_in(stack, tmp_path, make_user)
    flow = ReportFlow(first)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(2))
    flow.describe("路灯不亮")
    assert await flow.submit() == "sent"

    second = await signed_in(stack, tmp_path / "b", make_user)
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


async def test_a_citizen_over_the_hourly_quota_is_told_in_plain_words(stack, tmp_path, make_user, city, db) -> None:
    from shared.limits import REPORTS_PER_HOUR

    state = await signed_in(stack, tmp_path, make_user)
    lat, lon = point(6)
    with db.transaction():  # reach the quota cheaply: closed rows straight into the table, no dispatch
        db.execute("set local session_replication_role = replica")
        db.execute("insert into public.reports (reporter_id, category_code, description, lat, lon, status, case_number)"
                   " select %s, %s, 'earlier', %s, %s, 'closed', 'TEST-' || gen_random_uuid() from generate_series(1, %s)",
                   (str(state.user.id), LAMP, lat, lon, REPORTS_PER_HOUR))
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(lat, lon)
    flow.describe("路灯不亮")
    flow.nearby_dismissed = True
    assert await flow.submit() == "failed"
    assert state.shell.messages[-1] == (f"上报太频繁：每小时最多 {REPORTS_PER_HOUR} 件，请稍后再报", True)
    await state.close()


async def test_unreachable_backend_keeps_the_report_and_sends_it_once_later(stack, tmp_path, make_user,
                                                                             city) -> None:
    target = urlsplit(stack.url)
    switch = Switch(target.hostname, target.port)
    await switch.on()
    state = new_state(switch.url, stack.anon_key, tmp_path)
    email, password = account(make_user)
    assert await state.sign_in(email, password)
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(3))
    flow.describe("路灯不亮")

    await switch.off()  # the network goes down
    flow.nearby_dismissed = True
    assert await flow.submit() == "queued"
    assert state.shell.messages[-1] == ("网络不通，已保存，将自动发送", False)
    [waiting] = state.outbox.waiting_reports()
    assert waiting.report.id == flow.draft.id and waiting.photo_count == 1
    assert await state.flush_outbox() == 0 and len(state.outbox.waiting_reports()) == 1  # still down: kept

    await switch.on()  # back (same port)
    assert await state.flush_outbox() == 1
    assert state.outbox.waiting_reports() == []
    assert await state.flush_outbox() == 0
    mine = (await state.run(lambda c: c.my_reports())).value
    assert [r.id for r in mine] == [flow.draft.id]  # filed once, under the client's id
    assert mine[0].status.value == "dispatched" and len(mine[0].photos) == 1
    await state.close()
    await switch.off()


async def test_resident_rates_a_resolved_case_and_reopens_another(stack, tmp_path, make_user, city) -> None:
    state = await signed_in(stack, tmp_path, make_user)
    worker = await signed_in_client(stack.url, stack.anon_key, city.email, city.password)
    ids = []
    for n in (4, 5):
        flow = ReportFlow(state)
        await flow.load_areas()
        flow.add_photo(jpeg())
        flow.set_location(*point(n))
        flow.describe("路灯不亮")
        assert await flow.submit() == "sent"
        ids.append(flow.filed.id)
        await worker.accept_report(flow.filed.id)
        await worker.resolve_report(flow.filed.id, "已更换灯泡")

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


async def test_resident_answers_a_request_for_information(stack, tmp_path, make_user, city) -> None:
    state = await signed_in(stack, tmp_path, make_user)
    worker = await signed_in_client(stack.url, stack.anon_key, city.email, city.password)
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(6))
    flow.describe("路灯不亮")
    flow.nearby_dismissed = True  # other tests' open cases nearby would be offered to follow first
    assert await flow.submit() == "sent"
    await worker.accept_report(flow.filed.id)
    await worker.request_report_info(flow.filed.id, "是哪一根灯杆？")

    case = CaseDetail(state, str(flow.filed.id))
    assert await case.load()
    assert case.info_request() == "是哪一根灯杆？" and Action.ANSWER_INFO in case.actions()
    assert await case.answer("小区南门第二根")
    assert case.report.status.value == "in_progress" and case.info_request() is None
    await state.close()
    await worker.aclose()


async def test_live_status_change_is_announced(stack, tmp_path, make_user, city) -> None:
    state = await signed_in(stack, tmp_path, make_user)
    worker = await signed_in_client(stack.url, stack.anon_key, city.email, city.password)
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(8))
    flow.describe("路灯不亮")
    assert await flow.submit() == "sent"
    await state.run(lambda c: c.my_reports())
    state._statuses[str(flow.filed.id)] = "dispatched"
    seen = []
    state.report_listeners.append(seen.append)
    await worker.accept_report(flow.filed.id)
    deadline = asyncio.get_running_loop().time() + 30
    while ("您的上报状态更新为：已受理", False) not in state.shell.messages:
        assert asyncio.get_running_loop().time() < deadline, state.shell.messages
        await asyncio.sleep(0.1)
    assert any(getattr(c, "id", None) == flow.filed.id for c in seen)
    await state.close()
    await worker.aclose()


async def test_profile_address_language_and_elderly_mode_are_kept(stack, tmp_path, make_user) -> None:
    prefs = MemoryPrefs()
    state = await signed_in(stack, tmp_path, make_user, prefs)
    draft = ProfileDraft(display_name="李阿姨", phone="13800001111", home_address="新华路 3 号 2-301")
    assert draft.problem() is None
    assert await state.save_profile(draft.to_update())
    assert state.profile.home_address == "新华路 3 号 2-301"
    assert "emergency_contacts" not in draft.to_update().model_dump(exclude_unset=True)  # contacts are invitations
    assert ProfileDraft(phone="abc").problem() == "profile.bad_phone"

    await state.set_elderly(True)
    await state.set_locale("en")
    assert state.shell.changes == 2
    profile = (await state.run(lambda c: c.get_profile())).value
    assert profile.elderly_mode and profile.locale == "en"
    assert state.timeout == 30.0  # generous time for every step
    await state.close()

    again = new_state(stack.url, stack.anon_key, tmp_path, prefs)
    await again.start()
    assert again.elderly and again.locale == "en" and again.t("home.report") == "Report"
    await again.close()
