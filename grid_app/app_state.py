"""Session state of the grid app: who is signed in, in which language, and how calls are run.

A plain class (no flet), so tests drive it without a browser. The shell (grid_app/shell.py)
connects its hooks to the screen: `on_busy` to the progress bar, `on_message` to the
snack bar, `on_change` to a redraw. Every screen, including those other features add
(see grid_app/routes.py), reaches the backend through `state.client` inside `state.run`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from shared import errors
from shared.client import CityClient
from shared.code_flow import CodeFlow, CodePurpose
from shared.commands import CommandQueue
from shared.config import BackendConfig
from shared.geo import localized_address, place_text
from shared.i18n import Translator
from shared.models import AreaPublic, DepartmentPublic, ProfilePublic, Role, UserPublic
from shared.prefs import MemoryPrefs, Prefs
from shared.reporting import GridArea, grids_from_areas
from shared.status import HANDLER_ROLES

from .strings import STRINGS

T = TypeVar("T")
Hook = Callable[..., Any]


# Who may use the grid app: the case handlers, and admins (who see everything, handle nothing).
STAFF_ROLES = HANDLER_ROLES | {Role.ADMIN}
# Kept in the browser (SharedPreferences), so a reload or a new tab opens signed in.
SESSION_KEY = "cityloop.grid.session"
LOCALE_KEY = "cityloop.grid.locale"


class NotStaff(errors.AuthError):
    zh = "这是居民账号，请使用市民端。网格员端仅供工作人员使用。"
    en = "This is a resident account: please use the citizen app. The grid app is for staff only."


@dataclass
class Outcome(Generic[T]):
    """What `run` hands back: the value, or the error already shown to the person."""

    ok: bool
    value: T | None = None
    error: errors.CityError | None = None


def data_dir(environ: dict[str, str] | None = None) -> Path:
    """The app's data folder (offline queues): CITYLOOP_GRID_DATA, else <CITYLOOP_HOME or .cityloop>/grid_app."""
    env = os.environ if environ is None else environ
    if env.get("CITYLOOP_GRID_DATA"):
        return Path(env["CITYLOOP_GRID_DATA"])
    return Path(env.get("CITYLOOP_HOME") or ".cityloop") / "grid_app"


