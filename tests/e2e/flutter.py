"""Driving a Flet (Flutter web) page from Playwright: what every browser test needs.

Flutter draws on a canvas; its DOM accessibility tree (turned on by `enable_semantics`)
is what Playwright reads and clicks. Stable ids come from `ft.Semantics(identifier=...)`.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect


def enable_semantics(page, timeout: float = 60_000) -> None:
    """Turn on Flutter's accessibility tree (the placeholder it shows until asked)."""
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=timeout)
    placeholder.dispatch_event("click")


def by_id(page, identifier: str):
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def type_into(page, label: str, value: str) -> None:
    """Type into the field labelled `label`; Flutter can drop the first key after focusing: check, retype."""
    page.bring_to_front()  # pages side by side: only the front one holds the keyboard focus
    field = page.locator(f'input[aria-label="{label}"], textarea[aria-label="{label}"]').first
    for _ in range(4):
        field.click()
        expect(field).to_be_focused()
        page.keyboard.press("Control+a")
        page.keyboard.press("Backspace")
        page.keyboard.type(value, delay=30)
        if field.input_value() == value:
            return
    expect(field).to_have_value(value)


def new_tab(page, url: str):
    """`url` in a new tab of the same browser: a new app session, signed in only from what the browser kept."""
    tab = page.context.new_page()
    tab.goto(url)
    enable_semantics(tab)
    return tab


def on_worker_side(coroutine_function, *args, timeout: float = 90):
    """Run an async CityClient call on its own thread and loop (Playwright's sync API owns this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result(timeout=timeout)
