"""A closed tab: Flet keeps its session for a while (a tab may come back), but the resident's home
must stop listening to the backend's live changes, so a later change of their report draws into
nothing and logs no error; when the same tab re-attaches, live updates start again.

A real Flet session with a connection that records what it would send stands in for the browser
(Flet internals, flet.messaging.session: see docs/flet-web.md, kept to this one file)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from flet.messaging.connection import Connection
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

from citizen_app.state.app import AppState
from citizen_app.main import wire_session
from citizen_app.shell import FletShell
from shared.config import BackendConfig
from shared.prefs import MemoryPrefs
from tests.apps.citizen_support import demo_city_worker, signed_in_client
from tests.backend.core_support import GRID_POINTS, file_report

LAMP = "02.03.001"


class RecordingConnection(Connection):
    def __init__(self, loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        super().__init__()
        self.loop, self.executor = loop, executor
        self.pubsubhub = PubSubHub(loop, executor)
        self.sent: list = []

    def send_message(self, message) -> None:
        self.sent.append(message)

    def dispose(self) -> None:
        pass


@pytest.fixture(scope="module")
def worker(db, make_user):
    with demo_city_worker(db, make_user) as worker:
        yield worker


async def until(condition, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)


def app_errors(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.ERROR]


async def test_a_closed_tab_stops_listening_and_a_reattached_one_listens_again(stack, make_user, worker, tmp_path,
                                                                               caplog) -> None:
    caplog.set_level(logging.INFO)
    executor = ThreadPoolExecutor(max_workers=2)
    session = Session(RecordingConnection(asyncio.get_running_loop(), executor))
    page = session.page
    shell = FletShell(page)
    state = AppState(BackendConfig(stack.url, stack.anon_key, "environment"), MemoryPrefs(), shell,
                     data_dir=tmp_path)
    state.page, shell.state = page, state
    wire_session(page, state)
    resident = make_user(app_metadata={"role": "citizen"})
    assert await state.sign_in(resident.email, resident.password), "sign-in failed"
    page.route = "/"
    await shell.render()  # home: its cases, listening to live changes
    assert state.report_listeners
    seen: list = []
    state.report_listeners.append(seen.append)
    first = file_report(resident, LAMP, GRID_POINTS[0])["id"]
    second = file_report(resident, LAMP, (GRID_POINTS[0][0] + 0.0004, GRID_POINTS[0][1]))["id"]
    staff = await signed_in_client(stack.url, stack.anon_key, worker.email, worker.password)
    await until(lambda: any(str(getattr(c, "id", "")) == second for c in seen))  # live before the tab closes

    await session.disconnect(3600)  # the tab closes; Flet keeps the session for an hour
    seen.clear()
    await staff.reports.accept_report(first)
    await asyncio.sleep(3)  # a change would arrive within 1-2 s
    assert app_errors(caplog.records) == []
    assert seen == [] and not state.client.transport.subscriptions  # nothing listens for a closed tab

    await session.connect(RecordingConnection(asyncio.get_running_loop(), executor))  # the same tab is back
    await until(lambda: None in seen)  # the screens are told to reload what they missed
    await staff.reports.accept_report(second)
    await until(lambda: any(str(getattr(c, "id", "")) == second for c in seen))
    assert app_errors(caplog.records) == []

    session.close()  # the session ends: everything is released
    await until(lambda: not state.client.transport.subscriptions, 5)
    await staff.aclose()
    executor.shutdown(wait=False)
