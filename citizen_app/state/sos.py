"""The SOS screen's state, without flet: the shared SosFlow, the words to show, and the phone's signals.

The flow (shared/sos_flow.py) owns the rules; this class turns its phase into text
in the person's language, vibrates and notifies on each step where the platform
can (citizen_app/device.py, never failing), and tells the view to redraw.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.localtime import local_text
from shared.models import ContactStatus, SosEventPublic, SosStatus
from shared.sos_flow import EMERGENCY_LINKS, EmergencyLink, Locate, SosFlow, SosPhase

from .. import device
from .app import AppState

log = logging.getLogger(__name__)

# Signals per step: (vibration seconds or 0, notify?)
_SIGNALS: dict[SosPhase, tuple[float, bool]] = {
    SosPhase.COUNTDOWN: (0.3, False), SosPhase.SENT: (1.0, True), SosPhase.ACKNOWLEDGED: (1.0, True),
    SosPhase.ON_THE_WAY: (0.5, True), SosPhase.RESOLVED: (0.5, True), SosPhase.FAILED: (1.0, False),
}


# Always on the screen, whatever the SOS's state: police and ambulance, then the family's numbers
# (at most MAX_FAMILY_SHOWN, so all of them fit a 390x844 phone without scrolling, elderly mode too).
ALWAYS_CALLED = tuple(link for link in EMERGENCY_LINKS if link.number in ("110", "120"))
MAX_FAMILY_SHOWN = 3


@dataclass(frozen=True)
class FamilyNumber:
    """One of the resident's emergency contacts, to call from the SOS screen."""

    name: str
    phone: str
    relation: str | None = None

    @property
    def url(self) -> str:
        return "tel:" + re.sub(r"[^0-9+]", "", self.phone)


def family_numbers(profile_contacts, invitations) -> list[FamilyNumber]:
    """The contacts kept on the profile, then the invitations not declined or ended; one per number."""
    found: dict[str, FamilyNumber] = {}
    for c in profile_contacts:
        found.setdefault(FamilyNumber(c.name, c.phone).url, FamilyNumber(c.name.strip(), c.phone.strip(),
                                                                          (c.relation or "").strip() or None))
    for c in invitations:
        if c.status in (ContactStatus.PENDING, ContactStatus.ACCEPTED):
            found.setdefault(FamilyNumber(c.name, c.phone).url, FamilyNumber(c.name.strip(), c.phone.strip(),
                                                                              (c.relation or "").strip() or None))
    return [n for n in found.values() if len(n.url) > len("tel:")][:MAX_FAMILY_SHOWN]


@dataclass(frozen=True)
class Step:
    """One line of the SOS's progress: what and when (local time)."""

    label: str
    at: str


