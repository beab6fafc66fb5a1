"""/brain in Chromium: a supervisor's city brain moves within 2 s of a report filed through the API and of
an SOS; a grid worker has no way to it. Screenshots at 1920x1080 and 1280x800: docs/screenshots/grid-brain*.png."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, item

from .flutter import by_id, enable_semantics
from .grid_support import TABLET, people, shot, sign_in  # noqa: F401 - people is a fixture

WALL = (1920, 1080)


def tile_number(page, key: str) -> int:
    numbers = re.findall(r"\d+", by_id(page, f"{key}-value").inner_text())
    assert numbers, f"{key} shows no figure"
    return int(numbers[0])


def open_brain(page) -> None:
    page.get_by_role("tab", name="城市大脑").or_(page.get_by_text("城市大脑")).first.click()
    expect(by_id(page, "brain")).to_be_visible(timeout=20_000)
    expect(by_id(page, "tile-received")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("● 实时更新中")).to_be_visible(timeout=20_000)


def test_brain_moves_within_two_seconds_and_workers_cannot_open_it(people, db, stack, serve_app, open_app,
                                                                  tmp_path) -> None:
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "grid-data"))
    wall = open_app(url, *WALL)
    sign_in(wall, people.supervisor.email, people.supervisor.password)
    open_brain(wall)
    received, sos = tile_number(wall, "tile-received"), tile_number(wall, "tile-sos")
    shot(wall, "grid-brain.png")

    # A resident files a case in the supervisor's street: the counter and the ticker move within 2 s.
    category = item(db, "city_mgmt")["code"]
    started = time.monotonic()
    report = people.citizen_a.client.table("reports").insert({
        "category_code": category, "description": "城市大脑测试：路灯不亮", "lat": GRID_POINTS[0][0],
        "lon": GRID_POINTS[0][1]}).execute().data[0]
    expect(by_id(wall, "tile-received-value")).to_have_text(str(received + 1), timeout=2_000)
    number = db.execute("select case_number from public.reports where id = %s", (report["id"],)).fetchone()[0]
    expect(by_id(wall, "brain-ticker")).to_contain_text(number, timeout=max(0.1, 2.0 - (time.monotonic() - started)) * 1000)

    # An SOS in the street: a red tile within 2 s.
    people.citizen_b.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1]}).execute()
    expect(by_id(wall, "tile-sos-value")).to_have_text(str(sos + 1), timeout=2_000)
    shot(wall, "grid-brain-sos.png")

    # The same screen on a tablet.
    tablet = open_app(url, *TABLET)
    sign_in(tablet, people.supervisor.email, people.supervisor.password)
    open_brain(tablet)
    shot(tablet, "grid-brain-tablet.png")

    # A grid worker's rail has no city brain.
    worker = open_app(url, *TABLET)
    sign_in(worker, people.worker_1.email, people.worker_1.password)
    expect(worker.get_by_role("tab", name="统计").or_(worker.get_by_text("统计")).first).to_be_visible()
    expect(worker.get_by_role("tab", name="城市大脑").or_(worker.get_by_text("城市大脑"))).to_have_count(0)


def test_brain_downloads_its_table_survives_a_reload_and_speaks_english(people, db, stack, serve_app, open_app,
                                                                          tmp_path) -> None:
    import io
    import zipfile

    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "grid-data"))
    people.citizen_a.client.table("reports").insert({
        "category_code": item(db, "city_mgmt")["code"], "description": "导出测试：井盖松动", "lat": GRID_POINTS[0][0],
        "lon": GRID_POINTS[0][1]}).execute()
    # Three neighbours report the same pile: a hotspot, merged from the screen.
    words = "7号楼北侧空地被人倒了一大堆建筑垃圾"
    pile = [people.citizen_a.client.table("reports").insert({
        "category_code": item(db, "city_mgmt")["code"], "description": words + "，" + "好几天了" * (n + 1),
        "lat": GRID_POINTS[1][0] + 0.0003 * n, "lon": GRID_POINTS[1][1]}).execute().data[0]["id"] for n in range(3)]
    hotspot = db.execute("select hotspot_id::text from public.hotspot_members where report_id = %s", (pile[0],)).fetchone()[0]
    wall = open_app(url, *WALL)
    sign_in(wall, people.supervisor.email, people.supervisor.password)
    open_brain(wall)
    by_id(wall, f"brain-merge-{hotspot}").click()
    wall.wait_for_timeout(1500)  # the dialog stays open while live updates redraw the hotspot list
    by_id(wall, "brain-merge-confirm").click()
    expect(wall.get_by_text("已合并为一件办理").first).to_be_visible(timeout=20_000)
    expect(by_id(wall, f"brain-merge-{hotspot}")).to_have_count(0, timeout=20_000)
    assert db.execute("select count(*) from public.reports where id = any(%s::uuid[]) and parent_report_id is not null",
                      (pile,)).fetchone()[0] == 2
    shot(wall, "grid-brain-hotspot.png")

    # This year's table, downloaded as the spreadsheet the CLI writes.
    wall.get_by_role("button", name="今年").or_(wall.get_by_text("今年", exact=True)).first.click()
    with wall.expect_download() as download:
        by_id(wall, "brain-export-xlsx").click()
    name = download.value.suggested_filename
    assert re.fullmatch(r"performance-street-\d{4}-01-01-\d{4}-\d\d-\d\d\.xlsx", name), name
    saved = tmp_path / name
    download.value.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "编码 Code" in strings and "按时办结率 On-time rate" in strings

    # A reload comes back to the city brain, live again.
    wall.reload()
    enable_semantics(wall)
    expect(by_id(wall, "brain")).to_be_visible(timeout=30_000)
    expect(wall.get_by_text("● 实时更新中")).to_be_visible(timeout=20_000)

    # In English.
    wall.get_by_role("button", name="English").or_(wall.get_by_text("English", exact=True)).first.click()
    expect(wall.get_by_text("● Live")).to_be_visible(timeout=20_000)
    expect(wall.get_by_text("Download Excel")).to_be_visible()
    shot(wall, "grid-brain-en.png")
