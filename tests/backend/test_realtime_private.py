"""Private channels (`"private": true`): RLS on realtime.messages decides who may join (read) and send (write).

Policies: tests/fixtures/50_realtime_private.sql (members of a room read it; members
with can_send write; a lobby policy that would even let anon read).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect

from tests.backend.realtime_support import join, receive, send, short_lived_token, unique, ws_url

pytestmark = pytest.mark.timeout(60)

NO_READ = "Unauthorized: You do not have permissions to read from this Channel topic: "
NO_WRITE = "Unauthorized: You do not have permissions to write to this Channel topic: "


@pytest.fixture(scope="module")
def people(make_user, db):
    """A room with a writer and a reader, and a stranger; (room, writer, reader, stranger)."""
    room = unique("room")
    writer, reader, stranger = (make_user(schema="tests") for _ in range(3))
    db.execute("insert into tests.rt_room_members (topic, user_id, can_send) values (%s, %s, true), (%s, %s, false)",
               (room, writer.id, room, reader.id))
    return room, writer, reader, stranger


def private(**config):
    return {"private": True, "broadcast": {"self": False, "ack": True}, **config}


async def heard(ws, seconds: float = 0.5) -> list[dict]:
    out = []
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            frame = json.loads(await asyncio.wait_for(ws.recv(), left))
            if frame["event"] in ("broadcast", "presence_diff", "presence_state"):
                out.append(frame)
    except asyncio.TimeoutError:
        pass
    return out


async def say(ws, topic: str, ref: str, **payload) -> dict:
    await send(ws, topic, "broadcast", {"type": "broadcast", "event": "say", "payload": payload}, ref=ref)
    return await receive(ws, topic, "phx_reply")


async def test_members_join_and_speak_as_their_policies_allow(stack, people, db) -> None:
    room, writer, reader, _ = people
    topic = "realtime:" + room
    async with connect(ws_url(stack, stack.anon_key)) as w, connect(ws_url(stack, stack.anon_key)) as r, \
            connect(ws_url(stack, stack.anon_key)) as public:
        assert (await join(w, topic, token=writer.access_token, **private()))["payload"]["status"] == "ok"
        assert (await join(r, topic, token=reader.access_token, **private()))["payload"]["status"] == "ok"
        # The public topic of the same name is another room.
        assert (await join(public, topic, token=writer.access_token))["payload"]["status"] == "ok"

        assert (await say(w, topic, "1", text="hello"))["payload"]["status"] == "ok"
        got = await heard(r)
        assert [f["payload"]["payload"] for f in got] == [{"text": "hello"}]

        refused = await say(r, topic, "2", text="may I?")
        assert refused["payload"] == {"status": "error", "response": {"reason": NO_WRITE + room}}
        assert await heard(w) == [] and await heard(public, 0.2) == []
    # Every check ran in a transaction that was rolled back.
    assert db.execute("select count(*) from realtime.messages").fetchone()[0] == 0


async def test_a_stranger_and_the_anon_key_cannot_join(stack, people, db) -> None:
    room, _, _, stranger = people
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        reply = await join(ws, "realtime:" + room, token=stranger.access_token, **private())
        assert reply["payload"] == {"status": "error", "response": {"reason": NO_READ + room}}
        # Nothing to send on either: the topic was never joined.
        refused = await say(ws, "realtime:" + room, "2", text="let me in")
        assert refused["payload"]["response"]["reason"] == "unmatched topic"

        anon = await join(ws, "realtime:" + room, ref="3", **private())
        assert anon["payload"]["response"]["reason"] == "Unauthorized: private channels need a signed-in user"
        # Even where a policy would let anon read.
        lobby = "realtime:" + unique("lobby")
        anon_lobby = await join(ws, lobby, ref="4", **private(postgres_changes=[
            {"event": "INSERT", "schema": "tests", "table": "rt_public"}]))
        assert anon_lobby["payload"]["response"]["reason"] == "Unauthorized: private channels need a signed-in user"
        # A signed-in stranger reads the lobby (read policy) but may not write there (no insert policy).
        assert (await join(ws, lobby, token=stranger.access_token, ref="5", **private()))["payload"]["status"] == "ok"
        assert (await say(ws, lobby, "6", text="hi"))["payload"]["response"]["reason"] == NO_WRITE + lobby.removeprefix("realtime:")
    assert db.execute("select count(*) from realtime.messages").fetchone()[0] == 0


async def test_private_presence_reaches_members_only(stack, people) -> None:
    room, writer, reader, _ = people
    topic = "realtime:" + room
    presence = {"key": "", "enabled": True}
    async with connect(ws_url(stack, stack.anon_key)) as w, connect(ws_url(stack, stack.anon_key)) as r:
        assert (await join(w, topic, token=writer.access_token, **private(presence={"key": "w", "enabled": True})))[
            "payload"]["status"] == "ok"
        assert (await join(r, topic, token=reader.access_token, **private(presence=presence)))["payload"]["status"] == "ok"
        await heard(w, 0.2)
        await heard(r, 0.2)
        await send(w, topic, "presence", {"type": "presence", "event": "track", "payload": {"at": "52.1,4.3"}}, ref="t")
        assert (await receive(w, topic, "phx_reply"))["payload"]["status"] == "ok"
        diffs = [f for f in await heard(r) if f["event"] == "presence_diff"]
        assert diffs and diffs[0]["payload"]["joins"]["w"]["metas"][0]["at"] == "52.1,4.3"
        # The reader may not track (presence is a write too).
        await send(r, topic, "presence", {"type": "presence", "event": "track", "payload": {"at": "x"}}, ref="t2")
        assert (await receive(r, topic, "phx_reply"))["payload"]["response"]["reason"] == NO_WRITE + room


async def test_losing_membership_closes_the_channel_at_the_next_token(stack, make_user, db) -> None:
    room = unique("room")
    member = make_user(schema="tests")
    db.execute("insert into tests.rt_room_members (topic, user_id) values (%s, %s)", (room, member.id))
    topic = "realtime:" + room
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        assert (await join(ws, topic, token=member.access_token, **private()))["payload"]["status"] == "ok"
        db.execute("delete from tests.rt_room_members where topic = %s", (room,))
        fresh = short_lived_token(stack, member.access_token, 600)  # the same user, a new token
        await send(ws, topic, "access_token", {"access_token": fresh}, ref="9")
        system = await receive(ws, topic, "system")
        assert system["payload"]["status"] == "error"
        assert system["payload"]["message"] == f"You no longer have permission to read from this Channel topic: {room}"
