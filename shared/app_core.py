"""The core both apps' `AppState` build on: session, `run`, notifier, live channels, data folder.

Flet-free, so an app's state runs in a test with a `RecordingNotifier` and `MemoryPrefs`.
One contract for every app (citizen, grid, and the consoles that follow):

- `run(call)` awaits a backend call with the progress indicator on and hands back an
  `Outcome`: the value, or the error already said to the person in plain words.
- A `Notifier` is how state tells the page: busy, a message (error or notice), a rebuild,
  a redraw. The page implements it; state never touches a control.
- The session's refresh token lives in the browser's storage (`Prefs`), so a reload or a
  new tab opens signed in; supabase-py rotates it, and the newest copy is kept.
- Realtime subscriptions and background loops belong to the state (`Live`), not to a view:
  they are released when the person signs out or the tab closes.
- One data-folder rule (`shared.config.app_data_dir`), read where the app starts and passed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from shared import errors
from shared.client import CityClient
from shared.config import BackendConfig
from shared.i18n import Catalogue, Translator
from shared.models import UserPublic
from shared.prefs import Prefs

log = logging.getLogger(__name__)
T = TypeVar("T")
# A backend call: an awaitable, or a function of the connected client (connects on first use).
Call = Awaitable[T] | Callable[[CityClient], Awaitable[T]]
MessageSink = Callable[[str, bool], None]  # (text, error)

@dataclass
class Outcome(Generic[T]):
    """What `run` hands back: the value, or the error already shown to the person."""

    ok: bool
    value: T | None = None
    error: errors.CityError | None = None


class Notifier(Protocol):
    """How state tells the page. The page implements it; tests use `RecordingNotifier`."""

    screen: Any  # the screen shown now: a call's error is said only while its screen still is

    def set_busy(self, text: str | None) -> None: ...  # text: a call is running; None: done
    def show_message(self, text: str, *, error: bool = False) -> None: ...  # a notice, or an error
    def changed(self) -> None: ...  # language, mode or person changed: rebuild the current screen
    def updated(self) -> None: ...  # live data changed (a badge, a case): redraw without rebuilding


class RecordingNotifier:
    """A notifier for browserless tests: remembers what the page would show."""

    def __init__(self) -> None:
        self.screen: Any = None
        self.busy: list[str | None] = []
        self.messages: list[tuple[str, bool]] = []
        self.changes = 0
        self.updates = 0

    def set_busy(self, text: str | None) -> None:
        self.busy.append(text)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.messages.append((text, error))

    def changed(self) -> None:
        self.changes += 1

    def updated(self) -> None:
        self.updates += 1


class Live:
    """The Realtime subscriptions and background tasks of one session, released together."""

    def __init__(self) -> None:
        self.subscriptions: list[Any] = []
        self.tasks: set[asyncio.Task] = set()

    async def subscribe(self, opening: Awaitable[Any]) -> Any | None:
        """Keep the subscription `opening` gives; None (logged) if it failed: live updates are a
        comfort, the screens still load on open."""
        try:
            sub = await opening
        except errors.CityError as exc:
            log.warning("realtime subscription failed: %r", exc)
            return None
        self.subscriptions.append(sub)
        return sub

    def spawn(self, job: Awaitable[Any]) -> asyncio.Task | None:
        """Run `job` in the background until it ends or the session is released."""
        try:
            task = asyncio.get_running_loop().create_task(job)
        except RuntimeError:  # no loop (a synchronous test): nothing to run it on
            if asyncio.iscoroutine(job):
                job.close()
            return None
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def release(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.tasks.clear()
        subs, self.subscriptions = self.subscriptions, []
        for sub in subs:
            await sub.unsubscribe()


class AppCore:
    """One browser session of an app: the client, the person, the language, how calls run.

    Subclasses set `SESSION_KEY` (the browser-storage key of the refresh token) and add the
    app's own state; they call `restore_session`, `keep_session` and `end_session`."""

    SESSION_KEY = "cityloop.session"

    def __init__(self, config: BackendConfig | None, prefs: Prefs, notifier: Notifier, strings: Catalogue, *,
                 locale: str | None = None, data_dir: Path | None = None, client_ip: str | None = None) -> None:
        self.config = config
        self.prefs = prefs  # replaced by the page when the browser reconnects
        self.notifier = notifier
        self.t = Translator(strings, locale)
        self.data_dir = data_dir
        self.client_ip = client_ip  # the browser's address, forwarded on every backend request
        self.client: CityClient | None = None
        self.user: UserPublic | None = None
        self.live = Live()
        self._busy = 0
        self._saving: set[asyncio.Future] = set()  # browser writes under way, kept referenced to the end
        self._message_sink: MessageSink | None = None  # a form that says messages itself (`messages_to`)

    # ------------------------------------------------------------ basics

    @property
    def locale(self) -> str:
        return self.t.locale

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def timeout(self) -> float:
        """Backend timeout in seconds."""
        return 15.0

    async def ensure_client(self) -> CityClient:
        if self.client is None:
            self.client = await CityClient.connect(self.config, timeout=self.timeout, client_ip=self.client_ip)
            self.client.auth.on_tokens_changed(self._tokens_changed)
        return self.client

    def save_later(self, key: str, value: Any) -> None:
        """Write `value` to the browser's storage without waiting (from a synchronous handler);
        unlike the session's loops it is not cancelled by a sign-out."""
        writing = self.prefs.set(key, value)
        try:
            future = asyncio.ensure_future(writing, loop=asyncio.get_running_loop())
        except RuntimeError:  # no loop (a synchronous test): nothing to write with
            if asyncio.iscoroutine(writing):
                writing.close()
            return
        self._saving.add(future)
        future.add_done_callback(self._saving.discard)

    async def saved(self) -> None:
        """Until the browser writes under way (`save_later`) are done."""
        if self._saving:
            await asyncio.gather(*self._saving)

    def say(self, text: str, *, error: bool = False) -> None:
        if self._message_sink is not None:
            self._message_sink(text, error)
        else:
            self.notifier.show_message(text, error=error)

    @contextlib.contextmanager
    def messages_to(self, sink: MessageSink) -> Iterator[None]:
        """While inside, messages go to `sink(text, error)` (a form's own error line), not the page."""
        previous, self._message_sink = self._message_sink, sink
        try:
            yield
        finally:
            self._message_sink = previous

    @contextlib.contextmanager
    def busy(self, key: str = "app.busy") -> Iterator[None]:
        """The progress indicator on while inside (nested and parallel work counted)."""
        self._busy += 1
        self.notifier.set_busy(self.t(key))
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy:
                self.notifier.set_busy(None)

    async def run(self, call: Call[T], *, busy: str | None = "app.busy", success: str | None = None,
                  quiet: bool = False) -> Outcome[T]:
        """Await `call` with the progress indicator on (`busy`: the catalogue key of its words).

        A CityError becomes a plain-words message (none if `quiet`, or if the person has moved
        to another screen meanwhile: the error belongs to the old one); `success` is said after."""
        asked_on = self.notifier.screen
        try:
            with self.busy(busy) if busy else contextlib.nullcontext():
                value = await (call(await self.ensure_client()) if callable(call) else call)
        except errors.CityError as exc:
            log.info("backend call failed: %r", exc)
            if quiet:
                pass
            elif self.notifier.screen is not asked_on:
                log.info("error of a screen no longer shown, not said: %r", exc)
            else:
                self.say(exc.message(self.locale), error=True)
            return Outcome(False, error=exc)
        if success:
            self.say(success)
        return Outcome(True, value)

    # ------------------------------------------------------------ session

    async def restore_session(self) -> UserPublic | None:
        """The person of the refresh token kept in the browser, if it still holds. Offline, the
        token stays for the next load; refused, it is forgotten."""
        token = await self.prefs.get(self.SESSION_KEY)
        if not token:
            return None
        try:
            return await (await self.ensure_client()).auth.restore_session(token)
        except errors.CityError as exc:
            log.info("could not restore the session: %r", exc)
            if not isinstance(exc, errors.NetworkError):
                await self.prefs.remove(self.SESSION_KEY)
            return None

    async def keep_session(self) -> None:
        """Keep the signed-in session's refresh token in the browser."""
        tokens = await (await self.ensure_client()).auth.session_tokens()
        if tokens:
            await self.prefs.set(self.SESSION_KEY, tokens[1])

    def _tokens_changed(self, tokens: tuple[str, str] | None) -> None:
        # supabase-py refreshes the session by itself (the refresh token rotates): keep the newest.
        if tokens and self.user is not None:
            self.save_later(self.SESSION_KEY, tokens[1])

    async def end_session(self, *, say_errors: bool = False) -> None:
        """Sign out: live channels and loops stop, the backend session and the kept token go
        (a failed backend sign-out is said only if `say_errors`; the token goes either way)."""
        await self.live.release()
        if self.client is not None:
            if say_errors:
                await self.run(lambda client: client.auth.sign_out())
            else:
                try:
                    await self.client.auth.sign_out()
                except errors.CityError as exc:
                    log.info("sign-out: %r", exc)
        await self.prefs.remove(self.SESSION_KEY)
        self.user = None

    async def close(self) -> None:
        """The tab is gone for good: release everything this session holds."""
        await self.live.release()
        if self.client is not None:
            await self.client.aclose()
