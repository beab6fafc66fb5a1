"""The grid app in Chromium, two tablets side by side (1280x800): a resident's report reaches the right
worker live, is accepted and resolved with a photo; an SOS covers the screen until acknowledged; the
worker of another grid never sees either. Screenshots: docs/screenshots/grid-*.png."""

from __future__ import annotations

import io
import re
import time

from PIL import Image
from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, item

from .flutter import by_id, new_tab, type_into
from .grid_support import TABLET, people, shot, sign_in  # noqa: F401 - people is a fixture


def jpeg(path) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 160, 90)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def _wait_for_row(db, sql: str, params: tuple, timeout_s: float = 30.0) -> tuple:
    deadline = time.monotonic() + timeout_s
    while (row := db.execute(sql, params).fetchone()) is None and time.monotonic() < deadline:
        time.sleep(0.3)
    assert row is not None, "the report was never filed"
    return row


def test_report_to_resolution_and_sos_between_two_tablets(people, db, stack, serve_app, open_app, tmp_path) -> None:
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_GRID_DATA=str(tmp_path / "grid-data"))
    mine = open_app(url, *TABLET)
    shot(mine, "grid-signin.png")
    other = open_app(url, *TABLET)
    sign_in(mine, people.worker_1.email, people.worker_1.password)
    sign_in(other, people.worker_2.email, people.worker_2.password)
    mine.bring_to_front()  # a page in the background is not drawn: the worker looks at their own tablet

    # A resident reports in grid 1 (through the API): it appears in worker 1's inbox without a reload.
    category = item(db, "city_mgmt")["code"]
    row = {"category_code": category, "description": "小区门口路灯不亮 street light out", "lat": GRID_POINTS[0][0],
           "lon": GRID_POINTS[0][1], "address": "滨西社区 3 号楼门口"}
    started = time.monotonic()
    report = people.citizen_a.client.table("reports").insert(row).execute().data[0]
    task_row = by_id(mine, f"task-{report['id']}")
    expect(task_row).to_be_visible(timeout=2_000)
    arrived_s = time.monotonic() - started
    assert arrived_s < 2.0

    task_row.click()
    expect(by_id(mine, "case-status")).to_contain_text("已派发", timeout=15_000)
    expect(by_id(mine, "reporter-phone")).to_contain_text("1234")  # masked but for the last four digits
    assert "13800001234" not in by_id(mine, "reporter-phone").inner_text()
    shot(mine, "grid-inbox.png")

    by_id(mine, "act-accept_report").click()
    by_id(mine, "dialog-confirm").click()
    expect(by_id(mine, "case-status")).to_contain_text("已受理", timeout=15_000)

    by_id(mine, "act-resolve_report").click()
    type_into(mine, "说明", "已更换灯泡 bulb replaced")
    with mine.expect_file_chooser() as chooser:
        by_id(mine, "add-photo").click()
    chooser.value.set_files(jpeg(tmp_path / "after.jpg"))
    expect(mine.get_by_text("已添加 1 张照片")).to_be_visible(timeout=15_000)
    by_id(mine, "dialog-confirm").click()
    expect(by_id(mine, "case-status")).to_contain_text("已办结", timeout=30_000)
    expect(by_id(mine, "photo")).to_be_visible(timeout=15_000)  # the after-photo, as a thumbnail
    shot(mine, "grid-case.png")
    by_id(mine, "photo").click()  # full size on tap
    expect(mine.get_by_role("button", name="关闭")).to_be_visible(timeout=15_000)
    close = mine.get_by_role("button", name="关闭")
    for _ in range(3):  # a tap that lands while the dialog still animates in is dropped: tap again
        close.click()
        try:
            expect(close).to_be_hidden(timeout=5_000)
            break
        except AssertionError:
            continue
    expect(close).to_be_hidden()

    # The resident sees "resolved" with the after-photo (through the API).
    seen = people.citizen_a.client.table("reports").select("*").eq("id", report["id"]).execute().data[0]
    assert seen["status"] == "resolved" and seen["resolution_note"] == "已更换灯泡 bulb replaced"
    assert len(seen["resolution_photos"]) == 1
    photo = people.citizen_a.client.storage.from_("report-photos").download(seen["resolution_photos"][0])
    assert photo[:2] == b"\xff\xd8"  # a JPEG the resident may download

    # An SOS in grid 1 covers worker 1's screen until acknowledged; worker 2 never sees it.
    alert = people.citizen_a.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1],
                                                      "note": "老人摔倒 fell down"}).execute().data
    alert = alert[0] if isinstance(alert, list) else alert
    expect(by_id(mine, "sos-banner")).to_be_visible(timeout=10_000)
    shot(mine, "grid-sos.png")
    by_id(mine, "sos-ack").click()
    expect(by_id(mine, "sos-banner")).to_be_hidden(timeout=15_000)
    expect(by_id(mine, "sos-on-the-way")).to_be_visible()
    mine.get_by_text("预警").first.click()
    expect(by_id(mine, "notices")).to_be_visible(timeout=15_000)
    shot(mine, "grid-alerts.png")
    acknowledged = people.citizen_a.client.table("sos_alerts").select("*").eq("id", alert["id"]).execute().data[0]
    assert acknowledged["status"] == "acknowledged" and acknowledged["acknowledged_by"] == people.worker_1.id

    # Worker 2 (another grid, another street): neither the task nor the SOS ever showed.
    other.bring_to_front()
    assert by_id(other, f"task-{report['id']}").count() == 0
    assert by_id(other, "sos-banner").count() == 0
    shot(other, "grid-other-worker.png")

    # The dashboard counts the resolved case.
    mine.bring_to_front()
    mine.get_by_role("tab", name="统计").or_(mine.get_by_text("统计")).first.click()
    expect(by_id(mine, "dashboard")).to_be_visible(timeout=15_000)
    expect(by_id(mine, "dashboard-by-category")).to_be_visible(timeout=15_000)  # figures loaded, chart drawn
    shot(mine, "grid-dashboard.png")
    # The caller cancels: the responder's bar goes away live.
    people.citizen_a.client.rpc("cancel_sos", {"alert_id": alert["id"], "reason": "test over"}).execute()
    expect(by_id(mine, "sos-on-the-way")).to_be_hidden(timeout=15_000)


