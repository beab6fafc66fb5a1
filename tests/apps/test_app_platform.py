"""Both apps on the app core: the session state owns its live channels, one layout, no module globals."""

from __future__ import annotations

import uuid
import weakref
from types import SimpleNamespace

from citizen_app.pay_strings import PAY_STRINGS
from citizen_app.state.app import AppState as CitizenState
from citizen_app.state.app import RecordingShell
from citizen_app.strings import _APP_STRINGS, STRINGS
from grid_app.state.app import AppState as GridState
from shared.app_core import AppCore
from shared.config import BackendConfig
from shared.models import Role, UserPublic
from shared.prefs import MemoryPrefs

CONFIG = BackendConfig("http://127.0.0.1:9", "anon", "environment")


class Channel:
    def __init__(self, name: str) -> None:
        self.name, self.closed = name, False

    async def unsubscribe(self) -> None:
        self.closed = True


class LiveClient:
    """Subscriptions and sign-out, on the facades where CityClient gives them."""

    def __init__(self) -> None:
        self.channels: list[Channel] = []
        self.worker = SimpleNamespace(subscribe_tasks=self._opener("tasks"))
        self.sos = SimpleNamespace(subscribe_sos=self._opener("sos"))
        self.profile = SimpleNamespace(subscribe_notifications=self._opener("notifications"))
        self.auth = SimpleNamespace(sign_out=self._nothing)

    def _opener(self, name: str):
        async def subscribe(callback) -> Channel:
            self.channels.append(Channel(name))
            return self.channels[-1]

        return subscribe

    async def _nothing(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


async def noop(_event) -> None:
    pass


def test_both_apps_state_is_the_app_core() -> None:
    assert issubclass(CitizenState, AppCore) and issubclass(GridState, AppCore)
    assert CitizenState.run is GridState.run is AppCore.run  # one run, one Outcome


async def test_the_grid_sessions_live_channels_belong_to_the_state_and_go_at_sign_out(tmp_path) -> None:
    app = GridState(CONFIG, folder=tmp_path)
    app.client, app.user = LiveClient(), UserPublic(id=uuid.uuid4(), email="w@b.cn", role=Role.GRID_WORKER)
    await app.start_live(tasks=noop, sos=noop, notices=noop)
    channels = app.client.channels
    assert [c.name for c in channels] == ["tasks", "sos", "notifications"] and app.live.subscriptions == channels
    await app.sign_out()
    assert all(c.closed for c in channels) and app.live.subscriptions == [] and not app.signed_in


async def test_the_citizen_sessions_channels_go_when_the_tab_closes(tmp_path) -> None:
    state = CitizenState(CONFIG, MemoryPrefs(), RecordingShell(), data_dir=tmp_path)
    state.client = LiveClient()
    channel = await state.live.subscribe(state.client.profile.subscribe_notifications(noop))
    await state.close()
    assert channel.closed and state.live.subscriptions == []


def test_the_sos_state_is_the_sessions_not_a_module_global(tmp_path) -> None:
    from citizen_app.state import sos

    assert not [k for k, v in vars(sos).items() if isinstance(v, weakref.WeakKeyDictionary)]  # no per-session table
    one = CitizenState(CONFIG, MemoryPrefs(), RecordingShell(), data_dir=tmp_path)
    other = CitizenState(CONFIG, MemoryPrefs(), RecordingShell(), data_dir=tmp_path)
    mine = sos.SosState.of(one, lambda: None)
    assert sos.SosState.of(one, lambda: None) is mine and one.sos is mine
    assert sos.SosState.of(other, lambda: None) is not mine


def test_the_citizen_catalogue_is_built_not_patched_and_no_key_hides_another() -> None:
    from shared.ui.strings import SHARED_STRINGS

    assert not set(_APP_STRINGS) & set(PAY_STRINGS)
    assert not (set(_APP_STRINGS) | set(PAY_STRINGS)) & set(SHARED_STRINGS)  # the shared form's words
    assert STRINGS == {**_APP_STRINGS, **PAY_STRINGS, **SHARED_STRINGS}


def test_the_grid_catalogue_holds_the_shared_report_forms_words_and_no_key_hides_another() -> None:
    from grid_app import strings as grid
    from shared.ui.strings import SHARED_STRINGS

    assert not set(grid._APP_STRINGS) & set(SHARED_STRINGS)
    assert grid.STRINGS == {**grid._APP_STRINGS, **SHARED_STRINGS}


def test_both_apps_host_the_report_form_with_everything_its_protocol_names(tmp_path) -> None:
    """The form reads only what ReportFormHost names; each app's host has all of it, no adapter in between."""
    import inspect

    from grid_app.views.report_for_resident import ResidentReportHost
    from shared.report_flow import ReportFlowHost
    from shared.ui.report_host import ReportFormHost

    wanted = {name for cls in (ReportFormHost, ReportFlowHost) for name in (
        *cls.__annotations__, *(n for n, v in vars(cls).items() if callable(v) or isinstance(v, property)))
        if not name.startswith("_")}
    assert {"file_report", "outbox", "say", "busy", "run", "photo_uploads", "elderly", "page", "open_case"} <= wanted
    citizen = CitizenState(CONFIG, MemoryPrefs(), RecordingShell(), data_dir=tmp_path)
    grid = ResidentReportHost(GridState(CONFIG, folder=tmp_path))
    for host in (citizen, grid):
        assert {n for n in wanted if not hasattr(host, n)} == set(), type(host)
        assert inspect.iscoroutinefunction(host.file_report) and inspect.iscoroutinefunction(host.open_case)
    assert grid.outbox is None and grid.elderly is False and grid.t("report.submit") == citizen.t("report.submit")