class SosState:
    def __init__(self, app: AppState, locate: Locate, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 signals: Any = device) -> None:
        self.app = app
        self.locate = locate
        self._clock, self._sleep = clock, sleep
        self._signals = signals  # citizen_app.device: vibrate(), notify()
        self.flow: SosFlow | None = None
        self.on_redraw: Callable[[], None] | None = None
        self._last_phase = SosPhase.IDLE
        self._tasks: set[asyncio.Task] = set()
        self._invitations: list = []  # the last known emergency-contact invitations (kept when offline)

    @classmethod
    def of(cls, app: AppState, make_locate: Callable[[], Locate], **options: Any) -> SosState:
        """The session's SOS state: one per AppState, so an open alert keeps sending its location
        while the person looks at other screens, and coming back shows the same alert."""
        if app.sos is None:
            app.sos = cls(app, make_locate(), **options)
        return app.sos

    def detach(self) -> None:
        """The screen is leaving: stop drawing; an open (or sending) alert keeps its updates."""
        self.on_redraw = None
        if self.flow is None:
            return
        if self.flow.phase in (SosPhase.HOLDING, SosPhase.COUNTDOWN):
            self._spawn(self.flow.cancel())  # leaving during the countdown is a cancel: nothing is sent
        elif not (self.flow.is_open or self.flow.phase is SosPhase.SENDING):
            self._spawn(self.flow.stop())

    async def start(self) -> None:
        """Connect the flow and pick up an SOS that is still open (the app was reopened)."""
        if self.flow is None:
            client = await self.app.ensure_client()
            self.flow = SosFlow(client, self.locate, on_change=self._changed, clock=self._clock, sleep=self._sleep)
        await self.flow.resume()
        self._last_phase = self.flow.phase
        self._redraw()
        found = await self.app.run(lambda c: c.contacts.mine(), busy=None, quiet=True)
        if found.ok:
            self._invitations = found.value
            self._redraw()

    async def stop(self) -> None:
        if self.flow is not None:
            await self.flow.stop()

    # ------------------------------------------------------------ what the view calls

    @property
    def phase(self) -> SosPhase:
        return self.flow.phase if self.flow else SosPhase.IDLE

    def press(self) -> None:
        if self.flow is not None:
            self.flow.press()

    def release(self) -> None:
        if self.flow is not None:
            self.flow.release()

    async def cancel(self) -> None:
        if self.flow is not None:
            await self.flow.cancel(self.app.t("sos.false_alarm_reason"))

    async def retry(self) -> None:
        if self.flow is not None:
            await self.flow.retry()

    async def done(self) -> bool:
        """Back to a fresh hold ring; True when the SOS is over (resolved, cancelled) and the person
        goes home. After a failed one the screen stays: the emergency numbers and 重试 are there."""
        if self.flow is None:
            return False
        over = self.flow.phase in (SosPhase.RESOLVED, SosPhase.CANCELLED)
        await self.flow.reset()
        return over

    # ------------------------------------------------------------ what the view shows

    @property
    def hold_progress(self) -> float:
        return self.flow.hold_progress if self.flow else 0.0

    @property
    def countdown_left(self) -> int:
        return self.flow.countdown_left if self.flow else 0

    @property
    def busy(self) -> bool:
        return bool(self.flow and (self.flow.busy or self.flow.phase is SosPhase.SENDING))

    @property
    def emergency_links(self) -> tuple[EmergencyLink, ...]:
        return EMERGENCY_LINKS if self.flow and self.flow.shows_emergency_numbers else ()

    def link_label(self, link: EmergencyLink) -> str:
        return self.app.t(f"sos.{link.key}")

    def family(self) -> list[FamilyNumber]:
        """The family's numbers, shown in every state of the SOS (the profile's are known offline too)."""
        profile = self.app.profile
        return family_numbers(profile.emergency_contacts if profile else [], self._invitations)

    @staticmethod
    def family_label(number: FamilyNumber) -> str:
        return " ".join(x for x in (number.relation, number.name, number.phone) if x)

    def responder(self) -> str:
        name = self.flow.responder_name if self.flow else None
        return name or self.app.t("sos.someone")

    def status_text(self) -> str:
        """The one sentence that says where the SOS stands."""
        t, phase = self.app.t, self.phase
        if phase is SosPhase.IDLE:
            return t("sos.hold_hint")
        if phase is SosPhase.HOLDING:
            return t("sos.holding")
        if phase is SosPhase.COUNTDOWN:
            return t("sos.countdown", n=self.countdown_left)
        if phase in (SosPhase.ACKNOWLEDGED, SosPhase.ON_THE_WAY):
            return t(f"sos.{phase.value}", name=self.responder())
        return t(f"sos.{phase.value}")

    def detail_text(self) -> str | None:
        """A second line: why it failed, that the status may be stale, or that the location is followed."""
        flow = self.flow
        if flow is None:
            return None
        if flow.phase is SosPhase.FAILED and flow.error is not None:
            return flow.error.message(self.app.locale)
        if flow.is_open and flow.connection_lost:
            return self.app.t("sos.connection_lost")
        if flow.is_open:
            return self.app.t("sos.location_note")
        return None

    def steps(self) -> list[Step]:
        if self.flow is None:
            return []
        return [Step(self._step_label(e), local_text(e.created_at, "%H:%M:%S")) for e in self.flow.timeline]

    def _step_label(self, event: SosEventPublic) -> str:
        # The count of emergency contacts told is an event without a status change.
        if "contacts_listed" in event.payload:
            told = self.app.t("sos.step.contacts", n=event.payload.get("contacts_notified", 0),
                              m=event.payload["contacts_listed"])
            texted = event.payload.get("contacts_texted", 0)
            return told + self.app.t("sos.step.contacts_texted", n=texted) if texted else told
        return self.app.t(f"sos.step.{SosStatus(event.to_status).value}")

    def speak(self) -> str:
        """What the read-aloud button says on this screen."""
        return " ".join(x for x in (self.status_text(), self.detail_text()) if x)

    # ------------------------------------------------------------ internals

    def _changed(self, flow: SosFlow) -> None:
        if flow.phase is not self._last_phase:
            self._last_phase = flow.phase
            self._signal(flow.phase)
        self._redraw()

    def _signal(self, phase: SosPhase) -> None:
        seconds, notify = _SIGNALS.get(phase, (0.0, False))
        if seconds:
            self._signals.vibrate(seconds)
        if notify:
            self._signals.notify(self.app.t("sos.notify_title"), self.status_text())

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)  # referenced until done
        task.add_done_callback(self._tasks.discard)

    def _redraw(self) -> None:
        if self.on_redraw is not None:
            try:
                self.on_redraw()
            except Exception:  # noqa: BLE001 - the page may be gone; the SOS goes on
                log.exception("SOS redraw failed")
