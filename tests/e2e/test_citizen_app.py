"""The resident app in Chromium on a phone (390x844) against the real stack.

Sign in; report a problem with a photo (file chooser) and the browser's location; see
it in My cases with the dispatched step; the assigned worker accepts and resolves it
through the API and the page follows live; rate it; then the elderly mode, measured.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from playwright.sync_api import expect

from shared.client import CityClient
from tests.apps.citizen_support import jpeg, sole_worker
from tests.backend.core_support import GRID_POINTS, GRIDS, ensure_demo_city

from .conftest import SCREENSHOTS
from .flutter import by_id, new_tab, on_worker_side, type_into

GRID, POINT = GRIDS[5], GRID_POINTS[5]
PHONE = (390, 844)
WAIT = 60_000  # ms: generous, the machine is shared



def reopen(page, url: str):
    """`url` in a new tab instead of `page` (Flet keeps a session per tab): signed in only from what the
    browser kept (SharedPreferences)."""
    tab = new_tab(page, url)
    tab.set_default_timeout(WAIT)
    page.close()
    return tab


def snap(page, name: str, full_page: bool = False) -> None:
    """Screenshot once the canvas has settled: Flutter paints after the semantics tree changes, so wait until
    two screenshots in a row are the same."""
    deadline = time.monotonic() + 10  # a blinking text cursor never settles: then the last one will do
    previous = None
    while time.monotonic() < deadline:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        shot = page.screenshot(full_page=full_page)
        if shot == previous:
            break
        previous = shot
        page.wait_for_timeout(250)
    (SCREENSHOTS / name).write_bytes(shot)


async def worker_acts(url: str, key: str, email: str, password: str, action: str) -> str:
    client = await CityClient.connect(url=url, key=key)
    try:
        await client.auth.sign_in(email, password)
        deadline = time.monotonic() + 30
        while not (tasks := await client.worker.tasks()) and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        assert tasks, "the report never reached the worker"
        report_id = tasks[0].report_id
        if action == "accept":
            await client.reports.accept_report(report_id)
        else:
            await client.reports.resolve_report(report_id, "已更换灯泡")
        return str(report_id)
    finally:
        await client.aclose()


@pytest.fixture()
def worker(db, make_user):
    ensure_demo_city(db)
    person = make_user(app_metadata={"role": "grid_worker"}, display_name="赵网格员")
    with sole_worker(db, GRID, person.id):
        yield person


def test_report_follow_live_rate_and_elderly_mode(stack, serve_app, open_app, make_user, worker, tmp_path) -> None:
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="陈女士")
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "app-data"))
    page = open_app(url, *PHONE, geolocation={"latitude": POINT[0], "longitude": POINT[1]},
                    permissions=["geolocation"])
    page.set_default_timeout(WAIT)

    # Sign in
    by_id(page, "account-submit").wait_for()
    snap(page, "citizen-sign-in.png")
    type_into(page, "手机号或邮箱", citizen.email)
    type_into(page, "密码", citizen.password)
    by_id(page, "account-submit").click()
    by_id(page, "action-report").wait_for()
    expect(by_id(page, "action-sos")).to_be_visible()
    snap(page, "citizen-home.png")

    # Report: photo, location from the browser, description -> category, submit (4 taps after the photo at most)
    by_id(page, "action-report").click()
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(jpeg(1600, 1200))
    with page.expect_file_chooser() as chooser:
        by_id(page, "add-photo").click()
    chooser.value.set_files(str(photo))
    expect(by_id(page, "report-address")).to_contain_text("网格")
    type_into(page, "问题描述", "路灯不亮")
    expect(by_id(page, "report-category")).to_contain_text("路灯不亮")
    snap(page, "citizen-report.png")
    by_id(page, "submit-report").click()

    # The case, with the dispatched step in its timeline
    expect(by_id(page, "step-dispatched")).to_be_visible()
    expect(by_id(page, "case-status")).to_contain_text("已派发")
    snap(page, "citizen-case.png")

    # The worker accepts through the API: the page follows without a reload
    on_worker_side(worker_acts, stack.url, stack.anon_key, worker.email, worker.password, "accept")
    expect(by_id(page, "case-status")).to_contain_text("已受理")
    expect(by_id(page, "step-accepted")).to_be_visible()
    expect(by_id(page, "message")).to_contain_text("已受理")  # the in-app notification

    # Resolved through the API, then rated in the app
    on_worker_side(worker_acts, stack.url, stack.anon_key, worker.email, worker.password, "resolve")
    expect(by_id(page, "case-status")).to_contain_text("已办结")
    by_id(page, "star-5").click()
    by_id(page, "send-rating").click()
    expect(by_id(page, "rated")).to_contain_text("5")
    snap(page, "citizen-rated.png", full_page=True)

    # My cases lists it (done)
    page = reopen(page, url + "/cases")  # still signed in
    by_id(page, "case-filter").wait_for()
    page.get_by_role("button", name=re.compile("已办结")).first.click()
    expect(page.locator('[flt-semantics-identifier^="case-"]').filter(has_text="路灯不亮").first).to_be_visible()
    snap(page, "citizen-cases.png")

    # Elderly mode: the switch on home, remembered; big targets and big text, measured
    page = reopen(page, url + "/")
    by_id(page, "elderly-switch").wait_for()
    by_id(page, "elderly-switch").click()
    expect(by_id(page, "home-cases-title")).to_contain_text("我最近的上报")
    page = reopen(page, url + "/")
    expect(by_id(page, "home-cases-title")).to_contain_text("我最近的上报")  # remembered across a reload
    for target in ("action-report", "action-pay", "action-sos", "elderly-switch", "all-cases"):
        box = by_id(page, target).bounding_box()
        assert box and box["width"] >= 60 and box["height"] >= 60, (target, box)
    title = by_id(page, "home-cases-title").bounding_box()
    assert title["height"] >= 22 * 1.3, title  # one line of >= 22 px text at line height >= 1.3
    snap(page, "citizen-elderly.png")
