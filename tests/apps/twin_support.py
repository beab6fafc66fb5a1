"""App-state tests on the in-memory twin (`shared.twin`): no PostgreSQL, no gateway, no network.

`no_stack` proves it: while a test runs, starting the local stack, connecting a real `CityClient`
or opening any TCP connection fails the test. Use it on a whole module:

    pytestmark = pytest.mark.usefixtures("no_stack")
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from citizen_app.state.app import AppState, RecordingShell
from shared.config import BackendConfig
from shared.prefs import MemoryPrefs
from shared.twin import TwinCity, TwinClient
from tests.apps.citizen_support import FakePage

TWIN_CONFIG = BackendConfig("http://twin.invalid", "twin-key", "environment")  # never dialled


class StackStarted(AssertionError):
    """A test on the twin reached for the real stack or the network."""


@pytest.fixture()
def no_stack(monkeypatch):
    from backend.local_supabase.stack import Stack
    from shared.client import CityClient

    def refuse(*_args, **_kwargs):
        raise StackStarted("this test runs on the twin: it must not start the stack or reach the network")

    def no_tcp(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse()
        return real_connect(self, address, *args)

    real_connect = socket.socket.connect
    monkeypatch.setattr(Stack, "start", refuse)
    monkeypatch.setattr(CityClient, "connect", classmethod(refuse))
    monkeypatch.setattr(socket.socket, "connect", no_tcp)
    monkeypatch.setattr(socket.socket, "connect_ex", no_tcp)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture()
def twin_city() -> TwinCity:
    return TwinCity()


def citizen_state(city: TwinCity, data_dir: Path, prefs: MemoryPrefs | None = None) -> AppState:
    """A resident app session whose backend is `city` (the state connects nothing: its client is set)."""
    state = AppState(TWIN_CONFIG, prefs or MemoryPrefs(), RecordingShell(), data_dir=data_dir)
    state.page = FakePage()
    state.client = TwinClient(city)
    return state


async def signed_in_twin(city: TwinCity, email: str, password: str) -> TwinClient:
    client = TwinClient(city)
    await client.auth.sign_in(email, password)
    return client
