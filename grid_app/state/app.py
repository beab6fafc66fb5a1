"""Session state of the grid app: who is signed in, in which language, and how calls are run.

A plain class (no flet) on the app core (shared/app_core.py), so tests drive it without a
browser. The page hands in a `Notifier` (progress bar, snack bar, redraw). Every screen,
including those other features add (see grid_app/routes.py), reaches the backend through
`state.client` inside `state.run`, which returns an `Outcome`. The session's live channels
(tasks, SOS, notifications) are opened by `start_live` and released with the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from shared import errors
from shared.app_core import AppCore, Notifier, Outcome, RecordingNotifier
from shared.client import CityClient
from shared.code_flow import CodeFlow, CodePurpose
from shared.commands import CommandQueue
from shared.config import BackendConfig, app_data_dir
from shared.geo import localized_address, place_text
from shared.models import AreaPublic, DepartmentPublic, ProfilePublic, Role, UserPublic
from shared.prefs import MemoryPrefs, Prefs
from shared.reporting import GridArea, grids_from_areas
from shared.status import HANDLER_ROLES

from ..strings import STRINGS

__all__ = ["AppState", "NotStaff", "Outcome", "SESSION_KEY", "LOCALE_KEY", "STAFF_ROLES"]

# Who may use the grid app: the case handlers, and admins (who see everything, handle nothing).
STAFF_ROLES = HANDLER_ROLES | {Role.ADMIN}
# Kept in the browser (SharedPreferences), so a reload or a new tab opens signed in.
SESSION_KEY = "cityloop.grid.session"
LOCALE_KEY = "cityloop.grid.locale"
# A live event: what the session's channels deliver to (set by the shell through `start_live`).
LiveHandler = Callable[[Any], Awaitable[None]]


class NotStaff(errors.AuthError):
    zh = "这是居民账号，请使用市民端。网格员端仅供工作人员使用。"
    en = "This is a resident account: please use the citizen app. The grid app is for staff only."


class AppState(AppCore):
    """One browser session of the grid app."""

    SESSION_KEY = SESSION_KEY

    def __init__(self, config: BackendConfig, *, locale: str = "zh-CN", folder: Path | None = None,
                 prefs: Prefs | None = None, client_ip: str | None = None,
                 notifier: Notifier | None = None) -> None:
        super().__init__(config, prefs if prefs is not None else MemoryPrefs(), notifier or RecordingNotifier(),
                         STRINGS, locale=locale, data_dir=folder or app_data_dir("grid_app"), client_ip=client_ip)
        self.code_flow: CodeFlow | None = None  # "forgot the password": sign-in by SMS code
        self.profile: ProfilePublic | None = None
        self.on_duty: bool | None = None
        self.queue: CommandQueue | None = None
        self.departments: list[DepartmentPublic] = []  # for the transfer dialog, loaded at sign-in
        self.grids: list[GridArea] = []  # grid outlines for the maps, loaded at sign-in
        self.areas: list[AreaPublic] = []  # every area: area names ("和平区 · … · 第3网格"), English addresses
        # Set by the shell once signed in, for screens built from grid_app/routes.py.
        self.page: Any = None
        self.inbox: Any = None  # grid_app.state.inbox.InboxState (live tasks)
        self.alerts: Any = None  # grid_app.state.alerts.AlertsState (SOS, notices)
        self.sos_banner: Any = None
        self.photo_uploads: Any = None  # shared.photo_uploads.OwnerUploads of this session, set by main.py

    # ---------------------------------------------------------------- who

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    @property
    def name(self) -> str:
        if self.profile and self.profile.display_name:
            return self.profile.display_name
        return (self.user.email or self.user.phone or "") if self.user else ""

    def address(self, text: str | None, landmark: str | None = None) -> str:
        """A case's place in the person's language (area names in English), then the reporter's
        landmark; or "(no address)"."""
        return place_text(localized_address(text, self.areas, self.t.locale), landmark, self.t.locale) or self.t(
            "no_address")

    def role_label(self) -> str:
        return self.t(f"role.{self.role.value}") if self.role else ""

    # ---------------------------------------------------------------- session

    async def sign_in(self, identifier: str, password: str) -> Outcome[UserPublic]:
        if not identifier.strip() or not password:
            self.say(self.t("signin.missing"), error=True)
            return Outcome(False)
        return await self.run(lambda client: self._sign_in(client, identifier, password))

    async def _sign_in(self, client: CityClient, identifier: str, password: str) -> UserPublic:
        return await self._admit(client, await client.auth.sign_in(identifier, password))

    def begin_code_sign_in(self) -> CodeFlow:
        if self.code_flow is None:
            self.code_flow = CodeFlow(CodePurpose.SIGN_IN)
        return self.code_flow

    async def send_code(self, phone: str) -> bool:
        """A sign-in code by SMS to this (existing) account's phone; the resend countdown starts."""
        flow = self.begin_code_sign_in()

        async def step(client: CityClient) -> str:
            return await flow.send(client.auth, phone) or ""

        return await self._code_step(step, flow, success="code.sent")

    async def sign_in_with_code(self, code: str) -> bool:
        flow = self.begin_code_sign_in()

        async def step(client: CityClient) -> str:
            problem = await flow.verify(client.auth, code)
            if problem or flow.user is None:
                return problem or "code.wrong"
            await self._admit(client, flow.user)
            return ""

        ok = await self._code_step(step, flow)
        if ok:
            self.code_flow = None
        return ok

    async def _code_step(self, step: Callable[[CityClient], Awaitable[str]], flow: CodeFlow, *,
                         success: str | None = None) -> bool:
        done = await self.run(step)
        if done.ok and done.value:
            self.say(self.t(done.value, n=flow.seconds_until_resend()), error=True)
            return False
        if done.ok and success:
            self.say(self.t(success))
        return done.ok

    async def restore(self) -> bool:
        """On page load: the language, then the session kept in the browser, if it is still good."""
        locale = await self.prefs.get(LOCALE_KEY)
        if locale:
            self.t.locale = locale
        user = await self.restore_session()
        if user is None:
            return False
        try:
            await self._admit(self.client, user)
        except errors.CityError as exc:
            if not isinstance(exc, errors.NetworkError):  # offline: keep the token for the next load
                await self.prefs.remove(SESSION_KEY)
            self.user = None
            return False
        return True

    async def _admit(self, client: CityClient, user: UserPublic) -> UserPublic:
        """Staff only; then the profile, duty, departments and the offline queue of this person."""
        if user.role not in STAFF_ROLES:
            # Signed out again at once: a resident's session has nothing to do here.
            await client.auth.sign_out()
            await self.prefs.remove(SESSION_KEY)
            raise NotStaff(f"role {user.role}")
        self.user = user
        await self.keep_session()
        try:
            self.profile = await client.profile.get_profile()
        except errors.CityError:
            self.profile = None
        self.on_duty = await client.worker.my_duty() if user.role is Role.GRID_WORKER else None
        self.departments = await client.reference.departments()
        self.areas = await client.reference.areas()
        self.grids = grids_from_areas(self.areas)
        # The file of the older action queue is taken in on first start (shared.commands.migrate_legacy).
        self.queue = CommandQueue.for_person(self.data_dir, user.id,
                                             legacy=[self.data_dir / f"actions-{uuid.UUID(str(user.id))}.json"])
        return user

    async def start_live(self, *, tasks: LiveHandler, sos: LiveHandler, notices: LiveHandler) -> None:
        """Open the session's live channels (owned here, released by `sign_out` and `close`)."""
        client = await self.ensure_client()
        for subscribe, handler in ((client.worker.subscribe_tasks, tasks), (client.sos.subscribe_sos, sos),
                                   (client.profile.subscribe_notifications, notices)):
            await self.live.subscribe(subscribe(handler))

    async def sign_out(self) -> None:
        await self.end_session(say_errors=True)
        self.profile = self.on_duty = self.queue = None

    async def set_duty(self, on_duty: bool) -> Outcome[Any]:
        done = await self.run(lambda client: client.worker.set_my_duty(on_duty),
                              success=self.t("duty.changed_on" if on_duty else "duty.changed_off"))
        if done.ok:
            self.on_duty = done.value.on_duty
        return done

    def switch_language(self) -> None:
        self.t.locale = "zh-CN" if self.t.is_english else "en"
        self.save_later(LOCALE_KEY, self.t.locale)
        self.notifier.changed()
