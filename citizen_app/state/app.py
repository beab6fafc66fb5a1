"""One `AppState` per browser session: the backend client, language, elderly mode, the signed-in person.

Views never call the backend themselves: they call methods here (or in citizen_app/state/),
which call shared/ (CityClient). It builds on the app core (shared/app_core.py): the page
is reached through a `Shell` (the core's `Notifier`, plus navigation), so every method here
runs without a browser in the tests with a recording shell and in-memory preferences.

    done = await state.run(lambda c: c.reports.my_reports(), busy="app.busy")  # an Outcome: done.ok, done.value
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from shared import errors
from shared.app_core import AppCore, Notifier, RecordingNotifier
from shared.client import CityClient
from shared.code_flow import CodeFlow, CodePurpose
from shared.commands import Command, CommandKind, CommandQueue, flush_forever
from shared.config import BackendConfig, app_data_dir, command_flush_seconds
from shared.geo import localized_address, place_text
from shared.i18n import normalise_locale
from shared.limits import is_phone
from shared.models import AreaPublic, NotificationPublic, ProfilePublic, ProfileUpdate, ReportPublic
from shared.photo_uploads import OwnerUploads
from shared.prefs import Prefs
from shared.reporting import ReportDraft
from shared.status import status_label

from .. import device
from ..strings import STRINGS
from ..theme import DEFAULT_STEP, Elderly, LargeText, text_step

log = logging.getLogger(__name__)

SESSION_KEY = "cityloop.citizen.refresh_token"
ELDERLY_KEY = "cityloop.citizen.elderly"
LOCALE_KEY = "cityloop.citizen.locale"
TEXT_SIZE_KEY = "cityloop.citizen.text_size"
MIN_PASSWORD = 6
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Shell(Notifier, Protocol):
    """What the state asks of the page: the core's notifier, and navigation (the resident's
    flows move on by themselves: "sent" goes home)."""

    async def go(self, route: str) -> None: ...


class RecordingShell(RecordingNotifier):
    """A shell for browserless tests: remembers what the page would show and where it went."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: list[str] = []

    async def go(self, route: str) -> None:
        self.routes.append(route)


def credentials_problem(identifier: str, password: str) -> str | None:
    """The catalogue key of what is wrong with sign-in input, or None."""
    value = identifier.strip()
    if not value:
        return "account.need_identifier"
    if not (_EMAIL.match(value) or is_phone(value)):
        return "account.bad_identifier"
    if not password:
        return "account.need_password"
    return None


