"""A redraw after Flet destroyed the session (the tab closed long ago, the session expired): the
shell's late work (a message hiding itself 8 s later) must end quietly, not as "Task exception
was never retrieved" with `RuntimeError: An attempt to fetch destroyed session`."""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from flet.messaging.session import Session

from citizen_app.shell import FletShell
from shared.ui import browser_gone
from tests.apps.test_closed_tab import RecordingConnection


async def test_late_redraws_of_a_destroyed_session_end_quietly(caplog) -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    session = Session(RecordingConnection(asyncio.get_running_loop(), executor))
    page = session.page
    shell = FletShell(page)
    assert not browser_gone(page)
    shell.show_message("已提交")  # schedules its own hiding
    session.close()
    del session  # Flet drops its session; the page keeps only a weak reference to it
    await asyncio.sleep(0.1)  # its last dispatched events run
    gc.collect()
    with pytest.raises(RuntimeError, match="destroyed session"):
        page.session
    assert browser_gone(page)  # and the question still has an answer
    with caplog.at_level(logging.DEBUG, logger="citizen_app.shell"):
        await shell._hide_later(0)  # what the scheduled task does 8 s later
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("browser is gone" in r.getMessage() for r in caplog.records)
    shell._message_task.cancel()
    executor.shutdown(wait=False)
