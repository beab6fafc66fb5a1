"""Broadcast and presence need a signed-in user; a socket's messages, payloads, presence, channels and joins are limited.

Limits are the stack's defaults (backend/local_supabase/realtime/limits.py: hosted
Supabase's Free plan); each over-limit answer is upstream's (see that module).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from websockets.asyncio.client import connect

from backend.local_supabase.realtime.limits import RealtimeLimits
from tests.backend.realtime_support import join, receive, send, unique, ws_url

pytestmark = pytest.mark.timeout(90)

LIMITS = RealtimeLimits()
PUBLIC = [{"event": "INSERT", "schema": "tests", "table": "rt_public"}]


@pytest.fixture(scope="module")
def token(make_user) -> str:
    return make_user(schema="tests").access_token


def topic() -> str:
    return "realtime:" + unique("abuse")


async def broadcast(ws, topic: str, payload: dict, ref: str | None = None, event: str = "ping") -> None:
    await send(ws, topic, "broadcast", {"type": "broadcast", "event": event, "payload": payload}, ref=ref)


async def frames(ws, seconds: float) -> list[dict]:
    """Everything that arrives within `seconds`."""
    out: list[dict] = []
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), left)))
    except asyncio.TimeoutError:
        pass
    return out


async def test_the_anon_key_alone_cannot_join_broadcast_or_presence(stack, token) -> None:
    name = topic()
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        reply = await join(ws, name)  # broadcast/presence config only, no user token
        assert reply["payload"] == {"status": "error", "response": {"reason": (
            "Unauthorized: Broadcast and Presence need a signed-in user; "
            "with the anon key a channel may only listen to postgres_changes")}}
        enabled = await join(ws, name, PUBLIC, ref="2", presence={"key": "", "enabled": True})
        assert enabled["payload"]["status"] == "error" and "signed-in" in enabled["payload"]["response"]["reason"]
        # A server with the service key is not anonymous (role service_role): it may.
        assert (await join(ws, topic(), token=stack.service_key, ref="3"))["payload"]["status"] == "ok"


async def test_an_anon_postgres_changes_channel_neither_hears_nor_sends_broadcasts(stack, token) -> None:
    name = topic()
    async with connect(ws_url(stack, stack.anon_key)) as anon, connect(ws_url(stack, stack.anon_key)) as user:
        assert (await join(anon, name, PUBLIC))["payload"]["status"] == "ok"  # postgres_changes stays open
        assert (await join(user, name, token=token))["payload"]["status"] == "ok"  # signed in: allowed
        await broadcast(user, name, {"secret": "worker at 52.1,4.3"})
        await broadcast(anon, name, {"spoof": True}, ref="9")
        refused = await receive(anon, name, "phx_reply")
        assert refused["ref"] == "9" and refused["payload"]["status"] == "error"
        assert "signed-in" in refused["payload"]["response"]["reason"]
        await send(anon, name, "presence", {"type": "presence", "event": "track", "payload": {"name": "x"}}, ref="10")
        assert (await receive(anon, name, "phx_reply"))["payload"]["status"] == "error"
        heard_by_anon = [f for f in await frames(anon, 0.5) if f["event"] in ("broadcast", "presence_diff")]
        heard_by_user = [f for f in await frames(user, 0.2) if f["event"] in ("broadcast", "presence_diff")]
        assert heard_by_anon == [] and heard_by_user == []


async def test_a_flood_over_the_message_rate_stops_the_channel(stack, token) -> None:
    name = topic()
    async with connect(ws_url(stack, stack.anon_key)) as flooder, connect(ws_url(stack, stack.anon_key)) as listener:
        assert (await join(listener, name, token=token))["payload"]["status"] == "ok"
        assert (await join(flooder, name, token=token))["payload"]["status"] == "ok"
        sent = LIMITS.events_per_second + 50
        for n in range(sent):
            await broadcast(flooder, name, {"n": n})
        got = [f for f in await frames(flooder, 2) if f["topic"] == name]
        system = [f for f in got if f["event"] == "system"]
        assert system and system[0]["payload"]["status"] == "error"
        assert system[0]["payload"]["message"] == "Too many messages per second"
        assert any(f["event"] == "phx_close" for f in got)
        heard = [f for f in await frames(listener, 1) if f["event"] == "broadcast"]
        assert len(heard) == LIMITS.events_per_second  # the rest never went out
        # The channel is gone: further broadcasts are not delivered.
        await broadcast(flooder, name, {"n": "late"}, ref="late")
        assert (await receive(flooder, name, "phx_reply"))["payload"]["response"]["reason"] == "unmatched topic"


async def test_an_oversized_broadcast_is_refused_and_a_huge_frame_closes_the_socket(stack, token) -> None:
    name = topic()
    async with connect(ws_url(stack, stack.anon_key), max_size=None) as sender, \
            connect(ws_url(stack, stack.anon_key)) as listener:
        assert (await join(listener, name, token=token))["payload"]["status"] == "ok"
        assert (await join(sender, name, token=token, broadcast={"ack": True}))["payload"]["status"] == "ok"
        await broadcast(sender, name, {"body": "x" * (LIMITS.max_payload_bytes + 1)}, ref="big")
        reply = await receive(sender, name, "phx_reply")
        assert reply["ref"] == "big" and reply["payload"]["status"] == "error"
        assert reply["payload"]["response"]["reason"].startswith("PayloadSizeExceeded:")
        await broadcast(sender, name, {"body": "x" * (LIMITS.max_payload_bytes - 1000)}, ref="fits")
        assert (await receive(sender, name, "phx_reply"))["payload"]["status"] == "ok"
        heard = [f["payload"]["payload"]["body"] for f in await frames(listener, 1) if f["event"] == "broadcast"]
        assert [len(b) for b in heard] == [LIMITS.max_payload_bytes - 1000]

        with pytest.raises(websockets.ConnectionClosed) as closed:  # the server closes while it is still sent
            await broadcast(sender, name, {"body": "x" * (LIMITS.max_frame_bytes + 1)})
            await frames(sender, 5)
            await sender.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big


async def test_presence_over_its_rate_stops_the_channel(stack, token) -> None:
    name = topic()
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        assert (await join(ws, name, token=token, presence={"key": "me", "enabled": True}))["payload"]["status"] == "ok"
        for n in range(LIMITS.presence_events_per_window):
            await send(ws, name, "presence", {"type": "presence", "event": "track", "payload": {"n": n}}, ref=f"p{n}")
            assert (await receive(ws, name, "phx_reply"))["payload"]["status"] == "ok"
        await send(ws, name, "presence", {"type": "presence", "event": "track", "payload": {"n": "over"}}, ref="over")
        system = await receive(ws, name, "system")
        assert system["payload"] == {"channel": name.removeprefix("realtime:"), "extension": "system",
                                     "message": "Client presence rate limit exceeded", "status": "error"}
        assert (await receive(ws, name, "phx_close"))["event"] == "phx_close"


async def test_channels_per_socket_and_joins_per_second_are_limited(stack, token) -> None:
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        for n in range(LIMITS.channels_per_socket):  # pipelined: all in well under a second
            await send(ws, f"realtime:many-{n}", "phx_join", {"config": {}, "access_token": token}, ref=str(n))
        replies = [await receive(ws, f"realtime:many-{n}", "phx_reply", timeout=20) for n in range(LIMITS.channels_per_socket)]
        assert all(r["payload"]["status"] == "ok" for r in replies)
        await asyncio.sleep(1.1)  # out of the joins window: the channel count answers
        over = await join(ws, "realtime:one-too-many", token=token, ref="x")
        assert over["payload"]["response"]["reason"] == "ChannelRateLimitReached: Too many channels"

    async with connect(ws_url(stack, stack.anon_key)) as ws:
        for n in range(LIMITS.joins_per_second + 20):  # the same topic again and again: one channel
            await send(ws, "realtime:rejoin", "phx_join", {"config": {}, "access_token": token}, ref=str(n))
        reasons = []
        with pytest.raises(websockets.ConnectionClosed):  # upstream disconnects the socket
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["event"] == "phx_reply" and frame["payload"]["status"] == "error":
                    reasons.append(frame["payload"]["response"]["reason"])
        assert reasons == ["ClientJoinRateLimitReached: Too many joins per second"]