class AppState(AppCore):
    SESSION_KEY = SESSION_KEY

    def __init__(self, config: BackendConfig | None, prefs: Prefs, shell: Shell, *, data_dir: Path | None = None,
                 locale: str | None = None, client_ip: str | None = None) -> None:
        super().__init__(config, prefs, shell, STRINGS, locale=locale,
                         data_dir=data_dir or app_data_dir("citizen_app"), client_ip=client_ip)
        self.elderly: Elderly = False  # or LargeText(step): theme.sizes reads both
        self.text_step = DEFAULT_STEP
        self.profile: ProfilePublic | None = None
        self.unread: list[NotificationPublic] = []
        self.report_listeners: list[Callable[[Any], None]] = []  # views showing cases: called on each live change
        self._statuses: dict[str, str] = {}  # report id -> last known status, to announce changes once
        self.page: Any = None  # the ft.Page, set by main.py; views that need services use it
        self.code_flow: CodeFlow | None = None  # sign-in by SMS code, or a phone sign-up waiting for its code
        self.photo_uploads: OwnerUploads | None = None  # this session's photo uploads, set by main.py
        self.areas: list[AreaPublic] = []  # the city's areas, for addresses in the person's language
        self.browser_here = True  # False while the tab is gone (Flet keeps the session for its return)
        self.sos: Any = None  # citizen_app.state.sos.SosState of this session, made when first opened

    # ------------------------------------------------------------ basics

    @property
    def shell(self) -> Shell:
        """The page: the core's notifier, which in this app also navigates."""
        return self.notifier

    @property
    def timeout(self) -> float:
        """Backend timeout: generous in elderly mode (slow networks, slow hands)."""
        return 30.0 if self.elderly else 15.0

    def error_text(self, exc: BaseException) -> str:
        if isinstance(exc, errors.CityError):
            return exc.message(self.locale)
        message = getattr(exc, "message", None)
        if callable(message):  # shared.media.MediaError has zh/en too
            return message(self.locale)
        return errors.CityError().message(self.locale)

    # ------------------------------------------------------------ start, account

    async def start(self) -> None:
        """On page load: language and elderly mode from the browser, then the kept session if any."""
        locale = await self.prefs.get(LOCALE_KEY)
        if locale:
            self.t.locale = locale
        self.text_step = text_step(await self.prefs.get(TEXT_SIZE_KEY))
        self._set_mode(bool(await self.prefs.get(ELDERLY_KEY)))
        self.user = await self.restore_session()
        if self.user is not None:
            try:
                await self._after_sign_in()
            except errors.CityError as exc:
                log.info("could not restore the session: %r", exc)
                if not isinstance(exc, errors.NetworkError):  # offline: keep the token for next time
                    await self.prefs.remove(SESSION_KEY)
                self.user = None

    async def sign_in(self, identifier: str, password: str) -> bool:
        problem = credentials_problem(identifier, password)
        if problem:
            self.shell.show_message(self.t(problem), error=True)
            return False
        signed = await self.run(lambda c: c.auth.sign_in(identifier, password), busy="app.busy")
        if not signed.ok:
            return False
        self.user = signed.value
        await self._after_sign_in()
        return True

    async def sign_up(self, identifier: str, password: str, name: str = "") -> bool:
        problem = credentials_problem(identifier, password)
        if problem:
            self.shell.show_message(self.t(problem), error=True)
            return False
        if len(password) < MIN_PASSWORD:
            self.shell.show_message(self.t("account.short_password", n=MIN_PASSWORD), error=True)
            return False
        done = await self.run(lambda c: c.auth.register(identifier, password, display_name=name.strip() or None))
        if not done.ok:
            return False
        created = done.value
        if created.needs_code:  # a phone sign-up: the account opens with the code sent by SMS
            self.code_flow = CodeFlow(CodePurpose.SIGN_UP, phone=identifier)
            self.shell.show_message(self.t("code.sent"))
            return True
        # Sign-up may or may not open a session (confirmation settings): sign in to be sure.
        return await self.sign_in(identifier, password)

    def begin_code_sign_in(self) -> CodeFlow:
        """The "forgot the password? sign in with a code" flow (kept if one is under way)."""
        if self.code_flow is None:
            self.code_flow = CodeFlow(CodePurpose.SIGN_IN)
        return self.code_flow

    async def send_code(self, phone: str | None = None) -> bool:
        """Ask for a code (again); the resend countdown starts."""
        flow = self.begin_code_sign_in()
        if await self._code_step(lambda c: flow.send(c.auth, phone), flow):
            self.shell.show_message(self.t("code.sent"))
            return True
        return False

    async def verify_code(self, code: str) -> bool:
        """Sign in with the code the SMS carried."""
        flow = self.begin_code_sign_in()
        if not await self._code_step(lambda c: flow.verify(c.auth, code), flow) or flow.user is None:
            return False
        self.user, self.code_flow = flow.user, None
        await self._after_sign_in()
        return True

    async def _code_step(self, step: Callable[[CityClient], Awaitable[str | None]], flow: CodeFlow) -> bool:
        async def marked(client: CityClient) -> str:
            return await step(client) or ""

        done = await self.run(marked, busy="app.busy")  # failed: the message is already shown
        if done.ok and done.value:
            self.shell.show_message(self.t(done.value, n=flow.seconds_until_resend()), error=True)
        return done.ok and done.value == ""

    async def _after_sign_in(self) -> None:
        client = await self.ensure_client()
        await self.keep_session()
        log.debug("session kept")
        try:
            self.profile = await client.profile.get_profile()
        except errors.CityError as exc:
            log.info("no profile: %r", exc)
        if self.profile is not None:
            self.t.locale = self.profile.locale
            self.text_step = text_step(self.profile.text_size)
            self._set_mode(self.profile.elderly_mode or bool(self.elderly))
        await self._watch()
        log.debug("watching live changes")
        self._start_outbox_loop()

    async def sign_out(self) -> None:
        await self.end_session()
        self.profile, self.unread = None, []
        self._statuses.clear()
        await self.shell.go("/sign-in")

    # ------------------------------------------------------------ places

    async def load_areas(self) -> list[AreaPublic]:
        """The city's areas (names in both languages), loaded once per session; [] while unreachable."""
        if not self.areas:
            self.areas = (await self.run(lambda c: c.reference.areas(), busy=None, quiet=True)).value or []
        return self.areas

    # ------------------------------------------------------------ the report form's host (shared/ui/report_host.py)

    async def file_report(self, draft: ReportDraft) -> ReportPublic:
        """The resident files their own report (offline, the form puts it in `outbox`)."""
        client = await self.ensure_client()
        return await client.reports.submit_report(draft.to_create(), draft.photos)

    async def open_case(self, report_id: Any) -> None:
        await self.shell.go(f"/cases/{report_id}")

    def place(self, address: str | None, landmark: str | None = None) -> str:
        """A case's place as the person reads it: area names in English when the language is English
        (the stored address is in Chinese), then the reporter's landmark as written; "" if none."""
        return place_text(localized_address(address, self.areas, self.locale), landmark, self.locale)

    # ------------------------------------------------------------ settings

    async def set_locale(self, locale: str) -> None:
        self.t.locale = normalise_locale(locale)
        await self.prefs.set(LOCALE_KEY, self.t.locale)
        if self.signed_in:
            await self.save_profile(ProfileUpdate(locale=self.t.locale), quiet=True)
        self.shell.changed()

    async def set_elderly(self, on: bool) -> None:
        self._set_mode(on)
        await self.prefs.set(ELDERLY_KEY, on)
        if self.signed_in:
            await self.save_profile(ProfileUpdate(elderly_mode=on), quiet=True)
        self.shell.changed()

    async def set_text_step(self, step: int) -> None:
        """The elderly mode's text size (citizen_app/theme.py TEXT_STEPS), kept in the browser and profile."""
        self.text_step = text_step(step)
        self._set_mode(bool(self.elderly))
        await self.prefs.set(TEXT_SIZE_KEY, self.text_step)
        if self.signed_in:
            await self.save_profile(ProfileUpdate(text_size=self.text_step), quiet=True)
        self.shell.changed()

    def _set_mode(self, elderly: bool) -> None:
        self.elderly = LargeText(self.text_step) if elderly else False

    async def save_profile(self, change: ProfileUpdate, *, quiet: bool = False) -> bool:
        done = await self.run(lambda c: c.profile.update_profile(change), busy=None if quiet else "app.busy")
        if not done.ok:
            return False
        self.profile = done.value
        if not quiet:
            self.shell.show_message(self.t("app.saved"))
        return True

    # ------------------------------------------------------------ live updates, notifications

    async def refresh_unread(self) -> None:
        found = await self.run(lambda c: c.profile.notifications(unread_only=True), busy=None, quiet=True)
        if found.ok:
            self.unread = found.value

    async def mark_all_read(self) -> None:
        if (await self.run(lambda c: c.profile.mark_notifications_read(), busy=None)).ok:
            self.unread = []

    async def _watch(self) -> None:
        await self.ensure_client()
        await self.refresh_unread()
        mine = (await self.run(lambda c: c.reports.my_reports(limit=100), busy=None, quiet=True)).value or []
        self._statuses = {str(r.id): r.status.value for r in mine}
        if self.browser_here:
            await self._listen()

    async def _listen(self) -> None:
        client = await self.ensure_client()
        # Owned by the session (released on sign-out and when the tab closes); a failure is logged.
        if await self.live.subscribe(client.reports.subscribe_my_reports(self._on_report_change)) is not None:
            await self.live.subscribe(client.profile.subscribe_notifications(self._on_notification))

    async def browser_left(self) -> None:
        """The tab closed or lost the app server. Flet keeps the session a while in case it comes
        back, but nothing is drawn there: stop the live updates, whose screens would redraw into a
        page with no browser (and the backend need not send them)."""
        self.browser_here = False
        # Only the channels: the outbox loop (also in self.live) goes on sending while the tab is away.
        subscriptions, self.live.subscriptions = self.live.subscriptions, []
        for sub in subscriptions:
            await sub.unsubscribe()
        if self.client is not None:
            await self.client.unsubscribe_all()

    async def browser_back(self) -> None:
        """The same tab re-attached: listen again, and let the screens reload what they missed."""
        if self.browser_here:
            return
        self.browser_here = True
        if not self.signed_in:
            return
        await self._listen()
        await self.refresh_unread()
        self._tell_listeners(None)
        self.shell.updated()

    def _tell_listeners(self, change: Any) -> None:
        if not self.browser_here:  # no page to redraw: the screens reload when the tab is back
            return
        for listener in list(self.report_listeners):
            try:
                listener(change)
            except Exception:  # one broken screen must not stop the others' updates
                log.exception("report listener failed")

    def _on_report_change(self, change: Any) -> None:
        if not self.browser_here:  # a change already on its way when the tab went
            return
        if isinstance(change, ReportPublic) and self.user and change.reporter_id == self.user.id:
            before = self._statuses.get(str(change.id))
            self._statuses[str(change.id)] = change.status.value
            if before is not None and before != change.status.value:
                words = self.t("cases.changed", status=status_label(change.status, self.locale))
                self.shell.show_message(words)
                if not self.elderly:  # a system notification too where the device has them (none in elderly mode)
                    device.notify(self.t("app.title"), words)
        self._tell_listeners(change)
        self.shell.updated()

    def _on_notification(self, notification: Any) -> None:
        if not self.browser_here:
            return
        if isinstance(notification, NotificationPublic) and notification.read_at is None:
            self.unread = [notification] + [n for n in self.unread if n.id != notification.id]
            self.shell.updated()

    # ------------------------------------------------------------ outbox

    @property
    def outbox(self) -> CommandQueue | None:
        """The signed-in person's command queue (reports waiting to be sent); the folder of the older
        outbox is taken in on first start."""
        if not self.user:
            return None
        return CommandQueue.for_person(self.data_dir, self.user.id,
                                       legacy=[self.data_dir / "outbox" / str(self.user.id)])

    async def flush_outbox(self) -> int:
        """Send what waits; how many were sent."""
        box = self.outbox
        if box is None or not box.pending():
            return 0
        client = await self.ensure_client()

        async def send(command: Command, photos: list[bytes]) -> Any:
            if command.kind is not CommandKind.REPORT:  # the resident app queues reports only
                raise errors.ValidationError(f"not a resident's command: {command.kind}", code="command")
            return await client.reports.submit_report(command.report, photos)

        result = await box.flush(send, self.locale)
        for report in result.sent:
            self._statuses[str(report.id)] = report.status.value
        if result.sent:
            self.shell.show_message(self.t("report.sent"))
            self._tell_listeners(None)
            self.shell.updated()
        return len(result.sent)

    def _start_outbox_loop(self, every: float | None = None) -> None:
        self.live.spawn(flush_forever(self.flush_outbox, every or command_flush_seconds(), still=lambda: self.signed_in))
