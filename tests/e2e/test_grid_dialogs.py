"""A new grid worker in Chromium (tablet 1280x800, zh then en): the inbox row follows the accept at once,
the resolve dialog keeps its photo and note field when the note is missing and says so under the field,
and the notices say what and where. Screenshots: docs/screenshots/grid-dialog-*.png, grid-alerts-en.png."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, item

from .flutter import by_id, type_into
from .grid_support import TABLET, people, shot, sign_in  # noqa: F401 - people is a fixture
from .test_grid_flow import jpeg


def test_resolve_keeps_photo_and_note_when_the_note_is_missing(people, db, stack, serve_app, open_app,
                                                                tmp_path) -> None:
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "grid-data"))
    tablet = open_app(url, *TABLET)
    sign_in(tablet, people.worker_1.email, people.worker_1.password)
    report = people.citizen_a.client.table("reports").insert(
        {"category_code": item(db, "city_mgmt")["code"], "description": "路灯不亮 street light out",
         "lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1], "address": "滨西社区北门外"}).execute().data[0]
    row = by_id(tablet, f"task-{report['id']}")
    expect(row).to_contain_text("已派发", timeout=15_000)
    row.click()
    by_id(tablet, "act-accept_report").click()
    by_id(tablet, "dialog-confirm").click()
    expect(by_id(tablet, "case-status")).to_contain_text("已受理", timeout=15_000)
    expect(row).to_contain_text("已受理", timeout=5_000)  # the list, at once
    expect(row).not_to_contain_text("已派发")

    # Photo first, note forgotten: the dialog stays, with the photo and an error under the note field.
    by_id(tablet, "act-resolve_report").click()
    with tablet.expect_file_chooser() as chooser:
        by_id(tablet, "add-photo").click()
    chooser.value.set_files(jpeg(tmp_path / "after.jpg"))
    expect(tablet.get_by_text("已添加 1 张照片")).to_be_visible(timeout=15_000)
    by_id(tablet, "dialog-confirm").click()
    expect(tablet.get_by_text("请填写说明")).to_be_visible(timeout=10_000)
    expect(tablet.get_by_text("已添加 1 张照片")).to_be_visible()
    expect(by_id(tablet, "dialog-confirm")).to_be_visible()
    shot(tablet, "grid-dialog-note-missing.png")
    status = db.execute("select status::text from public.reports where id = %s", (report["id"],)).fetchone()[0]
    assert status == "accepted"  # nothing was sent

    type_into(tablet, "说明", "已更换灯泡")
    by_id(tablet, "dialog-confirm").click()
    expect(by_id(tablet, "case-status")).to_contain_text("已办结", timeout=30_000)
    expect(by_id(tablet, "photo")).to_be_visible(timeout=15_000)  # the after-photo was kept and sent
    shot(tablet, "grid-dialog-resolved.png")
    note, photos = db.execute("select resolution_note, resolution_photos from public.reports where id = %s",
                              (report["id"],)).fetchone()
    assert note == "已更换灯泡" and len(photos) == 1

    # In English, the notices say what and where, with the area's English name.
    tablet.get_by_role("button", name="English").click()
    expect(tablet.get_by_text("Task inbox")).to_be_visible(timeout=15_000)
    tablet.get_by_text("Alerts").first.click()
    expect(by_id(tablet, "notices")).to_contain_text("Binxi Community 北门外", timeout=15_000)
    shot(tablet, "grid-alerts-en.png")


def test_phone_in_english_shows_area_names_and_the_new_status(people, db, stack, serve_app, open_app,
                                                              tmp_path) -> None:
    report = people.citizen_a.client.table("reports").insert(
        {"category_code": item(db, "city_mgmt")["code"], "description": "井盖松动 loose manhole cover",
         "lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1], "address": "滨西社区5号楼东侧"}).execute().data[0]
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "grid-data"))
    phone = open_app(url, 390, 844)
    sign_in(phone, people.worker_1.email, people.worker_1.password)
    phone.get_by_role("button", name="English").or_(phone.get_by_label("English")).first.click()
    row = by_id(phone, f"task-{report['id']}")
    expect(row).to_contain_text("Binxi Community 5号楼东侧", timeout=15_000)
    expect(row).to_contain_text("Dispatched")
    shot(phone, "grid-phone-inbox-en.png")
    row.click()
    by_id(phone, "act-accept_report").click()
    by_id(phone, "dialog-confirm").click()
    expect(by_id(phone, "case-status")).to_contain_text("Accepted", timeout=15_000)
    shot(phone, "grid-phone-case-en.png")
    by_id(phone, "case-back").click()
    expect(by_id(phone, f"task-{report['id']}")).to_contain_text("Accepted", timeout=15_000)
