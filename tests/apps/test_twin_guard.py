"""The guard of the twin-based app-state tests does fail a test that reaches for the stack."""

from __future__ import annotations

import asyncio

import pytest

from tests.apps.twin_support import StackStarted

pytestmark = pytest.mark.usefixtures("no_stack")


async def test_a_real_client_cannot_connect() -> None:
    from shared.client import CityClient

    with pytest.raises(StackStarted):
        await CityClient.connect(url="http://127.0.0.1:9", key="k")


def test_the_stack_cannot_start() -> None:
    from backend.local_supabase.stack import Stack

    with pytest.raises(StackStarted):
        Stack.start(object())


async def test_no_tcp_connection_opens() -> None:
    with pytest.raises(StackStarted):
        await asyncio.open_connection("127.0.0.1", 9)
