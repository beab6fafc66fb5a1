"""Browser tests: each app served on a free port, driven through Debian's Chromium.

Playwright is used only as a driver: `playwright install` downloads a browser
and cannot work here. Every request that does not go to 127.0.0.1 is blocked
(the Flet client tries a CDN for a script it can do without).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from shared.health import url_answers

from tests.conftest import free_port

from .flutter import enable_semantics

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


# Package scope: Playwright's sync API keeps an event loop running while the browser
# is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        # A failure, not a skip: a green run must mean the apps were seen in a browser.
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver "
                    "(never `playwright install`)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # No user_data_dir: Playwright gives every launch a fresh temporary profile.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "expected_log_errors(*patterns): errors this test causes on purpose "
                                       "(e.g. by cutting the network); an error whose text matches one is forgiven")


@pytest.fixture()
def serve_app(tmp_path: Path, stack, request) -> Iterator[Callable[..., str]]:
    """serve_app("citizen_app", SUPABASE_URL=...) -> the app's URL, once it answers.

    At the end the test fails on any error in the apps' logs, or in what the gateway logged meanwhile,
    but those its `expected_log_errors` marker names.
    """
    marker = request.node.get_closest_marker("expected_log_errors")
    expected = marker.args if marker else ()
    started: list[tuple[subprocess.Popen, Path]] = []
    gateway_log = stack.home / "logs" / "gateway.log"
    gateway_from = gateway_log.stat().st_size if gateway_log.exists() else 0

    def _serve(module: str, **env: str) -> str:
        port = free_port()
        port_var = {"citizen_app": "CITYLOOP_CITIZEN_PORT", "grid_app": "CITYLOOP_GRID_PORT"}[module]
        log_path = tmp_path / f"{module}.log"
        full_env = dict(os.environ, **env, FLET_FORCE_WEB_SERVER="true")
        full_env[port_var] = str(port)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=full_env,
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        started.append((proc, log_path))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not url_answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{module} did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        return url

    yield _serve
    for proc, log_path in started:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log = log_path.read_text(errors="replace")
        errors = unexpected(app_errors(log), expected)
        assert not errors, "the app logged an error:\n" + errors[0][-3000:]
    if gateway_log.exists():
        with open(gateway_log, "rb") as f:
            f.seek(gateway_from)
            errors = unexpected(app_errors(f.read().decode(errors="replace")), expected)
        assert not errors, "the gateway logged an error:\n" + errors[0][-3000:]


TRACEBACK = "Traceback (most recent call last):"
# A log record's first line: the apps' and the gateway's format (shared/logs.py), or uvicorn's.
_RECORD = re.compile(r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) \S+: |(?P<uvicorn>[A-Z]+):\s+)")
_ERROR_LEVELS = ("ERROR", "CRITICAL")
_CHAINED = ("another exception occurred:", "the following exception:")
# What a socket says when the browser tab closed under a send: the whole chain must be made of these.
_SOCKET_CLOSED = ("WebSocketDisconnect", "WebSocketDisconnected", "ClientDisconnected", "InvalidState", "ConnectionClosed",
                  "ConnectionClosedOK", "ConnectionClosedError", "ConnectionResetError", "BrokenPipeError")


def app_errors(log: str) -> list[str]:
    """The errors in an app's (or the gateway's) log: every traceback, and every ERROR record.

    One error is one ERROR record with the traceback that follows it, or one traceback chain
    ("During handling of the above exception...", "The above exception was the direct cause...").
    A tab closed while the server sends a frame makes flet_web's send loop log a WebSocketDisconnect,
    chained after the socket's own errors: what happens when a person closes the app, not an app
    error. But only when every exception of the chain is the socket's: a chain that an app error
    starts (then the disconnect while reporting it) is that app error.
    """
    entries: list[str] = []
    open_entry = False  # whether the next traceback belongs to the last entry
    for line in log.splitlines(keepends=True):
        record = _RECORD.match(line)
        if line.startswith(TRACEBACK):
            if open_entry and entries:
                entries[-1] += line
            else:
                entries.append(line)
            open_entry = False
        elif record:
            level = record.group("level") or record.group("uvicorn")
            if level in _ERROR_LEVELS:
                entries.append(line)
                open_entry = True  # its traceback, if one follows
            else:
                entries.append("")  # ends the entry before it; an empty one is dropped below
                open_entry = False
        elif entries:
            entries[-1] += line
            if line.rstrip().endswith(_CHAINED):
                open_entry = True
    return [e for e in entries if e.strip() and not _closed_tab(e)]


def unexpected(errors: list[str], expected: tuple[str, ...]) -> list[str]:
    """`errors` but those matching one of the `expected` patterns (regular expressions)."""
    return [e for e in errors if not any(re.search(p, e) for p in expected)]


def _closed_tab(error: str) -> bool:
    if "flet_web" not in error or TRACEBACK not in error:
        return False
    raised = [_exception_of(part) for part in error.split(TRACEBACK)[1:]]
    return raised[-1].startswith("starlette.websockets.WebSocketDisconnect") and all(
        _exception_name(r) in _SOCKET_CLOSED for r in raised)


def _exception_of(traceback: str) -> str:
    """The exception line of one traceback of a chain: the last line that is not the chaining sentence."""
    lines = [line for line in traceback.splitlines() if line.strip() and not line.rstrip().endswith(_CHAINED)]
    return lines[-1].strip() if lines else ""


def _exception_name(line: str) -> str:
    return line.split(":", 1)[0].rsplit(".", 1)[-1]


def quiet_grid(db, grid_id: str) -> None:
    """Close what other tests left open in a grid before a worker's browser test uses it.

    The session's stack is shared: an open SOS there covers a worker's whole screen (as it
    must), and open cases or care alerts push new rows below the fold of a list Flutter draws
    on a canvas, which Playwright cannot scroll.
    """
    db.execute("update public.tasks set status = 'cancelled' where status in ('open', 'accepted', 'in_progress')"
               " and report_id in (select id from public.reports where grid_id = %s)", (grid_id,))
    db.execute("update public.sos_alerts set status = 'cancelled', cancelled_at = now()"
               " where grid_id = %s and status in ('sent', 'acknowledged', 'on_the_way')", (grid_id,))
    if db.execute("select to_regclass('public.care_alerts') is not null").fetchone()[0]:
        db.execute("update public.care_alerts set status = 'closed' where status <> 'closed'"
                   " and subject_id in (select id from public.care_subjects where grid_id = %s)", (grid_id,))


def _local_only(route) -> None:
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


@pytest.fixture()
def open_app(browser) -> Iterator[Callable[..., object]]:
    """open_app(url, width, height) -> a Playwright page with Flutter's semantics tree on.

    Extra keyword arguments go to the browser context (e.g. geolocation=..., permissions=[...]).
    """
    contexts = []

    def _open(url: str, width: int, height: int, **context_options):
        context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
        contexts.append(context)
        context.route("**/*", _local_only)
        page = context.new_page()
        # The Chinese font arrives after the first frame; screenshots must wait for it.
        with page.expect_response(lambda r: r.url.endswith("/fonts/NotoSansSC-Subset.otf"), timeout=60_000) as font:
            page.goto(url)
            enable_semantics(page)  # Flutter draws on a canvas; this turns on the DOM accessibility tree
            page.locator("flt-semantics").first.wait_for(state="attached")
        assert font.value.ok, f"font request failed: {font.value.status}"
        return page

    yield _open
    for context in contexts:
        # Leave the app first: closing a context mid-frame makes the Flet server log a
        # WebSocketDisconnect traceback, which serve_app's teardown would count as an app error.
        for page in context.pages:
            page.goto("about:blank")
        context.close()
    if contexts:
        time.sleep(1.5)  # the server notices the closed sessions before serve_app stops it


def pytest_collection_modifyitems(items) -> None:
    """Browser tests get one more try (reported as a rerun), never more: real timing on a loaded
    machine sometimes loses a click; the backend and app-state tests get none."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
