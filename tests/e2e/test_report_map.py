"""The report form's map in Chromium on a phone: the mouse wheel over it scrolls the page (zoom has
buttons), and after a reload of the tab the map still shows the pin and the grid, not a blank area."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, GRIDS, ensure_demo_city

from .flutter import by_id, enable_semantics, type_into

GRID, POINT = GRIDS[3], GRID_POINTS[3]
PHONE = (390, 844)
WAIT = 60_000


def pin_pixels(page) -> int:
    """How many pixels of the map area are the pin's red (the map has no tiles here: grey, the grid, the pin)."""
    box = by_id(page, "report-map").bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    rgb = shot.tobytes()
    return sum(1 for i in range(0, len(rgb), 3) if rgb[i] > 170 and rgb[i + 1] < 90 and rgb[i + 2] < 90)


def wait_for_pin(page) -> int:
    for _ in range(120):  # up to ~30 s on a loaded machine
        found = pin_pixels(page)
        if found > 100:
            return found
        page.wait_for_timeout(250)
    return pin_pixels(page)


def test_the_wheel_scrolls_the_page_and_a_reload_keeps_the_map(serve_app, open_app, stack, db, make_user,
                                                               tmp_path) -> None:
    ensure_demo_city(db)
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="蒋女士")
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *PHONE, geolocation={"latitude": POINT[0], "longitude": POINT[1]},
                    permissions=["geolocation"])
    page.set_default_timeout(WAIT)
    by_id(page, "account-submit").wait_for()
    type_into(page, "手机号或邮箱", citizen.email)
    type_into(page, "密码", citizen.password)
    by_id(page, "account-submit").click()
    by_id(page, "action-report").click()
    expect(by_id(page, "report-address")).to_contain_text("网格", timeout=WAIT)
    expect(by_id(page, "map-zoom-in")).to_be_visible(timeout=WAIT)
    expect(by_id(page, "map-zoom-out")).to_be_visible(timeout=WAIT)
    assert wait_for_pin(page) > 100, "the pin is not on the map"

    before = by_id(page, "report-map").bounding_box()
    page.mouse.move(before["x"] + before["width"] / 2, before["y"] + before["height"] / 2)
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(800)
    after = by_id(page, "report-map").bounding_box()
    assert after["y"] < before["y"] - 100, (before, after)  # the page scrolled under the pointer
    page.mouse.wheel(0, -600)
    page.wait_for_timeout(800)
    assert wait_for_pin(page) > 100, "the wheel zoomed the map away from the pin"
    by_id(page, "map-zoom-out").locator("[role=button]").or_(
        page.locator('[flt-semantics-identifier="map-zoom-out"][role=button]')).first.click()
    page.wait_for_timeout(600)
    assert wait_for_pin(page) > 100  # zoomed out around the pin: still in view

    page.reload()
    enable_semantics(page)
    expect(by_id(page, "report-map")).to_be_visible(timeout=WAIT)
    found = wait_for_pin(page)
    page.screenshot(path=tmp_path / "reloaded.png")  # to look at when it fails
    assert found > 100, "the map is blank after a reload"
    page.goto("about:blank")
