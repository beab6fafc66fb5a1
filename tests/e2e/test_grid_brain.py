"""/brain in Chromium: a supervisor's city brain moves within 2 s of a report filed through the API and of
an SOS; a grid worker has no way to it. Screenshots at 1920x1080 and 1280x800: docs/screenshots/grid-brain*.png."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, item

from .flutter import by_id
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