def test_phone_layout_and_a_report_filed_for_a_resident(people, db, stack, serve_app, open_app, tmp_path) -> None:
    category = item(db, "city_mgmt")["code"]
    report = people.citizen_a.client.table("reports").insert(
        {"category_code": category, "description": "井盖松动 loose manhole cover", "lat": GRID_POINTS[0][0],
         "lon": GRID_POINTS[0][1], "address": "滨西社区 5 号楼"}).execute().data[0]
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_GRID_DATA=str(tmp_path / "grid-data"))
    phone = open_app(url, 390, 844)
    sign_in(phone, people.worker_1.email, people.worker_1.password)
    by_id(phone, f"task-{report['id']}").click()
    expect(by_id(phone, "case-status")).to_contain_text("已派发", timeout=15_000)
    expect(by_id(phone, "inbox-list")).to_be_hidden()  # the case replaced the list
    shot(phone, "grid-phone-case.png")

    # A new tab of the same browser opens signed in (the session is kept in the browser).
    tab = new_tab(phone, url)
    expect(by_id(tab, "inbox-list")).to_be_visible(timeout=30_000)
    expect(tab.get_by_label("密码")).to_have_count(0)
    tab.goto("about:blank")
    tab.close()

    # On a tablet whose browser knows where it is, the worker files a report for a resident (issue 6, item 5).
    lat, lon = GRID_POINTS[0]
    tablet = open_app(url, *TABLET, geolocation={"latitude": lat, "longitude": lon}, permissions=["geolocation"])
    sign_in(tablet, people.worker_1.email, people.worker_1.password)
    tablet.get_by_text("代报").first.click()
    expect(by_id(tablet, "report-for-resident")).to_be_visible(timeout=15_000)
    expect(tablet.get_by_label("居民姓名")).to_be_visible(timeout=30_000)
    expect(by_id(tablet, "report-address")).to_contain_text("网格", timeout=30_000)  # the browser's location
    started = db.execute("select now()").fetchone()[0]
    type_into(tablet, "居民姓名", "张阿姨")
    type_into(tablet, "居民电话", "13912345678")
    with tablet.expect_file_chooser() as chooser:
        by_id(tablet, "add-photo").click()
    chooser.value.set_files(jpeg(tmp_path / "resident.jpg"))
    expect(by_id(tablet, "report-for-resident").get_by_role("img")).to_have_count(1, timeout=15_000)  # its thumbnail
    type_into(tablet, "问题描述", "路灯不亮")
    expect(by_id(tablet, "report-category")).to_contain_text("路灯不亮", timeout=15_000)
    shot(tablet, "grid-report-for-resident.png")
    by_id(tablet, "submit-report").click()

    filed = _wait_for_row(db, "select r.id, r.source, r.resident_name, r.resident_phone, r.photos, r.status,"
                              " t.assignee_id, t.status from public.reports r"
                              " join public.tasks t on t.report_id = r.id"
                              " where r.reporter_id = %s and r.created_at >= %s",
                          (people.worker_1.id, started))
    report_id, source, name, phone_no, photos, status, assignee, task_status = filed
    assert (source, name, phone_no) == ("grid_app", "张阿姨", "13912345678")
    assert status == "dispatched" and task_status == "open" and str(assignee) == str(people.worker_1.id)
    assert len(photos) == 1
    stored = db.execute("select count(*) from storage.objects where bucket_id = 'report-photos' and name = %s",
                        (photos[0],)).fetchone()[0]
    assert stored == 1
    expect(tablet.get_by_label("居民姓名")).to_have_value("", timeout=15_000)  # a fresh form for the next one
    tablet.get_by_role("button", name=re.compile("^任务")).click()  # the rail (a "新任务" notice may show too)
    # In the worker's own inbox, once: it arrived live while the form was open (strict: one row).
    expect(by_id(tablet, f"task-{report_id}")).to_be_visible(timeout=15_000)
    expect(by_id(tablet, f"task-{report_id}")).to_contain_text("已派发")
    tablet.get_by_role("button", name="English").click()
    expect(tablet.get_by_text("Task inbox").or_(tablet.get_by_text("Tasks")).first).to_be_visible(timeout=15_000)
    expect(tablet.get_by_role("button", name="中文")).to_be_visible()
    tablet.get_by_text("Dashboard").first.click()
    expect(tablet.get_by_text("Resolved today")).to_be_visible(timeout=15_000)
