"""The grid app's state without a browser, on the in-memory twin: sign-in rules, duty, the inbox,
case actions offered and sent, the offline queue, and the detail view's buttons.

No PostgreSQL, no gateway (`no_stack` fails a test that reaches for them); tests/contract/ holds
the twin to the stack."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from grid_app.state.app import AppState
from grid_app.state.case import CaseState, mask_phone
from grid_app.state.inbox import InboxState
from grid_app.views.case_detail import CaseDetail
from shared.models import ReportCreate, ReportStatus, Role
from shared.twin import TwinCity, TwinClient
from tests.apps.twin_support import TWIN_CONFIG
from tests.backend.core_support import GRID_POINTS, GRIDS, STAFF_DEPARTMENT, STREETS

pytestmark = pytest.mark.usefixtures("no_stack")


def person(city: TwinCity, role: Role, **profile) -> SimpleNamespace:
    account = city.add_user(role=role)
    if profile:
        account.profile = account.profile.model_copy(update=profile)
    return SimpleNamespace(id=str(account.user.id), email=account.user.email, password=account.password,
                           client=TwinClient(city))


@pytest.fixture()
def people(twin_city) -> SimpleNamespace:
    """One account per kind of caller, with the assignments the policies look at (as make_people)."""
    p = SimpleNamespace(citizen_a=person(twin_city, Role.CITIZEN, display_name="王丽", phone="13800001234"),
                        citizen_b=person(twin_city, Role.CITIZEN), worker_1=person(twin_city, Role.GRID_WORKER),
                        worker_2=person(twin_city, Role.GRID_WORKER), staff=person(twin_city, Role.DEPT_STAFF),
                        supervisor=person(twin_city, Role.SUPERVISOR))
    twin_city.assign_worker(p.worker_1.id, GRIDS[0])
    twin_city.assign_worker(p.worker_2.id, GRIDS[4])
    twin_city.add_staff(p.staff.id, STAFF_DEPARTMENT)
    twin_city.supervise(p.supervisor.id, STREETS[0])
    return p


def item(city: TwinCity, department: str) -> dict:
    """A taxonomy item (level 3) with an SLA of `department`."""
    found = next(c for c in city.categories.values()
                 if c.level == 3 and c.sla_hours and c.department_code == department)
    return {"code": found.code}


async def file_report(who: SimpleNamespace, category: str, at: tuple[float, float]) -> dict:
    """A report filed by `who` through their own client (as tests/backend/core_support.file_report does)."""
    if await who.client.auth.current_user() is None:
        await who.client.auth.sign_in(who.email, who.password)
    filed = await who.client.reports.submit_report(ReportCreate(category_code=category, description="test report",
                                                                lat=at[0], lon=at[1]))
    return {"id": str(filed.id)}


def new_app(twin_city, tmp_path, locale: str = "zh-CN", prefs=None) -> tuple[AppState, list]:
    app = AppState(TWIN_CONFIG, locale=locale, folder=tmp_path, prefs=prefs)
    app.client = TwinClient(twin_city)
    said: list = app.notifier.messages  # (text, error) as the page would show them
    return app, said


async def test_a_resident_account_is_refused_and_signed_out(people, twin_city, tmp_path) -> None:
    app, said = new_app(twin_city, tmp_path)
    done = await app.sign_in(people.citizen_a.email, people.citizen_a.password)
    assert not done.ok and not app.signed_in
    assert said[-1] == ("这是居民账号，请使用市民端。网格员端仅供工作人员使用。", True)
    assert await app.client.auth.current_user() is None  # signed out again at once
    app_en, said_en = new_app(twin_city, tmp_path, "en")
    assert not (await app_en.sign_in(people.citizen_a.email, "wrong-password")).ok
    assert said_en[-1] == ("The account or password is not correct.", True)
    assert not (await app_en.sign_in("", "")).ok and said_en[-1] == ("Enter your account and password", True)


async def test_worker_signs_in_switches_duty_and_sees_only_their_grid(people, twin_city, tmp_path) -> None:
    city = item(twin_city, "city_mgmt")["code"]
    here = (await file_report(people.citizen_a, city, GRID_POINTS[0]))["id"]
    there = (await file_report(people.citizen_b, city, GRID_POINTS[4]))["id"]
    app, said = new_app(twin_city, tmp_path)
    assert (await app.sign_in(people.worker_1.email, people.worker_1.password)).ok
    assert app.role_label() == "网格员" and app.on_duty is True

    inbox = InboxState(app)
    assert await inbox.load()
    ids = {str(t.report_id) for t in inbox.tasks}
    assert here in ids and there not in ids
    assert inbox.counts().mine >= 1

    assert (await app.set_duty(False)).ok and app.on_duty is False
    assert said[-1] == ("已切换为离岗，不再接收新派单", False)
    assert await app.client.worker.my_duty() is False
    # Off duty: a new report in the grid goes to the street's supervisors, not to this worker.
    later = (await file_report(people.citizen_a, city, GRID_POINTS[0]))["id"]
    assert twin_city.active_task(uuid.UUID(later)).queue.value == "supervisor"
    assert (await app.set_duty(True)).ok
    await app.sign_out()
    assert not app.signed_in


async def test_case_actions_offered_sent_and_refused_in_plain_words(people, twin_city, tmp_path) -> None:
    city = item(twin_city, "city_mgmt")["code"]
    rid = (await file_report(people.citizen_a, city, GRID_POINTS[0]))["id"]
    app, said = new_app(twin_city, tmp_path)
    await app.sign_in(people.worker_1.email, people.worker_1.password)
    case = CaseState(app, rid)
    assert await case.load()
    assert case.contact.display_name == "王丽" and mask_phone(case.contact.phone) == "*******1234"
    assert case.actions() == ["accept_report", "transfer_report", "reject_report", "comment_report",
                              "change_report_category", "escalate_report"]
    assert not (await case.perform("reject_report", reason=" ")).ok  # nothing sent without a reason
    assert said[-1] == ("请填写原因", True)
    assert (await case.perform("accept_report")).ok
    assert case.report.status is ReportStatus.ACCEPTED and "start_report" in case.actions()

    # Someone else (the supervisor) resolves it meanwhile: the worker's stale "start" is refused, and says why.
    await people.supervisor.client.auth.sign_in(people.supervisor.email, people.supervisor.password)
    await people.supervisor.client.reports.resolve_report(rid, "done by the supervisor")
    refused = await case.perform("start_report")
    assert not refused.ok and said[-1] == ("该事件当前状态不允许此操作，请刷新后再试", True)

    # The detail view draws only what is offered now.
    detail = CaseDetail(app, rid)
    await detail.state.load()
    detail.draw()
    offered = [c.identifier for c in detail._actions().controls]
    assert offered == ["act-comment_report"]


async def test_offline_actions_are_queued_on_disk_and_sent_in_order(people, twin_city, tmp_path) -> None:
    city = item(twin_city, "city_mgmt")["code"]
    rid = (await file_report(people.citizen_a, city, GRID_POINTS[0]))["id"]
    app, said = new_app(twin_city, tmp_path)
    await app.sign_in(people.worker_1.email, people.worker_1.password)
    online = app.client
    case = CaseState(app, rid)
    await case.load()

    # The network goes away: a client of an unreachable backend fails as the real one would (NetworkError).
    unreachable = TwinCity()
    unreachable.offline = True
    app.client = TwinClient(unreachable)
    for action, args in (("accept_report", {}), ("start_report", {}), ("comment_report", {"note": "到现场了"})):
        assert not (await case.perform(action, **args)).ok
    assert said[-1] == ("网络不可用：操作已保存，恢复后自动发送", False)
    assert [i.action for i in app.queue.pending()] == ["accept_report", "start_report", "comment_report"]
    assert twin_city.reports[uuid.UUID(rid)].status.value == "dispatched"

    # Back online (and the app restarted: the queue is read from its file).
    app.client = online
    from shared.commands import CommandQueue
    from grid_app.state.case import send_action
    app.queue = CommandQueue(app.queue.root)
    result = await app.queue.flush(lambda command, photos: send_action(app, command, photos))
    assert (len(result.sent), len(result.failed), result.left) == (3, 0, 0)
    events = [(e.to_status.value, e.note) for e in twin_city.events if str(e.report_id) == rid]
    assert [e[0] for e in events[-3:]] == ["accepted", "in_progress", "in_progress"] and events[-1][1] == "到现场了"


async def test_a_new_task_arrives_live_with_its_report(people, twin_city, tmp_path) -> None:
    import asyncio

    app, _ = new_app(twin_city, tmp_path)
    await app.sign_in(people.worker_1.email, people.worker_1.password)
    inbox = InboxState(app)
    await inbox.load()
    arrived = asyncio.Event()
    inbox.on_new_task = lambda task: arrived.set()
    await app.client.worker.subscribe_tasks(inbox.on_task_change)
    city = item(twin_city, "city_mgmt")["code"]
    rid = (await file_report(people.citizen_a, city, GRID_POINTS[0]))["id"]
    await asyncio.wait_for(arrived.wait(), 15)
    task = next(t for t in inbox.tasks if str(t.report_id) == rid)
    assert task.report is not None and task.report.category_code == city
    await app.client.aclose()


async def test_report_for_a_resident_through_the_form_host(people, twin_city, tmp_path) -> None:
    from grid_app.views.report_for_resident import ResidentReportHost
    from shared.models import ReportSource
    from shared.reporting import ReportDraft

    app, _ = new_app(twin_city, tmp_path)
    await app.sign_in(people.worker_1.email, people.worker_1.password)
    city = item(twin_city, "city_mgmt")["code"]
    draft = ReportDraft(category_code=city, description="楼道灯坏了", lat=GRID_POINTS[0][0], lon=GRID_POINTS[0][1],
                        source=ReportSource.GRID_APP, resident_name="赵大爷", resident_phone="13900005678")
    host = ResidentReportHost(app)
    filed = await host.file_report(draft)
    again = await host.file_report(draft)  # a retry files nothing twice
    assert filed.id == again.id and filed.source.value == "grid_app"
    contact = await app.client.worker.report_contact(filed.id)
    assert (contact.display_name, contact.phone, contact.on_behalf) == ("赵大爷", "13900005678", True)


async def test_department_staff_handle_their_queue_and_supervisors_oversee(people, twin_city, tmp_path) -> None:
    env = item(twin_city, "environment")["code"]
    rid = (await file_report(people.citizen_a, env, GRID_POINTS[0]))["id"]
    staff, _ = new_app(twin_city, tmp_path)
    assert (await staff.sign_in(people.staff.email, people.staff.password)).ok
    assert staff.on_duty is None  # only grid workers have a duty switch
    inbox = InboxState(staff)
    await inbox.load()
    task = next(t for t in inbox.tasks if str(t.report_id) == rid)
    assert task.assignee_id is None and task.department_code == "environment"
    case = CaseState(staff, rid)
    await case.load()
    assert case.holds and "accept_report" in case.actions() and "escalate_report" in case.actions()
    assert (await case.perform("accept_report")).ok

    supervisor, _ = new_app(twin_city, tmp_path)
    await supervisor.sign_in(people.supervisor.email, people.supervisor.password)
    overseen = CaseState(supervisor, rid)
    await overseen.load()
    assert "resolve_report" in overseen.actions() and "escalate_report" not in overseen.actions()
    # The grid's worker sees the case (their grid) but does not hold it: a note only.
    worker, _ = new_app(twin_city, tmp_path)
    await worker.sign_in(people.worker_1.email, people.worker_1.password)
    looking = CaseState(worker, rid)
    await looking.load()
    assert looking.actions() == ["comment_report"]


async def test_change_category_and_escalate_from_the_case(people, twin_city, tmp_path) -> None:
    rid = (await file_report(people.citizen_a, item(twin_city, "city_mgmt")["code"], GRID_POINTS[0]))["id"]
    app, said = new_app(twin_city, tmp_path)
    await app.sign_in(people.worker_1.email, people.worker_1.password)
    case = CaseState(app, rid)
    await case.load()
    assert (await case.perform("escalate_report", reason="需要执法")).ok
    assert case.events[-1].note == "escalated to the supervisor: 需要执法"
    env = item(twin_city, "environment")["code"]
    assert (await case.perform("change_report_category", category=env, reason="其实是环境问题")).ok
    assert case.report.category_code == env and case.report.status is ReportStatus.TRANSFERRED
    assert case.actions() == ["comment_report"]  # the environment department holds it now


async def test_transfer_to_a_worker_picked_from_the_street(people, twin_city, tmp_path) -> None:
    colleague = person(twin_city, Role.GRID_WORKER)
    twin_city.assign_worker(colleague.id, GRIDS[1])  # same street as GRIDS[0]
    rid = (await file_report(people.citizen_a, item(twin_city, "city_mgmt")["code"], GRID_POINTS[0]))["id"]
    app, _ = new_app(twin_city, tmp_path)
    await app.sign_in(people.worker_1.email, people.worker_1.password)
    case = CaseState(app, rid)
    await case.load()
    assert colleague.id in {str(w.id) for w in case.transfer_workers}
    assert (await case.perform("transfer_report", reason="他负责这栋楼", to_worker=colleague.id)).ok
    assert [str(t.assignee_id) for t in twin_city.tasks.values()
            if str(t.report_id) == rid and t.status.value == "open"] == [colleague.id]


async def test_the_session_is_kept_in_the_browser_and_forgotten_at_sign_out(people, twin_city, tmp_path) -> None:
    from grid_app.state.app import LOCALE_KEY, SESSION_KEY
    from shared.prefs import MemoryPrefs

    prefs = MemoryPrefs()
    first, _ = new_app(twin_city, tmp_path, prefs=prefs)
    assert not await first.restore()  # nothing kept yet: the sign-in page
    assert (await first.sign_in(people.worker_1.email, people.worker_1.password)).ok
    assert prefs.values[SESSION_KEY]
    first.switch_language()
    await first.saved()

    # A reload (a new session of the app in the same browser) opens signed in, in English.
    again, _ = new_app(twin_city, tmp_path, prefs=prefs)
    assert await again.restore()
    assert again.user.id == first.user.id and again.on_duty is True and again.t.is_english
    assert prefs.values[SESSION_KEY] != "", "the rotated refresh token is kept"

    await again.sign_out()
    assert SESSION_KEY not in prefs.values
    assert prefs.values[LOCALE_KEY] == "en"
    assert not await new_app(twin_city, tmp_path, prefs=prefs)[0].restore()


async def test_a_kept_token_that_no_longer_works_is_dropped(people, twin_city, tmp_path) -> None:
    from grid_app.state.app import SESSION_KEY
    from shared.prefs import MemoryPrefs

    prefs = MemoryPrefs()
    prefs.values[SESSION_KEY] = "not-a-refresh-token"
    app, _ = new_app(twin_city, tmp_path, prefs=prefs)
    assert not await app.restore() and not app.signed_in
    assert SESSION_KEY not in prefs.values


async def test_a_residents_kept_session_is_refused(people, twin_city, tmp_path) -> None:
    from grid_app.state.app import SESSION_KEY
    from shared.prefs import MemoryPrefs

    resident = TwinClient(twin_city)
    await resident.auth.sign_in(people.citizen_a.email, people.citizen_a.password)
    prefs = MemoryPrefs()
    prefs.values[SESSION_KEY] = (await resident.auth.session_tokens())[1]
    app, _ = new_app(twin_city, tmp_path, prefs=prefs)
    assert not await app.restore() and not app.signed_in
    assert SESSION_KEY not in prefs.values
    await resident.aclose()
