"""Withdraw, add information, landmark and navigate in both apps, without a browser.

Against the real local stack: the resident adds a note with a photo and withdraws through
CityClient; the worker's case detail shows the landmark, the added note and photo, the maps
links (GCJ-02, declared) and no developer text; the worker's inbox loses the withdrawn task.
The resident's case view is driven with its detail set by hand.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import flet as ft
import pytest

from citizen_app.views.case_detail import CaseDetailView
from grid_app.state.app import AppState
from grid_app.components.map_view import Point, map_of
from grid_app.state.inbox import InboxState
from grid_app.views.case_detail import CaseDetail
from shared.config import BackendConfig
from shared.geo import GeoPoint, wgs84_to_gcj02
from shared.models import CaseEventPublic, ReportCreate, ReportDetail, ReportPublic, UserPublic
from shared.reporting import ReportDraft, message
from shared.status import Action
from tests.apps.citizen_support import jpeg, new_state, signed_in_client
from tests.backend.core_support import GRID_POINTS, GRIDS, People, item, make_people, only_workers

NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


def texts(control) -> list[str]:
    found = []

    def walk(c):
        if isinstance(c, ft.Text) and c.value:
            found.append(c.value)
        if isinstance(c, str):
            found.append(c)
        for name in ("content", "controls", "title", "label", "tooltip"):
            child = getattr(c, name, None)
            for entry in child if isinstance(child, list) else [child]:
                if isinstance(entry, (ft.Control, str)):
                    walk(entry)

    walk(control)
    return found


def identifiers(control) -> list[str]:
    found = []

    def walk(c):
        if isinstance(c, ft.Semantics) and c.identifier:
            found.append(c.identifier)
        for name in ("content", "controls"):
            child = getattr(c, name, None)
            for entry in child if isinstance(child, list) else [child]:
                if isinstance(entry, ft.Control):
                    walk(entry)

    walk(control)
    return found


async def worker_app(stack, tmp_path, people: People) -> AppState:
    app = AppState(BackendConfig(stack.url, stack.anon_key, "environment"), locale="zh-CN", folder=tmp_path)
    assert (await app.sign_in(people.worker_1.email, people.worker_1.password)).ok
    return app


async def test_the_worker_sees_landmark_added_info_and_navigation_then_the_withdrawn_task_leaves(
        people, stack, tmp_path, db, monkeypatch) -> None:
    monkeypatch.delenv("CITYLOOP_TILE_URL", raising=False)
    resident = await signed_in_client(stack.url, stack.anon_key, people.citizen_a.email, people.citizen_a.password)
    lat, lon = GRID_POINTS[0]
    filed = await resident.reports.submit_report(ReportCreate(category_code=item(db, "city_mgmt")["code"], description="井盖松动",
                                                      lat=lat, lon=lon, address="和平区 · 第1网格", landmark="3号楼东侧"),
                                         [jpeg()])
    await resident.reports.add_report_info(filed.id, "在车棚旁边 next to the bike shed", [jpeg(640, 480)])

    app = await worker_app(stack, tmp_path, people)
    inbox = InboxState(app)
    assert await inbox.load() and str(filed.id) in {str(t.report_id) for t in inbox.tasks}
    row_text = texts(_inbox_row(app, inbox, str(filed.id)))
    assert any("3号楼东侧" in x for x in row_text)

    detail = CaseDetail(app, str(filed.id))
    assert await detail.state.load()
    detail.draw()
    shown = texts(detail.column)
    assert "和平区 · 第1网格 · 3号楼东侧" in shown  # after the area names
    assert "居民补充信息" in shown and "在车棚旁边 next to the bike shed" in shown
    added = [e for e in detail.state.events if e.kind == "info_added"]
    assert len(added) == 1 and added[0].photos[0] in detail.state.thumbnails
    assert not any("CITYLOOP_TILE_URL" in x or "未配置" in x for x in shown)
    ids = identifiers(detail.column)
    assert {"nav-amap", "nav-baidu", "nav-tencent", "nav-geo", "added-info", "case-place"} <= set(ids)
    assert any("GCJ-02" in x for x in shown)

    await resident.reports.withdraw_report(filed.id, "已自行解决")
    assert await inbox.load() and str(filed.id) not in {str(t.report_id) for t in inbox.tasks}
    assert await detail.state.load()
    assert detail.state.actions() == ["comment_report"]  # nothing left to handle
    await resident.aclose()
    await app.client.aclose()


def _inbox_row(app, inbox, report_id: str) -> ft.Control:
    from grid_app.views.inbox import InboxScreen

    view = InboxScreen(app, inbox, None)
    task = next(t for t in inbox.tasks if str(t.report_id) == report_id)
    return view._row(task, NOW)


def test_the_map_without_tiles_shows_no_developer_text(monkeypatch) -> None:
    from grid_app.strings import STRINGS
    from shared.i18n import Translator

    monkeypatch.delenv("CITYLOOP_TILE_URL", raising=False)
    t = Translator(STRINGS, "zh-CN")
    shown = " ".join(texts(map_of([Point(39.125, 117.19375)], t)))
    assert "CITYLOOP_TILE_URL" not in shown and "未配置" not in shown
    assert "map.no_tiles" not in STRINGS


def test_the_missing_tile_setting_is_logged(caplog) -> None:
    import logging

    from shared.config import log_tile_setting
    log_tile_setting(logging.getLogger("test"), {})
    assert "未配置地图底图（CITYLOOP_TILE_URL）" in caplog.text
    caplog.clear()
    log_tile_setting(logging.getLogger("test"), {"CITYLOOP_TILE_URL": "http://127.0.0.1:1/{z}/{x}/{y}.png"})
    assert caplog.text == ""


def test_the_sos_navigate_link_is_gcj02_for_amap() -> None:
    from grid_app.state.alerts import navigate_url

    to = parse_qs(urlsplit(navigate_url(39.125, 117.19375)).query)["to"][0].split(",")
    gcj = wgs84_to_gcj02(GeoPoint(lat=39.125, lon=117.19375))
    assert (float(to[0]), float(to[1])) == (round(gcj.lon, 6), round(gcj.lat, 6))


# ---------------------------------------------------------------- the resident's case view


@pytest.fixture()
def citizen(tmp_path):
    s = new_state("http://127.0.0.1:9", "anon", tmp_path)
    s.user = UserPublic(id=uuid.uuid4(), email="a@b.cn")
    return s


def _case(state, status: str, reporter, events=()) -> CaseDetailView:
    view = CaseDetailView(state, str(uuid.uuid4()))
    r = ReportPublic(id=view.case.report_id, reporter_id=reporter, category_code="02.03.001", description="路灯坏了",
                     lat=39.125, lon=117.19, address="和平区 · 第1网格", landmark="3号楼东侧", source="citizen_app",
                     status=status, created_at=NOW, updated_at=NOW)
    view.case.detail = ReportDetail(report=r, events=list(events))
    view.show()
    return view


async def test_the_reporter_may_add_information_and_withdraw_with_a_confirmation(citizen) -> None:
    added = CaseEventPublic(id=3, report_id=uuid.uuid4(), actor_role="citizen", from_status="dispatched",
                            to_status="dispatched", note="在车棚旁", kind="info_added", photos=["x/y.jpg"], created_at=NOW)
    view = _case(citizen, "dispatched", citizen.user.id, [added])
    assert {Action.ADD_INFO, Action.WITHDRAW} <= set(view.case.actions())
    ids, shown = identifiers(view.root), texts(view.root)
    assert {"send-info", "add-info-photo", "withdraw", "case-place"} <= set(ids)
    assert "和平区 · 第1网格 · 3号楼东侧" in shown and "补充说明" in shown and "在车棚旁" in shown

    calls: list[str] = []

    async def fake_withdraw(reason: str) -> bool:
        calls.append(reason)
        return True
    view.case.withdraw = fake_withdraw
    await view.send_withdraw()  # no reason: asks for one, nothing sent
    assert calls == [] and "withdraw" in identifiers(view.root)
    view.withdraw_reason.value = "已自行解决"
    await view.send_withdraw()  # first press: asks to confirm
    assert calls == [] and "withdraw-confirm" in identifiers(view.root)
    await view.send_withdraw()
    assert calls == ["已自行解决"]


async def test_add_information_needs_a_note(citizen) -> None:
    view = _case(citizen, "in_progress", citizen.user.id)
    assert not await view.case.add_info("  ")
    assert citizen.shell.messages[-1][0] == "请填写补充说明"


def test_others_and_closed_cases_get_neither_action(citizen) -> None:
    follower = _case(citizen, "dispatched", uuid.uuid4())
    assert not {Action.ADD_INFO, Action.WITHDRAW} & set(follower.case.actions())
    withdrawn = _case(citizen, "withdrawn", citizen.user.id)
    assert withdrawn.case.actions() == []
    assert "已撤回" in texts(withdrawn.root)


def test_the_draft_keeps_a_landmark_within_the_sql_limit() -> None:
    draft = ReportDraft(photos=[b"x"], description="路灯坏了", category_code="02.03.001", lat=39.1, lon=117.2,
                        landmark=" 3号楼东侧 ")
    assert draft.to_create().landmark == "3号楼东侧"
    draft.landmark = "楼" * 101
    assert draft.problems() == ["landmark_long"] and "100" in message("landmark_long")
    draft.landmark = "  "
    assert draft.to_create().landmark is None


async def test_a_report_for_a_resident_keeps_the_landmark(people, stack, tmp_path, db) -> None:
    from grid_app.views.report_for_resident import ResidentReportHost
    from shared.models import ReportSource
    from shared.reporting import ReportDraft

    app = await worker_app(stack, tmp_path, people)
    draft = ReportDraft(category_code=item(db, "city_mgmt")["code"], description="楼道灯坏了", lat=GRID_POINTS[0][0],
                        lon=GRID_POINTS[0][1], landmark="2单元门口", source=ReportSource.GRID_APP,
                        resident_name="赵大爷", resident_phone="13900005678")
    filed = await ResidentReportHost(app).file_report(draft)
    assert db.execute("select landmark from public.reports where id = %s", (str(filed.id),)).fetchone()[0] == "2单元门口"
    await app.client.aclose()
