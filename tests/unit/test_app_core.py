"""shared/app_core.py without a server: run -> Outcome, the notifier, the session token, live channels."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from shared import errors
from shared.app_core import AppCore, Live, Outcome, RecordingNotifier
from shared.config import app_data_dir
from shared.models import UserPublic
from shared.prefs import MemoryPrefs

STRINGS = {"app.busy": ("请稍候…", "Please wait…"), "done": ("好了", "Done")}
USER = UserPublic(id=uuid.uuid4(), email="a@b.cn")


class FakeSubscription:
    def __init__(self) -> None:
        self.closed = False

    async def unsubscribe(self) -> None:
        self.closed = True


class FakeAuth:
    """The few calls of `client.auth` the core makes."""

    def __init__(self, restore: Exception | None) -> None:
        self.restore_error = restore
        self.signed_out = False
        self.listener = None

    def on_tokens_changed(self, listener) -> None:
        self.listener = listener

    async def restore_session(self, token: str) -> UserPublic:
        if self.restore_error:
            raise self.restore_error
        assert token == "refresh-1"
        return USER

    async def session_tokens(self) -> tuple[str, str]:
        return "access", "refresh-2"

    async def sign_out(self) -> None:
        self.signed_out = True


class FakeClient:
    """The client as the core sees it: its auth facade, and closing."""

    def __init__(self, *, restore: Exception | None = None) -> None:
        self.auth = FakeAuth(restore)
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class Core(AppCore):
    SESSION_KEY = "test.session"


def core(client: FakeClient | None = None, prefs: MemoryPrefs | None = None) -> Core:
    made = Core(None, prefs or MemoryPrefs(), RecordingNotifier(), STRINGS)
    made.client = client or FakeClient()
    return made


async def test_run_hands_back_an_outcome_and_says_errors_in_plain_words() -> None:
    app = core()

    async def fine(_client) -> int:
        return 7

    async def broken(_client) -> int:
        raise errors.NetworkError("down")

    done = await app.run(fine, success="saved")
    assert done == Outcome(True, 7) and app.notifier.busy == ["请稍候…", None]
    assert app.notifier.messages == [("saved", False)]
    failed = await app.run(broken)
    assert not failed.ok and isinstance(failed.error, errors.NetworkError)
    assert app.notifier.messages[-1] == (errors.NetworkError().message("zh-CN"), True)
    assert (await app.run(broken(None), quiet=True, busy=None)).ok is False  # an awaitable works too
    assert len(app.notifier.messages) == 2 and app.notifier.busy == ["请稍候…", None] * 2


async def test_an_error_of_a_screen_no_longer_shown_is_not_said() -> None:
    app = core()

    async def slow(_client) -> None:
        app.notifier.screen = "another screen"  # the person moved on while it ran
        raise errors.NetworkError("down")

    assert not (await app.run(slow)).ok and app.notifier.messages == []


async def test_busy_is_counted_across_parallel_calls() -> None:
    app = core()
    gate = asyncio.Event()

    async def wait(_client) -> None:
        await gate.wait()

    first, second = asyncio.ensure_future(app.run(wait)), asyncio.ensure_future(app.run(wait))
    await asyncio.sleep(0)
    assert app.notifier.busy == ["请稍候…", "请稍候…"]
    gate.set()
    await asyncio.gather(first, second)
    assert app.notifier.busy == ["请稍候…", "请稍候…", None]  # off once, when both are done


async def test_messages_can_go_to_a_form_for_a_while() -> None:
    app = core()
    seen: list[tuple[str, bool]] = []
    with app.messages_to(lambda text, error: seen.append((text, error))):
        app.say("wrong", error=True)
    app.say("later")
    assert seen == [("wrong", True)] and app.notifier.messages == [("later", False)]


async def test_the_session_is_restored_kept_rotated_and_ended() -> None:
    prefs = MemoryPrefs()
    await prefs.set("test.session", "refresh-1")
    app = core(prefs=prefs)
    assert await app.restore_session() == USER
    app.user = USER
    await app.keep_session()
    assert prefs.values["test.session"] == "refresh-2"
    app._tokens_changed(("access", "refresh-3"))  # supabase-py refreshed the session by itself
    await app.saved()
    assert prefs.values["test.session"] == "refresh-3"
    await app.end_session()
    assert app.client.auth.signed_out and "test.session" not in prefs.values and app.user is None


async def test_a_refused_token_is_forgotten_an_offline_one_kept() -> None:
    for error, kept in ((errors.AuthError("expired"), False), (errors.NetworkError("down"), True)):
        prefs = MemoryPrefs()
        await prefs.set("test.session", "refresh-1")
        app = core(FakeClient(restore=error), prefs)
        assert await app.restore_session() is None
        assert ("test.session" in prefs.values) is kept


async def test_live_channels_and_loops_are_released_with_the_session() -> None:
    app = core()
    sub = FakeSubscription()

    async def opening() -> FakeSubscription:
        return sub

    async def refused() -> FakeSubscription:
        raise errors.NetworkError("realtime down")

    assert await app.live.subscribe(opening()) is sub
    assert await app.live.subscribe(refused()) is None  # logged; the screens still load on open
    loop = app.live.spawn(asyncio.sleep(3600))
    await app.close()
    await asyncio.sleep(0)
    assert sub.closed and loop.cancelled() and app.client.closed
    assert app.live.subscriptions == [] and not app.live.tasks


def test_live_spawn_without_a_loop_runs_nothing() -> None:
    assert Live().spawn(asyncio.sleep(0)) is None


def test_one_data_folder_rule(tmp_path: Path) -> None:
    assert app_data_dir("grid_app", {"CITYLOOP_HOME": str(tmp_path)}) == tmp_path / "grid_app"
    assert app_data_dir("citizen_app", {}) == Path(".cityloop").absolute() / "citizen_app"
    packaged = {"FLET_APP_STORAGE_DATA": str(tmp_path / "phone")}  # a phone build: the app's own storage
    assert app_data_dir("citizen_app", packaged) == tmp_path / "phone" / "citizen_app"
    assert app_data_dir("citizen_app", {**packaged, "CITYLOOP_HOME": str(tmp_path)}) == tmp_path / "citizen_app"
