"""shared/sos_flow.py: hold, countdown, send, live status, location every 30 s, cancel, offline fallback, resume.

Time is virtual (no test waits 3 s for a hold). The backend is real: the session's
local stack through CityClient, or a CityClient pointed at a closed port for the
offline cases (a real connection failure, not a stand-in).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Callable

import pytest

from shared import errors
from shared.client import CityClient
from shared.models import SosStatus
from shared.sos_flow import EMERGENCY_LINKS, Fix, NoLocation, SosFlow, SosPhase
from shared.virtual_clock import VirtualClock
from tests.backend.core_support import GRID_POINTS, GRIDS, assign_worker, ensure_demo_city
from tests.conftest import StackInfo, free_port

if TYPE_CHECKING:  # not at run time: pytest would try to collect the class
    from tests.conftest import TestUser

SOS_GRID = GRIDS[6]
HOME = GRID_POINTS[6]
WORKER_NAME = "赵网格员"


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Real time: wait for something the backend (HTTP, Realtime) has to deliver."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Device:
    """The phone's location: a list of fixes handed out in turn (the last one repeats); None = no fix."""

    def __init__(self, *fixes: Fix | None) -> None:
        self.fixes = list(fixes)
        self.asked = 0

    async def __call__(self) -> Fix | None:
        self.asked += 1
        return self.fixes[min(self.asked, len(self.fixes)) - 1]


def new_flow(client, device: Device, clock: VirtualClock, changes: list | None = None) -> SosFlow:
    return SosFlow(client, device, clock=clock, sleep=clock.sleep,
                   on_change=(lambda flow: changes.append(flow.phase)) if changes is not None else None)


@pytest.fixture()
async def offline() -> CityClient:
    """A client whose backend cannot be reached: nothing listens on its port."""
    client = await CityClient.connect(url=f"http://127.0.0.1:{free_port()}",
                                      key="eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.offline")
    yield client
    await client.aclose()


# ------------------------------------------------------------ local phases (the offline client proves nothing is sent)

async def test_holding_fills_the_ring_and_an_early_release_goes_back_to_idle(offline) -> None:
    clock, changes = VirtualClock(), []
    flow = new_flow(offline, Device(Fix(*HOME)), clock, changes)
    flow.press()
    assert flow.phase is SosPhase.HOLDING and flow.hold_progress == 0.0
    await clock.advance(1.5)
    assert flow.phase is SosPhase.HOLDING and flow.hold_progress == pytest.approx(0.5, abs=0.04)
    flow.release()
    assert (flow.phase, flow.hold_progress) == (SosPhase.IDLE, 0.0)
    await clock.advance(10)  # the cancelled hold never completes
    assert flow.phase is SosPhase.IDLE and flow.alert is None and flow.error is None
    assert set(changes) == {SosPhase.HOLDING, SosPhase.IDLE}


async def test_a_full_hold_starts_a_countdown_that_cancel_stops_before_anything_is_sent(offline) -> None:
    clock = VirtualClock()
    device = Device(Fix(*HOME))
    flow = new_flow(offline, device, clock)
    flow.press()
    await clock.advance(2.9)
    assert flow.phase is SosPhase.HOLDING
    await clock.advance(0.1)
    assert (flow.phase, flow.countdown_left, flow.hold_progress) == (SosPhase.COUNTDOWN, 5, 1.0)
    flow.release()  # lifting the finger after the hold does not stop the countdown
    seen = []
    for _ in range(4):
        await clock.advance(1)
        seen.append(flow.countdown_left)
    assert seen == [4, 3, 2, 1] and flow.phase is SosPhase.COUNTDOWN
    await flow.cancel()
    assert (flow.phase, flow.countdown_left) == (SosPhase.IDLE, 0)
    await clock.advance(10)
    assert flow.phase is SosPhase.IDLE and device.asked == 0 and flow.error is None


async def test_press_is_ignored_unless_idle(offline) -> None:
    clock = VirtualClock()
    flow = new_flow(offline, Device(Fix(*HOME)), clock)
    flow.press()
    await clock.advance(1)
    flow.press()  # a second finger does not restart the hold
    await clock.advance(2)
    assert flow.phase is SosPhase.COUNTDOWN


