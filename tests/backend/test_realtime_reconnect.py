"""A client survives its gateway going away: a second gateway process is killed and restarted on the same port.

supabase-py reconnects with backoff and rejoins its channels; the restarted gateway
must accept the rejoin (same binding ids) and deliver changes committed after it.
"""

from __future__ import annotations

import time

import pytest

from tests.backend.realtime_support import Gateway, binding, subscribe
from tests.conftest import free_port

# The client library itself still reads ConnectionClosed.code/.reason, deprecated in websockets 13.1.
pytestmark = [pytest.mark.timeout(120), pytest.mark.filterwarnings("ignore::DeprecationWarning:websockets")]


async def _note(adb, owner: str, title: str) -> int:
    cur = await adb.execute("insert into tests.rt_notes (owner_id, title) values (%s, %s) returning id", (owner, title))
    return (await cur.fetchone())[0]


async def test_the_client_reconnects_resubscribes_and_receives_new_changes(rt, adb, stack, make_user) -> None:
    user = make_user(schema="tests")
    gateway = Gateway(stack, free_port())
    gateway.start()
    try:
        client = await rt(user.access_token, url=gateway.url, max_retries=12, initial_backoff=0.5)
        channel, inbox = await subscribe(client, binding("rt_notes"))
        before = await _note(adb, user.id, "before the crash")
        await inbox.wait_for(lambda d: d["record"]["id"] == before)

        gateway.kill()  # SIGKILL: no close frame, the socket just dies
        await inbox.wait_state("CHANNEL_ERROR", timeout=10)
        lost = await _note(adb, user.id, "while the gateway is down")  # NOTIFY has no history: not replayed
        gateway.start()
        await inbox.wait_state("SUBSCRIBED", count=2, timeout=40)
        assert client.realtime.is_connected and channel.is_joined

        after = await _note(adb, user.id, "after the restart")
        await inbox.wait_for(lambda d: d["record"]["id"] == after, timeout=5)
        assert [d["record"]["id"] for d in inbox.records()] == [before, after]
        assert lost not in [d["record"]["id"] for d in inbox.records()]
    finally:
        gateway.stop()


async def test_a_gateway_shutdown_closes_sockets_promptly_and_clients_come_back(rt, adb, stack, make_user) -> None:
    """SIGTERM: the gateway says 1012 (service restart) to its sockets and exits without waiting for them."""
    user = make_user(schema="tests")
    gateway = Gateway(stack, free_port())
    gateway.start()
    try:
        client = await rt(user.access_token, url=gateway.url, max_retries=12, initial_backoff=0.5)
        _, inbox = await subscribe(client, binding("rt_notes"))
        started = time.monotonic()
        gateway.stop()
        assert time.monotonic() - started < 5, "shutdown waited for open sockets"
        await inbox.wait_state("CHANNEL_ERROR", timeout=10)
        gateway.start()
        await inbox.wait_state("SUBSCRIBED", count=2, timeout=40)
        note = await _note(adb, user.id, "after a clean restart")
        await inbox.wait_for(lambda d: d["record"]["id"] == note)
    finally:
        gateway.stop()
