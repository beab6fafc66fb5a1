"""What the grid app's browser tests share: the people of grid 1, signing in, screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.backend.core_support import GRIDS, People, make_people, only_workers

from .conftest import SCREENSHOTS, quiet_grid
from .flutter import by_id, type_into

TABLET = (1280, 800)
CALLER_NAME = "王丽"
WORKER_NAME = "李强"


@pytest.fixture()
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    only_workers(db, GRIDS[4], (p.worker_2.id, True))
    db.execute("update public.profiles set display_name = %s, phone = %s where id = %s",
               (CALLER_NAME, "13800001234", p.citizen_a.id))
    db.execute("update public.profiles set display_name = %s where id = %s", (WORKER_NAME, p.worker_1.id))
    quiet_grid(db, GRIDS[0])
    return p


def sign_in(page, email: str, password: str) -> None:
    # The sign-in page can be drawn once more while the session starts (no stored session to
    # restore), which empties a form typed into too early: when no inbox follows, type again.
    for _ in range(2):
        type_into(page, "手机号或邮箱", email)
        type_into(page, "密码", password)
        page.get_by_role("button", name="登录", exact=True).click()
        try:
            expect(by_id(page, "inbox-list")).to_be_visible(timeout=20_000)
            return
        except AssertionError:
            if not page.get_by_role("button", name="登录", exact=True).is_visible():
                break  # signing in, only slowly: wait below
    expect(by_id(page, "inbox-list")).to_be_visible(timeout=30_000)


def shot(page, name: str) -> None:
    page.wait_for_timeout(600)  # let the frame with the loaded font reach the screen
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name)