async def test_when_the_backend_cannot_be_reached_the_emergency_numbers_are_offered(offline) -> None:
    clock = VirtualClock()
    device = Device(Fix(*HOME))
    flow = new_flow(offline, device, clock)
    assert not flow.shows_emergency_numbers
    flow.press()
    await clock.advance(3)
    await clock.advance(5)
    await until(lambda: flow.phase is SosPhase.FAILED)
    assert isinstance(flow.error, errors.NetworkError) and flow.alert is None
    assert flow.shows_emergency_numbers and device.asked == 1
    assert [(link.number, link.url) for link in EMERGENCY_LINKS] == [
        ("110", "tel:110"), ("120", "tel:120"), ("119", "tel:119"), ("12110", "sms:12110")]
    assert "网络" in flow.error.message("zh-CN")
    await flow.retry()  # tries again at once, no new hold needed
    assert flow.phase is SosPhase.FAILED and device.asked == 2
    await flow.cancel()  # dismiss
    assert flow.phase is SosPhase.IDLE and flow.error is None and not flow.shows_emergency_numbers


async def test_without_a_location_nothing_is_sent_and_the_numbers_are_offered(offline) -> None:
    clock = VirtualClock()
    flow = new_flow(offline, Device(None), clock)
    flow.press()
    await clock.advance(8)
    await until(lambda: flow.phase is SosPhase.FAILED)
    assert isinstance(flow.error, NoLocation) and flow.shows_emergency_numbers
    assert "紧急电话" in flow.error.message("zh-CN") and "emergency numbers" in flow.error.message("en")


# ------------------------------------------------------------ against the local stack

@pytest.fixture(scope="module")
def responder(db, make_user) -> TestUser:
    """An on-duty grid worker of SOS_GRID (added beside whoever else serves it)."""
    ensure_demo_city(db)
    worker = make_user(app_metadata={"role": "grid_worker"}, display_name=WORKER_NAME)
    assign_worker(db, worker.id, SOS_GRID, on_duty=True)
    return worker


async def signed_in(stack: StackInfo, user: TestUser) -> CityClient:
    client = await CityClient.connect(url=stack.url, key=stack.anon_key)
    await client.auth.sign_in(user.email, user.password)
    return client


@pytest.fixture()
async def clients(stack):
    opened: list[CityClient] = []

    async def _open(user: TestUser) -> CityClient:
        opened.append(await signed_in(stack, user))
        return opened[-1]

    yield _open
    for client in opened:
        await client.aclose()


@pytest.fixture()
def citizen(make_user) -> TestUser:
    return make_user(app_metadata={"role": "citizen"}, display_name="孙奶奶")


async def sent_flow(client: CityClient, device: Device, clock: VirtualClock) -> SosFlow:
    flow = new_flow(client, device, clock)
    flow.press()
    await clock.advance(3)
    await clock.advance(5)
    await until(lambda: flow.phase is SosPhase.SENT)
    # The 30 s location timer is set once the live channel has joined (slow on a loaded machine):
    # moving time before that would move it past a timer not yet set.
    await until(lambda: flow.live and clock.pending > 0)
    return flow


