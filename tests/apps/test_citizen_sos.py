"""The SOS screen without a browser: its gesture and button handlers drive the flow against the local stack.

The view is built as the app builds it, with the session's AppState (a recording
shell, in-memory preferences), a fixed device location instead of the browser's,
and virtual time for the 3 s hold and the 5 s countdown.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Callable

import pytest

from citizen_app.state.app import AppState, RecordingShell
from shared.prefs import MemoryPrefs
from citizen_app.state.sos import SosState
from citizen_app.strings import STRINGS
from citizen_app.theme import ELDERLY
from citizen_app.views.sos import SosView, build
from shared.client import CityClient
from shared.config import BackendConfig
from shared.sos_flow import EMERGENCY_LINKS, Fix, SosPhase
from shared.virtual_clock import VirtualClock
from tests.backend.core_support import GRID_POINTS, GRIDS, assign_worker, ensure_demo_city
from tests.conftest import free_port

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser

GRID, HOME = GRIDS[7], GRID_POINTS[7]
WORKER_NAME = "钱网格员"


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Signals:
    """Records what the phone was asked to do (the server has no vibrator; device.py returns False there)."""

    def __init__(self) -> None:
        self.vibrations: list[float] = []
        self.notifications: list[tuple[str, str]] = []

    def vibrate(self, seconds: float = 0.5) -> bool:
        self.vibrations.append(seconds)
        return False

    def notify(self, title: str, message: str) -> bool:
        self.notifications.append((title, message))
        return False


def visible_ids(control, found: list[str] | None = None) -> list[str]:
    """Identifiers of the Semantics wrappers that are visible, with all their ancestors."""
    found = [] if found is None else found
    if getattr(control, "visible", True) is False:
        return found
    identifier = getattr(control, "identifier", None)
    if identifier:
        found.append(identifier)
    for child in _children(control):
        visible_ids(child, found)
    return found


def _children(control) -> list:
    children = list(getattr(control, "controls", None) or [])
    content = getattr(control, "content", None)
    if content is not None and not isinstance(content, str):
        children.append(content)
    return children


@pytest.fixture(scope="module")
def responder(db, make_user) -> TestUser:
    ensure_demo_city(db)
    worker = make_user(app_metadata={"role": "grid_worker"}, display_name=WORKER_NAME)
    assign_worker(db, worker.id, GRID, on_duty=True)
    return worker


@pytest.fixture()
async def screen(stack, make_user):
    """An SOS screen of a freshly signed-in citizen; returns (view, sos, clock, signals, state)."""
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="周爷爷")
    opened = []

    async def _open(*, elderly: bool = False, url: str | None = None, locale: str = "zh-CN"):
        config = BackendConfig(url or stack.url, stack.anon_key, "environment")
        state = AppState(config, MemoryPrefs(), RecordingShell(), locale=locale)
        if url is None:
            assert await state.sign_in(citizen.email, citizen.password)
        state.elderly = elderly
        clock, signals = VirtualClock(), Signals()

        async def locate() -> Fix:
            return Fix(*HOME, accuracy_m=8.0)

        sos = SosState(state, locate, clock=clock, sleep=clock.sleep, signals=signals)
        view = SosView(state, sos)
        await sos.start()
        opened.append((state, sos))
        return view, sos, clock, signals, state

    yield _open
    for state, sos in opened:
        await sos.stop()
        await state.close()


async def hold_and_count_down(view: SosView, clock: VirtualClock) -> None:
    view.on_down()
    await clock.advance(3)
    await clock.advance(5)


async def test_idle_screen_offers_only_the_hold_control(screen) -> None:
    view, sos, _clock, _signals, state = await screen()
    assert sos.phase is SosPhase.IDLE
    assert visible_ids(view.root) == ["sos-numbers", "sos-call-110", "sos-call-120", "sos-hold", "sos-status"]
    assert view.status.value == STRINGS["sos.hold_hint"][0]
    assert view.face_text.value == "按住 3 秒求助"


async def test_early_release_and_countdown_cancel_send_nothing(screen, db) -> None:
    view, sos, clock, signals, state = await screen()
    view.on_down()
    await clock.advance(2)
    assert view.ring.value == pytest.approx(2 / 3, abs=0.05) and view.status.value == "请继续按住…"
    view.on_up()
    assert sos.phase is SosPhase.IDLE and view.ring.value == 0
    view.on_down()
    await clock.advance(3)
    assert sos.phase is SosPhase.COUNTDOWN and view.face_text.value == "5"
    assert "sos-cancel" in visible_ids(view.root) and "sos-hold" in visible_ids(view.root)
    await clock.advance(2)
    assert view.face_text.value == "3" and view.status.value == "3 秒后发出求助"
    await view.on_cancel()
    await clock.advance(10)
    assert sos.phase is SosPhase.IDLE and signals.vibrations == [0.3]  # one buzz: the countdown started once
    assert db.execute("select count(*) from public.sos_alerts where caller_id = %s",
                      (str(state.user.id),)).fetchone()[0] == 0


async def test_sent_then_acknowledged_by_name_live_then_false_alarm(screen, responder, stack) -> None:
    view, sos, clock, signals, state = await screen()
    await hold_and_count_down(view, clock)
    await until(lambda: sos.phase is SosPhase.SENT)
    assert view.status.value == "求助已发出，正在通知网格员"
    assert view.detail.value == "正在每 30 秒发送您的位置"
    assert {"sos-status", "sos-false-alarm"} <= set(visible_ids(view.root))
    assert "sos-hold" not in visible_ids(view.root) and "sos-call-119" not in visible_ids(view.root)
    assert {"sos-call-110", "sos-call-120"} <= set(visible_ids(view.root))  # in every state
    await until(lambda: [c.controls[0].value for c in view.steps.controls] == ["已发出"])

    worker = await CityClient.connect(url=stack.url, key=stack.anon_key)
    await worker.auth.sign_in(responder.email, responder.password)
    try:
        await worker.sos.acknowledge_sos(sos.flow.alert.id)
        await until(lambda: sos.phase is SosPhase.ACKNOWLEDGED)  # live, through Realtime
    finally:
        await worker.aclose()
    assert view.status.value == f"{WORKER_NAME} 已响应您的求助"
    await until(lambda: len(view.steps.controls) == 2)
    assert signals.notifications[-1] == ("一键求助", f"{WORKER_NAME} 已响应您的求助")

    await view.on_cancel()  # false alarm
    assert sos.phase is SosPhase.CANCELLED and view.status.value == "已取消求助"
    assert "sos-done" in visible_ids(view.root) and "sos-false-alarm" not in visible_ids(view.root)
    routes = list(state.shell.routes)
    await view.on_done()
    assert sos.phase is SosPhase.IDLE and state.shell.routes == routes + ["/"]  # over: home


async def test_done_after_a_resolved_sos_goes_home(screen, responder, stack) -> None:
    view, sos, clock, _signals, state = await screen()
    await hold_and_count_down(view, clock)
    await until(lambda: sos.phase is SosPhase.SENT)
    worker = await CityClient.connect(url=stack.url, key=stack.anon_key)
    await worker.auth.sign_in(responder.email, responder.password)
    try:
        await worker.sos.acknowledge_sos(sos.flow.alert.id)
        await worker.sos.mark_sos_on_the_way(sos.flow.alert.id)
        await worker.sos.resolve_sos(sos.flow.alert.id, "已送医")
        await until(lambda: sos.phase is SosPhase.RESOLVED)  # live, through Realtime
    finally:
        await worker.aclose()
    assert "sos-done" in visible_ids(view.root) and view.done_button.content.content.value == "完成"
    routes = list(state.shell.routes)
    await view.on_done()
    assert state.shell.routes == routes + ["/"]  # home, not a fresh hold ring
    assert sos.phase is SosPhase.IDLE


async def test_unreachable_backend_offers_the_emergency_numbers(screen) -> None:
    view, sos, clock, signals, state = await screen(url=f"http://127.0.0.1:{free_port()}")
    await hold_and_count_down(view, clock)
    await until(lambda: sos.phase is SosPhase.FAILED)
    shown = visible_ids(view.root)
    assert {"sos-call-110", "sos-call-120", "sos-call-119", "sos-call-12110", "sos-retry", "sos-done"} <= set(shown)
    assert view.status.value == "求助未能发出" and "网络" in view.detail.value
    assert view.done_button.content.content.value == "关闭"
    urls = [b.content.data for b in view.calls.controls if b.visible]  # beside 110 / 120, always on top
    assert urls == [link.url for link in EMERGENCY_LINKS][2:] == ["tel:119", "sms:12110"]
    labels = [b.content.content.value for b in view.calls.controls]
    assert labels == ["火警 119", "短信报警 12110"]
    routes = list(state.shell.routes)
    await view.on_done()
    assert sos.phase is SosPhase.IDLE and "sos-call-119" not in visible_ids(view.root)
    assert state.shell.routes == routes  # a failed SOS stays on its screen, to try again


async def test_elderly_mode_and_english(screen) -> None:
    view, sos, clock, _signals, state = await screen(elderly=True, locale="en")
    state.t.locale = "en"  # the profile's locale wins on sign-in; this screen is shown in English
    view = SosView(state, sos)
    assert view.status.value == STRINGS["sos.hold_hint"][1]
    assert view.face_text.size >= 22 and view.status.size >= 22 and view.detail.size >= 22
    assert view.ring.width >= 60 and view.ring.height >= 60
    for button in (view.cancel_button, view.false_alarm, view.retry_button, view.done_button, *view.calls.controls):
        assert button.content.height >= max(60, ELDERLY.target)
        assert button.content.content.size >= 22


async def test_an_open_alert_keeps_sending_its_location_while_other_screens_show(screen, responder, db) -> None:
    view, sos, clock, _signals, state = await screen()
    session_sos = SosState.of(state, lambda: sos.locate, clock=clock, sleep=clock.sleep)
    assert SosState.of(state, lambda: None) is session_sos  # one per session
    screen_one = build(state, {})
    await screen_one.show()
    session_view = SosView(state, session_sos)
    await hold_and_count_down(session_view, clock)
    await until(lambda: session_sos.phase is SosPhase.SENT)
    await until(lambda: session_sos.flow.live)  # the location loop starts once the alert is followed live
    alert_id = session_sos.flow.alert.id

    screen_one.hide()  # the person goes back home
    await clock.advance(30)
    await until(lambda: session_sos.flow.locations_sent == 1)  # still followed
    again = build(state, {})  # ... and opens SOS again: the same alert, live
    await again.show()
    assert session_sos.flow.alert.id == alert_id and "sos-false-alarm" in visible_ids(again.content)
    await session_sos.cancel()
    await session_sos.stop()


async def test_leaving_during_the_countdown_cancels_it(screen) -> None:
    view, sos, clock, _signals, state = await screen()
    session_sos = SosState.of(state, lambda: sos.locate, clock=clock, sleep=clock.sleep)
    built = build(state, {})
    await built.show()
    session_sos.press()
    await clock.advance(4)
    assert session_sos.phase is SosPhase.COUNTDOWN
    built.hide()
    await clock.advance(10)
    assert session_sos.phase is SosPhase.IDLE and session_sos.flow.alert is None
