"""Both placeholder apps in a real browser: Chinese title, backend status, screenshots."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port

from .conftest import SCREENSHOTS


@dataclass(frozen=True)
class App:
    module: str
    title: str
    width: int
    height: int
    screenshot: str


CITIZEN = App("citizen_app", "城市圈 · 市民端", 390, 844, "citizen_placeholder.png")  # phone
GRID = App("grid_app", "城市圈 · 网格员端", 1280, 800, "grid_placeholder.png")  # tablet


@pytest.mark.parametrize("app", [CITIZEN, GRID], ids=lambda a: a.module)
def test_placeholder_shows_title_and_connected_backend(app, serve_app, open_app, stack):
    url = serve_app(app.module, SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, app.width, app.height)

    expect(page.locator('[flt-semantics-identifier="app-title"]')).to_have_text(app.title)
    expect(page.locator('[flt-semantics-identifier="backend-status"]')).to_contain_text("后端已连接")

    page.wait_for_timeout(500)  # let the frame drawn with the loaded font reach the screen
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / app.screenshot)


def test_placeholder_says_when_backend_does_not_answer(serve_app, open_app, stack):
    nobody = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on
    url = serve_app(CITIZEN.module, SUPABASE_URL=nobody, SUPABASE_ANON_KEY=stack.anon_key)
    page = open_app(url, CITIZEN.width, CITIZEN.height)

    expect(page.locator('[flt-semantics-identifier="backend-status"]')).to_contain_text("后端未连接")
