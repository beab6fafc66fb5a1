"""The caller's side of an SOS, as a state machine the citizen app's view drives.

    idle --press--> holding --3 s held--> countdown --5 s--> sending --> sent --> acknowledged
      ^               | released early       | cancel           |          --> on_the_way --> resolved
      +---------------+----------------------+                  |      (any open state) --cancel--> cancelled
                                                                 +--could not send--> failed (emergency numbers)

Holding and counting down are local: nothing reaches the backend until the
countdown ends, so an accidental touch costs nothing. Once sent, the flow keeps
the alert live from three sources, newest `updated_at` winning: the RPC answers,
Realtime (`subscribe_sos`) and a poll while Realtime is down. While the alert is
open it sends a fresh location every 30 s (`update_sos_location`), whose answer
doubles as a status check. When sending fails, or the connection drops while the
alert is open, the view offers the emergency numbers directly (`EMERGENCY_LINKS`).

Time is injected (`clock`, `sleep`) so tests run the 3 s hold, the 5 s countdown
and the 30 s updates instantly with `shared.virtual_clock.VirtualClock`. This module never imports flet.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from shared import errors
from shared.api import AuthApi, SosApi
from shared.models import SosAlertPublic, SosEventPublic, SosStatus

log = logging.getLogger(__name__)

HOLD_SECONDS = 3.0
COUNTDOWN_SECONDS = 5
LOCATION_INTERVAL = 30.0
POLL_INTERVAL = 5.0  # status poll while Realtime is not connected
TICK = 0.1  # how often the hold ring advances


class SosPhase(StrEnum):
    IDLE = "idle"
    HOLDING = "holding"
    COUNTDOWN = "countdown"
    SENDING = "sending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ON_THE_WAY = "on_the_way"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    FAILED = "failed"


OPEN_PHASES = frozenset({SosPhase.SENT, SosPhase.ACKNOWLEDGED, SosPhase.ON_THE_WAY})
_PHASE_OF_STATUS = {SosStatus.SENT: SosPhase.SENT, SosStatus.ACKNOWLEDGED: SosPhase.ACKNOWLEDGED,
                    SosStatus.ON_THE_WAY: SosPhase.ON_THE_WAY, SosStatus.RESOLVED: SosPhase.RESOLVED,
                    SosStatus.CANCELLED: SosPhase.CANCELLED}


@dataclass(frozen=True)
class EmergencyLink:
    """A number to call (or text) directly when the app cannot reach the backend."""

    key: str  # names the service in the app's string catalogue: police, ambulance, fire, sms
    number: str
    url: str


EMERGENCY_LINKS: tuple[EmergencyLink, ...] = (
    EmergencyLink("police", "110", "tel:110"),
    EmergencyLink("ambulance", "120", "tel:120"),
    EmergencyLink("fire", "119", "tel:119"),
    # 12110: text-message reporting to the police, for when speaking is not possible.
    EmergencyLink("sms", "12110", "sms:12110"),
)


@dataclass(frozen=True)
class Fix:
    """One location reading from the device."""

    lat: float
    lon: float
    accuracy_m: float | None = None


Locate = Callable[[], Awaitable[Fix | None]]


class NoLocation(errors.CityError):
    zh = "无法获取您的位置，请直接拨打下方的紧急电话"
    en = "Your location is not available. Please call one of the emergency numbers below."


class SosBackend(Protocol):
    """The parts of the client the flow uses: who is signed in, and the SOS calls."""

    auth: AuthApi
    sos: SosApi


class SosFlow:
    """One person's SOS. Call `press`/`release`/`cancel`/`retry`/`reset`; read `phase` and friends.

    `on_change(flow)` runs after every visible change (phase, hold progress, countdown,
    alert, error) so a view can redraw; it may be a coroutine function.
    """

    def __init__(self, client: SosBackend, locate: Locate, *, on_change: Callable[[SosFlow], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 hold_seconds: float = HOLD_SECONDS, countdown_seconds: int = COUNTDOWN_SECONDS,
                 location_interval: float = LOCATION_INTERVAL, poll_interval: float = POLL_INTERVAL) -> None:
        self.client = client
        self.locate = locate
        self.on_change = on_change
        self._clock = clock
        self._sleep = sleep
        self.hold_seconds = hold_seconds
        self.countdown_seconds = countdown_seconds
        self.location_interval = location_interval
        self.poll_interval = poll_interval

        self.phase = SosPhase.IDLE
        self.hold_progress = 0.0  # 0..1 while holding
        self.countdown_left = 0  # whole seconds while counting down
        self.alert: SosAlertPublic | None = None
        self.timeline: list[SosEventPublic] = []
        self.error: errors.CityError | None = None
        self.connection_lost = False  # an open alert could not be refreshed: show the numbers too
        self.live = False  # Realtime subscription joined
        self._stops = 0  # how many times the subscription was dropped: a join that outlasts one is undone
        self.busy = False  # a cancel is on its way
        self.locations_sent = 0
        self._task: asyncio.Task | None = None  # hold / countdown / send
        self._watch: asyncio.Task | None = None  # location updates and polling while open
        self._subscription: Any = None
        self._background: set[asyncio.Task] = set()
        self._cancel_when_sent: str | None = None

    # ------------------------------------------------------------ what the view reads

    @property
    def is_open(self) -> bool:
        return self.phase in OPEN_PHASES

    @property
    def responder_name(self) -> str | None:
        """Who acknowledged (their display name), once someone has."""
        if self.alert is None or self.alert.acknowledged_by is None:
            return None
        return (self.alert.acknowledged_by_name or "").strip() or None

    @property
    def shows_emergency_numbers(self) -> bool:
        return self.phase is SosPhase.FAILED or (self.is_open and self.connection_lost)

    # ------------------------------------------------------------ gestures

    def press(self) -> None:
        """The finger went down on the SOS control: start filling the hold ring."""
        if self.phase is not SosPhase.IDLE:
            return
        self.error = None
        self._set(SosPhase.HOLDING, hold_progress=0.0)
        self._task = self._spawn(self._hold(self._clock()))

    def release(self) -> None:
        """The finger came up: before the hold completed, nothing happens."""
        if self.phase is SosPhase.HOLDING:
            self._stop_task()
            self._set(SosPhase.IDLE, hold_progress=0.0)

    async def cancel(self, reason: str | None = None) -> None:
        """Cancel: during the countdown locally; once sent, as a false alarm through the backend."""
        if self.phase in (SosPhase.HOLDING, SosPhase.COUNTDOWN, SosPhase.FAILED):
            self._stop_task()
            self.error = None
            self._set(SosPhase.IDLE, hold_progress=0.0, countdown_left=0)
            return
        if self.phase is SosPhase.SENDING:
            self._cancel_when_sent = reason or "false alarm"  # the raise is in flight: cancel it once it lands
            return
        if not self.is_open or self.alert is None or self.busy:
            return
        self.busy = True
        self._changed()
        try:
            self._apply(await self.client.sos.cancel_sos(self.alert.id, reason or "false alarm"))
            self.error = None
            self.connection_lost = False
        except errors.CityError as exc:
            self.error = exc
            self.connection_lost = isinstance(exc, errors.NetworkError)
        finally:
            self.busy = False
            self._changed()

    async def retry(self) -> None:
        """After a failed send, try again at once (the person already confirmed)."""
        if self.phase is SosPhase.FAILED:
            await self._send()

    async def reset(self) -> None:
        """Back to idle after a resolved or cancelled alert, ready for a new one."""
        if self.phase in (SosPhase.RESOLVED, SosPhase.CANCELLED, SosPhase.FAILED):
            await self.stop()
            self.alert, self.timeline, self.error, self.connection_lost = None, [], None, False
            self._set(SosPhase.IDLE, hold_progress=0.0, countdown_left=0)

    # ------------------------------------------------------------ lifecycle

    async def resume(self) -> bool:
        """Pick up the person's open alert (app reopened, reconnected); True if there is one."""
        try:
            alert = await self._own_alert(open_only=True)
        except errors.CityError as exc:
            self.connection_lost = True
            self.error = exc
            self._changed()
            return False
        if alert is None:
            if self.is_open:  # it was closed while we were away: fetch its end state
                await self.refresh()
            return False
        self.connection_lost, self.error = False, None
        self._adopt(alert)
        await self._start_watching()
        return True

    async def refresh(self) -> None:
        """Read the alert again (after a reconnect, or while Realtime is down)."""
        if self.alert is None:
            return
        try:
            alert = await self._own_alert(open_only=False, alert_id=self.alert.id)
        except errors.CityError as exc:
            self.connection_lost = True
            self._changed()
            log.info("SOS refresh failed: %r", exc)
            return
        self.connection_lost = False
        if alert is not None:
            self._apply(alert)
        self._changed()

    async def stop(self) -> None:
        """Stop every timer and the subscription (the view is leaving; the alert stays as it is)."""
        self._stop_task()
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        await self._unsubscribe()

    # ------------------------------------------------------------ internals: local phases

    async def _hold(self, started: float) -> None:
        while self.phase is SosPhase.HOLDING:
            progress = min(1.0, (self._clock() - started) / self.hold_seconds)
            if progress >= 1.0:
                self._set(SosPhase.COUNTDOWN, hold_progress=1.0, countdown_left=self.countdown_seconds)
                await self._countdown(self._clock())
                return
            self._set(SosPhase.HOLDING, hold_progress=progress)
            await self._sleep(min(TICK, self.hold_seconds * (1.0 - progress)))

    async def _countdown(self, started: float) -> None:
        while self.phase is SosPhase.COUNTDOWN:
            left = self.countdown_seconds - (self._clock() - started)
            if left <= 0:
                await self._send()
                return
            whole = int(-(-left // 1))  # ceil: 5, 4, 3, 2, 1
            if whole != self.countdown_left:
                self._set(SosPhase.COUNTDOWN, countdown_left=whole)
            await self._sleep(left - (whole - 1))  # until the next whole second

    # ------------------------------------------------------------ internals: the backend

    async def _send(self) -> None:
        self.error, self._cancel_when_sent = None, None
        self._set(SosPhase.SENDING, countdown_left=0)
        try:
            fix = await self.locate()
            if fix is None:
                raise NoLocation("no location from the device")
            alert = await self.client.sos.raise_sos(fix.lat, fix.lon)
        except errors.CityError as exc:
            if self._cancel_when_sent is not None:  # cancelled meanwhile: nothing was sent, nothing to offer
                self._cancel_when_sent = None
                self._set(SosPhase.IDLE)
                return
            self.error = exc
            self._set(SosPhase.FAILED)
            return
        self._adopt(alert)
        reason, self._cancel_when_sent = self._cancel_when_sent, None
        if reason is not None:
            await self.cancel(reason)
            return
        await self._start_watching()

    def _adopt(self, alert: SosAlertPublic) -> None:
        self.alert = None  # a different alert (or the first): take it whatever its updated_at
        self._apply(alert)

    def _apply(self, alert: SosAlertPublic) -> None:
        """Take a newer version of our alert, from whichever source it came."""
        if self.alert is not None:
            if alert.id != self.alert.id or alert.updated_at < self.alert.updated_at:
                return
        status_changed = self.alert is None or alert.status != self.alert.status
        self.alert = alert
        self.phase = _PHASE_OF_STATUS[alert.status]
        if status_changed:
            self._spawn(self._load_timeline(alert.id))
        if not self.is_open:
            self._spawn(self.stop())
        self._changed()

    async def _load_timeline(self, alert_id: uuid.UUID) -> None:
        try:
            events = await self.client.sos.sos_timeline(alert_id)
        except errors.CityError as exc:
            log.info("SOS timeline not loaded: %r", exc)
            return
        if self.alert is not None and self.alert.id == alert_id:
            self.timeline = events
            self._changed()

    async def _start_watching(self) -> None:
        if not self.is_open:
            return
        await self._follow_live()
        if self._watch is None or self._watch.done():
            self._watch = self._spawn(self._keep_open())

    async def _follow_live(self) -> None:
        if self._subscription is not None:
            return
        asked = self._stops
        try:
            subscription = await self.client.sos.subscribe_sos(self._on_realtime)
        except errors.CityError as exc:
            self.live = False
            log.info("SOS live updates unavailable, polling instead: %r", exc)
            return
        if asked != self._stops or self._subscription is not None:
            # stop() came while the channel was joining (a slow join): it must not outlive the stop.
            await subscription.unsubscribe()
            return
        self._subscription, self.live = subscription, True

    async def _unsubscribe(self) -> None:
        self._stops += 1
        subscription, self._subscription, self.live = self._subscription, None, False
        if subscription is not None:
            await subscription.unsubscribe()

    def _on_realtime(self, alert: SosAlertPublic) -> None:
        if self.alert is not None and alert.id == self.alert.id:
            self.connection_lost = False
            self._apply(alert)

    async def _keep_open(self) -> None:
        """While open: a location fix every `location_interval`, a status poll while Realtime is down."""
        next_fix = self._clock() + self.location_interval
        while self.is_open:
            wait = next_fix - self._clock()
            if not self.live:
                wait = min(wait, self.poll_interval)
            await self._sleep(max(0.0, wait))
            if not self.is_open:
                return
            if self._clock() >= next_fix:
                next_fix = self._clock() + self.location_interval
                await self._send_location()
            else:
                await self.refresh()
            if not self.live:
                await self._follow_live()  # Realtime may be back

    async def _send_location(self) -> None:
        assert self.alert is not None
        try:
            fix = await self.locate()
            if fix is None:
                await self.refresh()  # no fix this time: the server keeps the last one
                return
            alert = await self.client.sos.update_sos_location(self.alert.id, fix.lat, fix.lon, fix.accuracy_m)
        except errors.InvalidTransition:
            await self.refresh()  # closed meanwhile (resolved or cancelled elsewhere)
            return
        except errors.CityError as exc:
            self.connection_lost = isinstance(exc, errors.NetworkError) or self.connection_lost
            log.info("SOS location not sent: %r", exc)
            self._changed()
            return
        self.locations_sent += 1
        self.connection_lost = False
        self._apply(alert)

    async def _own_alert(self, *, open_only: bool, alert_id: uuid.UUID | None = None) -> SosAlertPublic | None:
        user = await self.client.auth.current_user()
        if user is None:
            raise errors.AuthError("not signed in")
        for alert in await self.client.sos.sos_alerts(open_only=open_only):
            if alert.caller_id == user.id and (alert_id is None or alert.id == alert_id):
                return alert
        return None

    # ------------------------------------------------------------ internals: plumbing

    def _set(self, phase: SosPhase, **values: Any) -> None:
        self.phase = phase
        for name, value in values.items():
            setattr(self, name, value)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is None:
            return
        try:
            result = self.on_change(self)
            if inspect.isawaitable(result):
                self._spawn(result)
        except Exception:  # noqa: BLE001 - a broken redraw must not stop an SOS
            log.exception("SOS on_change failed")

    def _spawn(self, awaitable: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(awaitable)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
