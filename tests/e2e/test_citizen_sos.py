"""SOS in Chromium on a phone: sign in, hold 3 s, let the countdown run, see it sent, see who answered, live.

The browser context gives the location (as a phone's GPS would); the grid's on-duty
worker acknowledges through the API (CityClient), and the page must show the
worker's name without a reload. The elderly mode is measured; and with the network
cut (a relay between the app and the stack, closed), the emergency numbers appear.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from shared.client import CityClient
from tests.backend.core_support import (
    GRID_POINTS,
    GRIDS,
    assign_worker,
    ensure_demo_city,
)
from tests.links import CuttableLink

from .conftest import SCREENSHOTS
from .flutter import by_id, on_worker_side, type_into

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser

GRID, POINT = GRIDS[2], GRID_POINTS[2]
WORKER_NAME = "吴网格员"
PHONE = (390, 844)
WAIT = 60_000  # ms: generous, the machine is shared


async def acknowledge_open_sos(url: str, key: str, worker: TestUser, caller_id: str) -> str:
    client = await CityClient.connect(url=url, key=key)
    try:
        await client.auth.sign_in(worker.email, worker.password)
        deadline = time.monotonic() + 30
        while True:
            mine = [a for a in await client.sos.sos_alerts() if str(a.caller_id) == caller_id]
            if mine or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert mine, "the worker never saw the SOS"
        await client.sos.acknowledge_sos(mine[0].id)
        return str(mine[0].id)
    finally:
        await client.aclose()


def tap(page, identifier: str) -> None:
    """Click the button inside a Semantics wrapper (the wrapper itself lets pointer events through)."""
    button = by_id(page, identifier).locator("[role=button]").or_(page.locator(
        f'[flt-semantics-identifier="{identifier}"][role=button]'))
    button.first.click()


def sign_in(page, user: TestUser) -> None:
    """Sign in through the form; the home's SOS action must appear.

    The sign-in screen may be drawn a second time while it starts (the route settles),
    which empties a form typed into too early: then the form is filled again.
    """
    for _ in range(3):
        by_id(page, "account-submit").wait_for()
        type_into(page, "手机号或邮箱", user.email)
        type_into(page, "密码", user.password)
        by_id(page, "account-submit").click()
        try:
            by_id(page, "action-sos").wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            continue
    by_id(page, "action-sos").wait_for()


def leave(page) -> None:
    """Leave the app the way a person does, and give its server a moment to see the socket close."""
    page.goto("about:blank")
    page.wait_for_timeout(1_500)


def shoot(page, name: str) -> None:
    page.wait_for_timeout(400)  # let the last frame reach the screen
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"citizen-sos-{name}.png")


def test_hold_count_down_send_and_see_who_answered(serve_app, open_app, stack, db, make_user) -> None:
    ensure_demo_city(db)
    worker = make_user(app_metadata={"role": "grid_worker"}, display_name=WORKER_NAME)
    assign_worker(db, worker.id, GRID, on_duty=True)
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="郑阿姨")

    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *PHONE, geolocation={"latitude": POINT[0], "longitude": POINT[1], "accuracy": 10},
                    permissions=["geolocation"])
    page.set_default_timeout(WAIT)
    sign_in(page, citizen)
    tap(page, "action-sos")

    hold = by_id(page, "sos-hold")
    expect(hold).to_be_visible(timeout=30_000)
    expect(by_id(page, "sos-status")).to_contain_text("按住红色按钮 3 秒")
    shoot(page, "idle")
    box = hold.bounding_box()
    assert box["width"] >= 200 and box["height"] >= 200  # one large control
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    expect(by_id(page, "sos-status")).to_contain_text("请继续按住", timeout=5_000)
    page.wait_for_timeout(3_600)
    page.mouse.up()
    expect(by_id(page, "sos-status")).to_contain_text("秒后发出求助")
    expect(by_id(page, "sos-cancel")).to_be_visible()
    cancel_box = by_id(page, "sos-cancel").bounding_box()
    assert cancel_box["height"] >= 60 and cancel_box["width"] >= 300  # a big Cancel
    shoot(page, "countdown")

    expect(by_id(page, "sos-status")).to_contain_text("求助已发出", timeout=30_000)
    expect(by_id(page, "sos-false-alarm")).to_be_visible()
    numbers_in_view(page, ("sos-call-110", "sos-call-120"))  # while the SOS is open, too
    alert = db.execute("select id::text, grid_id::text, lat, lon from public.sos_alerts"
                       " where caller_id = %s and status = 'sent'", (citizen.id,)).fetchone()
    assert alert is not None and alert[1] == GRID  # raised from the browser's location
    assert (round(alert[2], 4), round(alert[3], 4)) == (round(POINT[0], 4), round(POINT[1], 4))
    shoot(page, "sent")

    acknowledged = on_worker_side(acknowledge_open_sos, stack.url, stack.anon_key, worker, citizen.id)
    assert acknowledged == alert[0]
    expect(by_id(page, "sos-status")).to_contain_text(f"{WORKER_NAME} 已响应您的求助", timeout=30_000)  # live
    expect(by_id(page, "sos-steps")).to_contain_text("已响应", timeout=15_000)
    shoot(page, "acknowledged")

    tap(page, "sos-false-alarm")
    expect(by_id(page, "sos-status")).to_contain_text("已取消求助", timeout=30_000)
    status = db.execute("select status::text from public.sos_alerts where id = %s", (alert[0],)).fetchone()[0]
    assert status == "cancelled"
    tap(page, "sos-done")  # the SOS is over: 完成 goes home, not back to the hold ring
    expect(by_id(page, "action-sos")).to_be_visible(timeout=30_000)
    expect(by_id(page, "sos-hold")).to_have_count(0)
    leave(page)


def numbers_in_view(page, identifiers=("sos-call-110", "sos-call-120", "sos-family-0")) -> None:
    """110, 120 and the family's number are on the phone's screen as it is, without scrolling."""
    for identifier in identifiers:
        box = by_id(page, identifier).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE[1], (identifier, box)
        assert box["height"] >= 48 and box["width"] >= 140, (identifier, box)


def test_elderly_mode_sos_is_large_and_a_cancelled_countdown_sends_nothing(serve_app, open_app, stack, db,
                                                                            make_user) -> None:
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="冯大爷")
    db.execute("insert into public.emergency_contact_invitations (inviter_id, phone, name, relation)"
               " values (%s, '13900006666', '冯小丽', '女儿')", (citizen.id,))
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *PHONE, geolocation={"latitude": POINT[0], "longitude": POINT[1]},
                    permissions=["geolocation"])
    page.set_default_timeout(WAIT)
    sign_in(page, citizen)
    by_id(page, "elderly-switch").click()
    expect(by_id(page, "home-cases-title")).to_contain_text("我最近的上报")  # the simplified home
    tap(page, "action-sos")

    hold = by_id(page, "sos-hold")
    expect(hold).to_be_visible(timeout=30_000)
    box = hold.bounding_box()
    assert box["width"] >= 240 and box["height"] >= 240, box
    status = by_id(page, "sos-status").bounding_box()
    assert status["height"] >= 2 * 22 * 1.3, status  # the hint: two lines of >= 22 px text at line height >= 1.3
    expect(by_id(page, "sos-family-0")).to_contain_text("女儿 冯小丽 13900006666")
    numbers_in_view(page)
    assert box["y"] + box["height"] <= PHONE[1], box  # the hold control too
    shoot(page, "elderly-idle")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(3_600)
    page.mouse.up()
    expect(by_id(page, "sos-cancel")).to_be_visible()
    cancel = by_id(page, "sos-cancel").bounding_box()
    assert cancel["height"] >= 60 and cancel["width"] >= 60, cancel
    numbers_in_view(page)
    shoot(page, "elderly-countdown")
    tap(page, "sos-cancel")
    expect(by_id(page, "sos-status")).to_contain_text("按住红色按钮 3 秒")
    page.wait_for_timeout(6_000)  # past the end of the countdown that was cancelled
    expect(by_id(page, "sos-hold")).to_be_visible()
    assert db.execute("select count(*) from public.sos_alerts where caller_id = %s", (citizen.id,)).fetchone()[0] == 0
    leave(page)


# The Realtime client logs its lost socket (and a join that cannot reach the server) at ERROR; the app
# falls back to polling. The cut is the test.
@pytest.mark.expected_log_errors(
    r"ERROR realtime\._async\.client: (WebSocket connection closed|Connection attempt failed"
    r"|Connection failed permanently)",
    r"ERROR realtime\._async\.channel: join push timeout")
def test_without_a_network_the_emergency_numbers_are_offered(serve_app, open_app, stack, make_user) -> None:
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="褚先生")
    link = CuttableLink(urlsplit(stack.url).port)
    url = serve_app("citizen_app", SUPABASE_URL=f"http://127.0.0.1:{link.port}", SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *PHONE, geolocation={"latitude": POINT[0], "longitude": POINT[1]},
                    permissions=["geolocation"])
    page.set_default_timeout(WAIT)
    try:
        sign_in(page, citizen)
        tap(page, "action-sos")
        hold = by_id(page, "sos-hold")
        expect(hold).to_be_visible(timeout=30_000)
        link.cut()  # the network goes away

        box = hold.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.wait_for_timeout(3_600)
        page.mouse.up()
        expect(by_id(page, "sos-status")).to_contain_text("求助未能发出", timeout=45_000)
        expect(by_id(page, "sos-detail")).to_contain_text("网络")
        for number, words in (("110", "报警 110"), ("120", "急救 120"), ("119", "火警 119"), ("12110", "短信报警 12110")):
            expect(by_id(page, f"sos-call-{number}")).to_contain_text(words)
            target = by_id(page, f"sos-call-{number}").bounding_box()
            assert target["height"] >= 48 and target["width"] >= (140 if number in ("110", "120") else 300), (
                number, target)
        expect(by_id(page, "sos-retry")).to_be_visible()
        shoot(page, "offline")
    finally:
        link.cut()
    leave(page)
