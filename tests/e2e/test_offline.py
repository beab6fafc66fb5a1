"""Offline, honestly, in Chromium: the connection notice, the form kept across a reconnect, lists that
say they could not load, and a grid sign-in that fails then succeeds without a reload.

The browser's link to the app server runs through a TCP relay that is cut and restored (a phone
losing its network); `context.set_offline` is the browser's own offline switch; the app server's
link to the backend is a second relay, cut for the "can't load" lists.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.links import Link

from .conftest import SCREENSHOTS
from .flutter import by_id, type_into
from .grid_support import TABLET, people, shot  # noqa: F401 - people is a fixture
from .test_citizen_sos import PHONE, sign_in

WAIT = 60_000  # ms: the machine is shared
NOTICE_ZH = "网络已断开，正在重新连接"
NOTICE_EN = "No connection. Reconnecting"


def through_link(url: str) -> tuple[Link, str]:
    link = Link(urlsplit(url).port)
    return link, f"http://127.0.0.1:{link.port}"


def notice(page):
    return page.locator("#cityloop-offline")


def snap(page, name: str) -> None:
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def test_losing_the_app_server_shows_the_notice_and_keeps_the_form(serve_app, open_app, stack, make_user) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    link, url = through_link(serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key))
    page = open_app(url, *PHONE)
    page.set_default_timeout(WAIT)
    try:
        by_id(page, "account-submit").wait_for()
        type_into(page, "手机号或邮箱", person.email)
        type_into(page, "密码", person.password)
        expect(notice(page)).to_be_hidden()

        link.cut()  # the phone loses its network: the socket to the app server drops
        # Flet swaps the app for its English "Working..." spinner: the cover says it in the person's words.
        expect(notice(page)).to_be_visible(timeout=15_000)
        expect(notice(page)).to_contain_text(NOTICE_ZH)
        assert notice(page).get_attribute("lang") == "zh-CN"
        assert notice(page).get_attribute("data-mode") == "cover"
        box = notice(page).bounding_box()
        assert box["width"] >= PHONE[0] and box["height"] >= PHONE[1], box  # nothing of "Working..." shows
        snap(page, "citizen-offline-notice")

        link.restore()
        expect(notice(page)).to_be_hidden(timeout=30_000)  # Flet reconnected by itself
        expect(page.locator('input[aria-label="手机号或邮箱"]')).to_have_value(person.email)
        # The server kept both fields (the same session); signing in also saves the session in the
        # browser, through a SharedPreferences made after the reconnect.
        by_id(page, "account-submit").click()
        by_id(page, "action-sos").wait_for(timeout=30_000)
    finally:
        link.cut()


def test_the_browsers_own_offline_switch_shows_the_notice_in_the_saved_language(
        serve_app, open_app, stack, make_user) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *PHONE)
    page.set_default_timeout(WAIT)
    sign_in(page, person)
    page.context.set_offline(True)
    expect(notice(page)).to_contain_text(NOTICE_ZH, timeout=15_000)
    page.context.set_offline(False)
    expect(notice(page)).to_be_hidden(timeout=15_000)

    page.evaluate("localStorage.setItem('flutter.cityloop.citizen.locale', JSON.stringify('en'))")
    page.context.set_offline(True)
    expect(notice(page)).to_contain_text(NOTICE_EN, timeout=15_000)
    assert notice(page).get_attribute("lang") == "en"
    page.context.set_offline(False)
    expect(notice(page)).to_be_hidden(timeout=15_000)
    page.evaluate("localStorage.removeItem('flutter.cityloop.citizen.locale')")


# The Realtime client logs its lost socket at ERROR; the lists are the test.
@pytest.mark.expected_log_errors(
    r"ERROR realtime\._async\.client: (WebSocket connection closed|Connection attempt failed"
    r"|Connection failed permanently)",
    r"ERROR realtime\._async\.channel: join push timeout")
def test_without_the_backend_my_cases_says_it_could_not_load(serve_app, open_app, stack, make_user) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    backend = Link(urlsplit(stack.url).port)
    url = serve_app("citizen_app", SUPABASE_URL=f"http://127.0.0.1:{backend.port}", SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *PHONE)
    page.set_default_timeout(WAIT)
    try:
        sign_in(page, person)
        backend.cut()
        by_id(page, "all-cases").locator("[role=button]").or_(
            page.locator('[flt-semantics-identifier="all-cases"][role=button]')).first.click()
        error = by_id(page, "cases-load-error")
        expect(error).to_have_attribute("aria-label", "暂时无法加载，请检查网络后重试", timeout=45_000)
        expect(page.locator('[aria-label*="暂无上报"], :text("暂无上报")')).to_have_count(0)
        expect(by_id(page, "cases-load-error-retry")).to_be_visible()
        expect(notice(page)).to_be_hidden()  # the browser still reaches the app server: no banner
        snap(page, "citizen-cases-cannot-load")
    finally:
        backend.cut()


def test_grid_sign_in_fails_then_succeeds_without_a_reload(people, serve_app, open_app, stack) -> None:  # noqa: F811
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, *TABLET)
    page.set_default_timeout(WAIT)
    submit = page.get_by_role("button", name="登录", exact=True)
    expect(by_id(page, "backend-status")).to_contain_text("后端已连接", timeout=30_000)
    for account, words in ((people.citizen_a.email, "这是居民账号，请使用市民端"),
                           (people.worker_1.email, "账号或密码不正确")):
        type_into(page, "手机号或邮箱", account)
        type_into(page, "密码", "wrong-password" if account == people.worker_1.email else people.citizen_a.password)
        submit.click()
        expect(by_id(page, "signin-error")).to_contain_text(words, timeout=30_000)
        expect(submit).to_be_enabled()
    shot(page, "grid-signin-failed.png")
    assert_contrast(page, submit, 4.5)

    type_into(page, "手机号或邮箱", people.worker_1.email)
    type_into(page, "密码", people.worker_1.password)
    submit.click()  # a click, not Enter: the button works again
    expect(by_id(page, "inbox-list")).to_be_visible(timeout=30_000)


def assert_contrast(page, locator, at_least: float) -> None:
    """Measured on the screen: the button's fill against its darkest or lightest drawn pixel (the words)."""
    from io import BytesIO

    from PIL import Image

    box = locator.bounding_box()
    image = Image.open(BytesIO(page.screenshot(clip=box))).convert("RGB")
    pixels = list(image.getdata())
    fill = max(set(pixels), key=pixels.count)
    text = max(pixels, key=lambda p: abs(_luminance(p) - _luminance(fill)))
    lighter, darker = sorted((_luminance(fill), _luminance(text)), reverse=True)
    ratio = (lighter + 0.05) / (darker + 0.05)
    assert ratio >= at_least, (fill, text, ratio)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