class AppState:
    """One browser session of the grid app."""

    def __init__(self, config: BackendConfig, *, locale: str = "zh-CN", folder: Path | None = None,
                 prefs: Prefs | None = None, client_ip: str | None = None) -> None:
        self.config = config
        # The browser's address (Flet web: page.client_ip), forwarded on every backend request.
        self.client_ip = client_ip
        self.code_flow: CodeFlow | None = None  # "forgot the password": sign-in by SMS code
        self.t = Translator(STRINGS, locale)
        self.prefs: Prefs = prefs if prefs is not None else MemoryPrefs()
        self.folder = folder or data_dir()
        self.client: CityClient | None = None
        self.user: UserPublic | None = None
        self.profile: ProfilePublic | None = None
        self.on_duty: bool | None = None
        self.queue: CommandQueue | None = None
        self.departments: list[DepartmentPublic] = []  # for the transfer dialog, loaded at sign-in
        self.grids: list[GridArea] = []  # grid outlines for the maps, loaded at sign-in
        self.areas: list[AreaPublic] = []  # every area: area names ("和平区 · … · 第3网格"), English addresses
        # Set by the shell once signed in, for screens built from grid_app/routes.py.
        self.page: Any = None
        self.inbox: Any = None  # grid_app.inbox_state.InboxState (live tasks)
        self.alerts: Any = None  # grid_app.alerts_state.AlertsState (SOS, notices)
        self.sos_banner: Any = None
        self.photo_uploads: Any = None  # shared.photo_uploads.OwnerUploads of this session, set by main.py
        self.busy = 0
        self._pending_save: asyncio.Future | None = None  # the last browser write, kept referenced
        # Hooks the shell sets; harmless no-ops until then (and in tests).
        self.on_busy: Hook = lambda busy: None
        self.on_message: Hook = lambda text, error=False: None
        self.on_change: Hook = lambda: None

    # ---------------------------------------------------------------- who

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    @property
    def signed_in(self) -> bool:
        return self.user is not None

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

    # ---------------------------------------------------------------- running calls

    async def run(self, call: Awaitable[T], *, success: str | None = None) -> Outcome[T]:
        """Await `call` with the progress indicator on; a CityError becomes a plain-words message."""
        self.busy += 1
        self.on_busy(True)
        try:
            value = await call
        except errors.CityError as exc:
            self.on_message(exc.message(self.t.locale), error=True)
            return Outcome(False, error=exc)
        finally:
            self.busy -= 1
            self.on_busy(self.busy > 0)
        if success:
            self.on_message(success)
        return Outcome(True, value)

    def say(self, text: str, *, error: bool = False) -> None:
        self.on_message(text, error=error)

    # ---------------------------------------------------------------- session

    async def sign_in(self, identifier: str, password: str) -> Outcome[UserPublic]:
        if not identifier.strip() or not password:
            self.say(self.t("signin.missing"), error=True)
            return Outcome(False)
        return await self.run(self._sign_in(identifier, password))

    async def _connect(self) -> CityClient:
        if self.client is None:
            self.client = await CityClient.connect(self.config, client_ip=self.client_ip)
        return self.client

    async def _sign_in(self, identifier: str, password: str) -> UserPublic:
        client = await self._connect()
        return await self._admit(client, await client.auth.sign_in(identifier, password))

    def begin_code_sign_in(self) -> CodeFlow:
        if self.code_flow is None:
            self.code_flow = CodeFlow(CodePurpose.SIGN_IN)
        return self.code_flow

    async def send_code(self, phone: str) -> bool:
        """A sign-in code by SMS to this (existing) account's phone; the resend countdown starts."""
        flow = self.begin_code_sign_in()

        async def step() -> str:
            return await flow.send((await self._connect()).auth, phone) or ""

        return await self._code_step(step(), flow, success="code.sent")

    async def sign_in_with_code(self, code: str) -> bool:
        flow = self.begin_code_sign_in()

        async def step() -> str:
            client = await self._connect()
            problem = await flow.verify(client.auth, code)
            if problem or flow.user is None:
                return problem or "code.wrong"
            await self._admit(client, flow.user)
            return ""

        ok = await self._code_step(step(), flow)
        if ok:
            self.code_flow = None
        return ok

    async def _code_step(self, step: Awaitable[str], flow: CodeFlow, *, success: str | None = None) -> bool:
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
        token = await self.prefs.get(SESSION_KEY)
        if not token:
            return False
        try:
            client = await self._connect()
            await self._admit(client, await client.auth.restore_session(token))
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
        await self._keep_session(client)
        client.auth.on_tokens_changed(self._tokens_changed)
        try:
            self.profile = await client.profile.get_profile()
        except errors.CityError:
            self.profile = None
        self.on_duty = await client.worker.my_duty() if user.role is Role.GRID_WORKER else None
        self.departments = await client.reference.departments()
        self.areas = await client.reference.areas()
        self.grids = grids_from_areas(self.areas)
        # The file of the older action queue is taken in on first start (shared.commands.migrate_legacy).
        self.queue = CommandQueue.for_person(self.folder, user.id,
                                             legacy=[self.folder / f"actions-{uuid.UUID(str(user.id))}.json"])
        return user

    async def _keep_session(self, client: CityClient) -> None:
        tokens = await client.auth.session_tokens()
        if tokens:
            await self.prefs.set(SESSION_KEY, tokens[1])

    def _tokens_changed(self, tokens: tuple[str, str] | None) -> None:
        # supabase-py refreshes the session by itself (the refresh token rotates): keep the newest.
        if tokens and self.user is not None:
            self._pending_save = asyncio.ensure_future(self.prefs.set(SESSION_KEY, tokens[1]))

    async def sign_out(self) -> None:
        if self.client is not None:
            await self.run(self.client.auth.sign_out())
        await self.prefs.remove(SESSION_KEY)
        self.user = self.profile = self.on_duty = self.queue = None

    async def set_duty(self, on_duty: bool) -> Outcome[Any]:
        assert self.client is not None
        done = await self.run(self.client.worker.set_my_duty(on_duty),
                              success=self.t("duty.changed_on" if on_duty else "duty.changed_off"))
        if done.ok:
            self.on_duty = done.value.on_duty
        return done

    def switch_language(self) -> None:
        self.t.locale = "zh-CN" if self.t.is_english else "en"
        self._pending_save = asyncio.ensure_future(self.prefs.set(LOCALE_KEY, self.t.locale))
        self.on_change()
