"""Broadcast and presence between supabase-py async clients on the same topic."""

from __future__ import annotations

import asyncio
import time

from realtime.types import RealtimeAcknowledgementStatus

from tests.backend.realtime_support import unique


async def _wait(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_broadcast_reaches_the_other_clients_and_self_only_when_asked(rt, make_user) -> None:
    topic = unique("room")
    user = make_user(schema="tests")
    # Broadcast and presence need a signed-in user (the anon key alone is refused: test_realtime_abuse.py).
    sender, listener, outsider = await rt(user.access_token), await rt(user.access_token), await rt(user.access_token)
    heard: dict[str, list] = {"sender": [], "listener": [], "outsider": []}

    out = sender.channel(topic, {"config": {"broadcast": {"self": False, "ack": False}, "private": False}})
    out.on_broadcast("ping", lambda p: heard["sender"].append(p))
    await out.subscribe()
    into = listener.channel(topic)
    into.on_broadcast("*", lambda p: heard["listener"].append(p))
    await into.subscribe()
    other = outsider.channel(unique("elsewhere"))
    other.on_broadcast("*", lambda p: heard["outsider"].append(p))
    await other.subscribe()

    await out.send_broadcast("ping", {"n": 1, "text": "道路"})
    await _wait(lambda: heard["listener"])
    assert heard["listener"][0]["event"] == "ping" and heard["listener"][0]["payload"] == {"n": 1, "text": "道路"}

    # self: true, ack: true -> the sender hears itself and its push is acknowledged.
    echo = await rt(user.access_token)
    loud = echo.channel(topic, {"config": {"broadcast": {"self": True, "ack": True}, "private": False}})
    mine = []
    loud.on_broadcast("ping", lambda p: mine.append(p))
    await loud.subscribe()
    acked = []
    push = await loud.push("broadcast", {"type": "broadcast", "event": "ping", "payload": {"n": 2}})
    push.receive(RealtimeAcknowledgementStatus.Ok, lambda r: acked.append(r))
    await _wait(lambda: mine and acked and len(heard["listener"]) == 2 and len(heard["sender"]) == 1)
    assert mine[0]["payload"] == {"n": 2} and heard["sender"][0]["payload"] == {"n": 2}
    await asyncio.sleep(0.2)
    assert heard["outsider"] == [] and len(heard["sender"]) == 1  # never its own n=1


async def test_presence_track_and_untrack_reach_the_topic(rt, make_user) -> None:
    topic = unique("presence")
    first, second = await rt(make_user(schema="tests").access_token), await rt(make_user(schema="tests").access_token)
    a = first.channel(topic, {"config": {"presence": {"key": "ana", "enabled": True}, "private": False}})
    b = second.channel(topic, {"config": {"presence": {"key": "bo", "enabled": True}, "private": False}})
    joins, leaves = [], []
    b.on_presence_join(lambda key, current, new: joins.append((key, new)))
    b.on_presence_leave(lambda key, current, left: leaves.append((key, left)))
    b.on_presence_sync(lambda: None)
    a.on_presence_sync(lambda: None)
    await a.subscribe()
    await a.track({"status": "online"})
    await b.subscribe()  # joins after the track: gets it in presence_state
    await _wait(lambda: "ana" in b.presence_state())
    assert b.presence_state()["ana"][0]["status"] == "online"
    assert b.presence_state()["ana"][0]["presence_ref"]
    assert [key for key, _ in joins] == ["ana"]

    await b.track({"status": "busy"})
    await _wait(lambda: "bo" in a.presence_state())
    await a.untrack()
    await _wait(lambda: "ana" not in b.presence_state())
    assert leaves and leaves[-1][0] == "ana"

    await second.remove_all_channels()  # leaving untracks bo for everyone else
    await _wait(lambda: "bo" not in a.presence_state())