async def test_sent_acknowledged_by_name_on_the_way_resolved_live(clients, citizen, responder, db) -> None:
    clock = VirtualClock()
    flow = await sent_flow(await clients(citizen), Device(Fix(*HOME)), clock)
    assert flow.alert.status is SosStatus.SENT and str(flow.alert.grid_id) == SOS_GRID
    await until(lambda: flow.live)  # the channel joins beside the send; under load it may come after
    assert flow.responder_name is None and not flow.shows_emergency_numbers
    await until(lambda: [e.to_status for e in flow.timeline] == [SosStatus.SENT])

    worker = await clients(responder)
    await worker.sos.acknowledge_sos(flow.alert.id)
    await until(lambda: flow.phase is SosPhase.ACKNOWLEDGED)  # through Realtime: nothing polled (virtual time)
    assert flow.responder_name == WORKER_NAME
    await worker.sos.mark_sos_on_the_way(flow.alert.id)
    await until(lambda: flow.phase is SosPhase.ON_THE_WAY)
    await worker.sos.resolve_sos(flow.alert.id, "已送医 taken to hospital")
    await until(lambda: flow.phase is SosPhase.RESOLVED)
    await until(lambda: [e.to_status for e in flow.timeline] == [
        SosStatus.SENT, SosStatus.ACKNOWLEDGED, SosStatus.ON_THE_WAY, SosStatus.RESOLVED])
    await until(lambda: not flow.live)  # a closed alert stops its subscription and timers
    await flow.reset()
    assert flow.phase is SosPhase.IDLE and flow.alert is None


async def test_the_location_is_sent_every_30_seconds_while_open(clients, citizen, responder, db) -> None:
    clock = VirtualClock()
    moved = (HOME[0] + 0.0004, HOME[1] + 0.0003)
    device = Device(Fix(*HOME), Fix(*moved, accuracy_m=12.0), Fix(HOME[0] + 0.0008, HOME[1]))
    flow = await sent_flow(await clients(citizen), device, clock)
    alert_id = flow.alert.id

    def trail() -> list[tuple]:
        return db.execute("select lat, lon, accuracy_m from public.sos_locations where alert_id = %s order by id",
                          (alert_id,)).fetchall()

    await clock.advance(29)
    assert flow.locations_sent == 0 and len(trail()) == 1
    await clock.advance(1)
    await until(lambda: flow.locations_sent == 1)
    assert trail()[-1] == (*moved, 12.0) and (flow.alert.lat, flow.alert.lon) == moved
    await clock.advance(30)
    await until(lambda: flow.locations_sent == 2)
    assert len(trail()) == 3

    await flow.cancel("误触 pressed by mistake")  # the false-alarm cancel
    assert flow.phase is SosPhase.CANCELLED and flow.error is None
    status = db.execute("select status::text from public.sos_alerts where id = %s", (alert_id,)).fetchone()[0]
    assert status == "cancelled"
    await until(lambda: not flow.live)
    await clock.advance(60)
    assert flow.locations_sent == 2 and len(trail()) == 3  # nothing more once closed


async def test_a_new_session_resumes_the_open_alert_and_catches_up(clients, citizen, responder) -> None:
    clock = VirtualClock()
    first = await sent_flow(await clients(citizen), Device(Fix(*HOME)), clock)
    alert_id = first.alert.id
    await first.stop()  # the app was closed (or the connection dropped) ...
    worker = await clients(responder)
    await worker.sos.acknowledge_sos(alert_id)  # ... and meanwhile the worker answered
    await worker.sos.mark_sos_on_the_way(alert_id)
    assert first.phase is SosPhase.SENT  # nothing reached the stopped flow

    again = new_flow(await clients(citizen), Device(Fix(*HOME)), VirtualClock())
    assert await again.resume()
    assert (again.phase, again.alert.id, again.responder_name) == (SosPhase.ON_THE_WAY, alert_id, WORKER_NAME)
    assert again.live
    await first.refresh()  # the old one catches up too when asked
    assert first.phase is SosPhase.ON_THE_WAY
    await worker.sos.resolve_sos(alert_id, "没事了 all fine")
    await until(lambda: again.phase is SosPhase.RESOLVED)
    assert not await new_flow(await clients(citizen), Device(), VirtualClock()).resume()  # nothing open any more


async def test_holding_again_while_an_alert_is_open_returns_that_alert(clients, citizen, responder) -> None:
    client = await clients(citizen)
    first = await sent_flow(client, Device(Fix(*HOME)), VirtualClock())
    second = await sent_flow(client, Device(Fix(*GRID_POINTS[5])), VirtualClock())  # another device, same person
    assert second.alert.id == first.alert.id
    await second.cancel()
    await until(lambda: first.phase is SosPhase.CANCELLED)  # the first one sees it live
    await first.stop()
