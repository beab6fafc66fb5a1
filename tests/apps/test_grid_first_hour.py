"""A new grid worker's first hour, without a browser, against the real local stack: the inbox row
follows an accept at once and ages live, case dialogs keep their input when a field is missing,
notices (care alerts included) say what and where, addresses use the areas' English names."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from PIL import Image

from backend.jobs.care_watch import run_scan
from grid_app.state.alerts import AlertsState
from grid_app.state.app import AppState
from grid_app.state.care import care_translator
from grid_app.state.inbox import InboxState, task_what_where
from grid_app.views.alerts import AlertsScreen
from grid_app.views.care_alerts import CareAlertsScreen
from grid_app.views.case_detail import CaseDetail
from grid_app.views.inbox import InboxScreen
from shared.care import Evidence
from shared.care_chart import evidence_series, meter_unit
from shared.config import BackendConfig
from tests.backend.care_support import add_month_of_readings, make_subject
from tests.backend.core_support import GRID_POINTS, GRIDS, People, file_report, item, make_people, only_workers



def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()  # an after-photo, as the photo button hands it over


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


async def signed_in(stack, tmp_path, user, locale: str = "zh-CN") -> tuple[AppState, list]:
    app = AppState(BackendConfig(stack.url, stack.anon_key, "environment"), locale=locale, folder=tmp_path)
    said: list = app.notifier.messages  # (text, error) as the page would show them
    assert (await app.sign_in(user.email, user.password)).ok
    return app, said


class FakePage:
    """What the views call on a page: dialogs shown (and closed through themselves), updates."""

    def __init__(self, width: int = 1280) -> None:
        self.width, self.shown, self.updates = width, [], 0

    def show_dialog(self, dialog) -> None:
        dialog.open = True
        dialog.update = lambda: None  # not drawn: no browser behind this page
        self.shown.append(dialog)

    @property
    def dialogs(self) -> list:
        """The dialogs still open."""
        return [d for d in self.shown if d.open]

    def update(self) -> None:
        self.updates += 1


def texts(control) -> list[str]:
    out, stack = [], [control]
    while stack:
        c = stack.pop()
        for attr in ("value", "text", "error", "error_text"):
            v = getattr(c, attr, None)
            if isinstance(v, str):
                out.append(v)
        for attr in ("content", "title", "subtitle"):
            v = getattr(c, attr, None)
            if isinstance(v, str):
                out.append(v)
            elif v is not None:
                stack.append(v)
        stack.extend(getattr(c, "controls", None) or [])
    return out


def row_of(screen: InboxScreen, report_id: str):
    return next(c for c in screen.list.controls if getattr(c, "identifier", "") == f"task-{report_id}")


def events_of(db, report_id: str) -> int:
    return db.execute("select count(*) from public.case_events where report_id = %s", (report_id,)).fetchone()[0]


async def test_the_inbox_row_shows_the_new_status_at_once_and_ages_live(people, stack, tmp_path, db) -> None:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0], address="滨西社区北门外")["id"]
    app, _ = await signed_in(stack, tmp_path, people.worker_1)
    page = FakePage()
    screen = InboxScreen(app, InboxState(app), page)
    await screen.show()
    try:
        assert screen._ticker is not None and not screen._ticker.done()  # the ages move on by themselves
        assert "已派发" in texts(row_of(screen, rid))
        await screen.open_case(rid)
        screen.detail.open_dialog(page, "accept_report")
        await screen.detail.dialog_confirm(None)
        assert page.dialogs == []
        row = texts(row_of(screen, rid))
        assert "已受理" in row and "已派发" not in row
        task = next(t for t in screen.state.tasks if str(t.report_id) == rid)
        screen.redraw(now=task.created_at + timedelta(minutes=7))
        assert "7 分钟前" in texts(row_of(screen, rid))
    finally:
        screen.hide()
    assert screen._ticker is None
    await app.client.aclose()


async def test_an_accept_on_another_device_reaches_the_row_live(people, stack, tmp_path, db) -> None:
    import asyncio

    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    app, _ = await signed_in(stack, tmp_path, people.worker_1)
    inbox = InboxState(app)
    await inbox.load()
    await app.client.worker.subscribe_tasks(inbox.on_task_change)

    def status() -> str:
        return next(t for t in inbox.tasks if str(t.report_id) == rid).report.status.value

    assert status() == "dispatched"
    people.worker_1.client.rpc("accept_report", {"report": rid}).execute()  # from the worker's phone
    for _ in range(300):
        if status() == "accepted":
            break
        await asyncio.sleep(0.05)
    assert status() == "accepted"
    await app.client.aclose()


# action -> (what is filled in, the missing field, its error in zh and en)
DIALOGS = {
    "resolve_report": ({}, "note", "请填写说明", "Please fill in: Note"),
    "reject_report": ({}, "reason", "请填写原因", "Please fill in: Reason"),
    "escalate_report": ({}, "reason", "请填写原因", "Please fill in: Reason"),
    "request_report_info": ({}, "question", "请填写需要补充的信息", "Please fill in: What do you need to know?"),
    "comment_report": ({}, "note", "请填写说明", "Please fill in: Note"),
    "transfer_report": ({"reason": "不归我管"}, "to_department", "请选择一个部门或填写网格员编号（二选一）",
                        "Choose a department or enter a worker id (one of them)"),
    "change_report_category": ({"reason": "其实是环境问题"}, "category", "请填写新类别（输入编号或名称筛选）",
                               "Please fill in: New category (type a code or name)"),
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("action", list(DIALOGS))
async def test_a_missing_field_keeps_the_dialog_and_its_input(people, stack, tmp_path, db, action, locale) -> None:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    app, _ = await signed_in(stack, tmp_path, people.worker_1, locale)
    if action in ("resolve_report", "request_report_info"):  # offered once the case is accepted
        people.worker_1.client.rpc("accept_report", {"report": rid}).execute()
    detail, page = CaseDetail(app, rid), FakePage()
    await detail.state.load()
    assert action in detail.state.actions()
    before = events_of(db, rid)
    filled, missing, zh, en = DIALOGS[action]
    dialog = detail.open_dialog(page, action)
    for name, value in filled.items():
        detail.dialog_fields[name].value = value
    detail.picked_photos = [JPEG]  # what the photo button adds
    await detail.dialog_confirm(None)
    assert page.dialogs == [dialog]  # still open
    field = detail.dialog_fields[missing]
    assert (field.error_text if missing in ("category", "to_department") else field.error) == (
        en if locale == "en" else zh)
    assert detail.picked_photos == [JPEG]
    assert all(detail.dialog_fields[name].value == value for name, value in filled.items())
    assert events_of(db, rid) == before  # nothing sent
    await app.client.aclose()


async def test_resolve_sends_note_and_photo_once_the_note_is_filled_in(people, stack, tmp_path, db) -> None:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    people.worker_1.client.rpc("accept_report", {"report": rid}).execute()
    app, _ = await signed_in(stack, tmp_path, people.worker_1)
    detail, page = CaseDetail(app, rid), FakePage()
    await detail.state.load()
    detail.open_dialog(page, "resolve_report")
    detail.picked_photos = [JPEG]
    await detail.dialog_confirm(None)
    assert detail.dialog_fields["note"].error == "请填写说明" and len(page.dialogs) == 1
    detail.dialog_fields["note"].value = "已修好"
    await detail.dialog_confirm(None)
    assert page.dialogs == [] and detail.dialog_fields["note"].error is None
    status, note, photos = db.execute("select status::text, resolution_note, resolution_photos from public.reports"
                                      " where id = %s", (rid,)).fetchone()
    assert (status, note, len(photos)) == ("resolved", "已修好", 1)
    await app.client.aclose()


async def test_notices_say_what_and_where_care_alerts_included(people, stack, tmp_path, db, service) -> None:
    code = item(db, "city_mgmt")["code"]
    rid = file_report(people.citizen_a, code, GRID_POINTS[0], address="滨西社区北门外")["id"]
    subject = make_subject(db, GRIDS[0], name="钱奶奶")
    add_month_of_readings(db, subject["id"], silent_hours=20)
    run_scan(service)
    category = db.execute("select name_zh, name_en from public.categories where code = %s", (code,)).fetchone()
    for locale, where, kind in (("zh-CN", "滨西社区北门外", "长时间无活动"),
                                ("en", "Binxi Community 北门外", "No activity for a long time")):
        app, _ = await signed_in(stack, tmp_path, people.worker_1, locale)
        alerts = AlertsState(app)
        await alerts.load()
        task_notice = next(n for n in alerts.notices if n.kind == "task_assigned" and str(n.report_id) == rid)
        text = alerts.describe(task_notice)
        assert text.what == category[1 if locale == "en" else 0] and text.where == where
        care = next(n for n in alerts.notices if n.kind == "care_alert"
                    and n.payload.get("subject_id") == subject["id"])
        described = alerts.describe(care)
        assert described.what == kind and described.where == "钱奶奶 测试地址 1号"
        screen = AlertsScreen(app, alerts, SimpleNamespace())
        screen.refresh()
        shown = texts(screen.column)
        assert any(kind in x and "钱奶奶" in x for x in shown)  # listed under Alerts, with what and where
        assert any(where in x for x in shown)
        # The care screen's chart says what its numbers count: the caption and the y-axis name the unit.
        care_screen = CareAlertsScreen(app)
        await care_screen.show()
        alert = next(a for a in care_screen.state.alerts if str(a.subject_id) == subject["id"])
        care_screen._select(str(alert.id))
        unit = meter_unit(alert.meter_kind)
        assert unit and any(f"（{unit}）" in x or f"({unit})" in x for x in texts(care_screen.detail))
        await app.client.aclose()


async def test_a_new_task_is_announced_with_category_and_address(people, stack, tmp_path, db) -> None:
    code = item(db, "city_mgmt")["code"]
    rid = file_report(people.citizen_a, code, GRID_POINTS[0], address="滨西社区5号楼东侧")["id"]
    app, _ = await signed_in(stack, tmp_path, people.worker_1, "en")
    inbox = InboxState(app)
    await inbox.load()
    task = next(t for t in inbox.tasks if str(t.report_id) == rid)
    name_en = db.execute("select name_en from public.categories where code = %s", (code,)).fetchone()[0]
    assert task_what_where(app, task) == f"{name_en} · Binxi Community 5号楼东侧"
    assert app.t("inbox.new_task", what=task_what_where(app, task)).startswith(f"New task: {name_en}")
    await app.client.aclose()


def test_the_care_chart_names_its_unit() -> None:
    from datetime import datetime, timezone
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    ev = Evidence(meter_kind="water", hours=[start + timedelta(hours=i) for i in range(24)], observed=[1.0] * 24,
                  expected=[10.0] * 24, band_low=[2.0] * 24, band_high=[20.0] * 24)
    assert [meter_unit(k) for k in ("electricity", "water", "gas", None)] == ["kWh", "L", "m³", ""]
    assert evidence_series(ev, meter_unit("water")).unit == "L"
    # The screen's chart names the unit on its value axis, in the worker's language.
    for lang, title in (("zh", "水用量（L）"), ("en", "water use (L)")):
        t = care_translator(SimpleNamespace(t=SimpleNamespace(locale=lang)))
        assert t("care.axis.use", meter=t("care.meter.water"), unit="L") == title
