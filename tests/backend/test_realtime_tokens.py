"""Channel tokens: a channel stops with upstream's system error when its token expires; a fresh token extends it."""

from __future__ import annotations

import asyncio
import json
import time

from tests.backend.realtime_support import binding, short_lived_token, subscribe


async def _note(adb, owner: str, title: str) -> int:
    cur = await adb.execute("insert into tests.rt_notes (owner_id, title) values (%s, %s) returning id", (owner, title))
    return (await cur.fetchone())[0]


async def test_an_expired_token_stops_the_subscription_with_the_error(rt, adb, stack, make_user) -> None:
    user = make_user(schema="tests")
    short = short_lived_token(stack, user.access_token, 3)
    expiring = await rt(short)
    channel, inbox = await subscribe(expiring, binding("rt_notes"))
    _, witness = await subscribe(await rt(user.access_token), binding("rt_notes"))  # same person, hour-long token

    before = await _note(adb, user.id, "before expiry")
    await inbox.wait_for(lambda d: d["record"]["id"] == before)
    await inbox.wait_state("CHANNEL_ERROR", timeout=8)
    error = next(e for s, e in inbox.states if s == "CHANNEL_ERROR")
    payload = json.loads(error)
    assert payload["status"] == "error" and payload["extension"] == "system"
    assert payload["message"].startswith("Token has expired") and payload["message"].endswith("seconds ago")
    assert payload["channel"] == channel.topic.removeprefix("realtime:")
    await inbox.wait_state("CLOSED")  # phx_close: the client drops the channel instead of rejoining
    assert channel.topic not in expiring.realtime.channels

    after = await _note(adb, user.id, "after expiry")
    await witness.wait_for(lambda d: d["record"]["id"] == after)
    await asyncio.sleep(0.3)
    assert [d["record"]["id"] for d in inbox.records()] == [before]


async def test_a_refreshed_token_keeps_the_channel_open(rt, adb, stack, make_user) -> None:
    user = make_user(schema="tests")
    client = await rt(short_lived_token(stack, user.access_token, 2))
    _, inbox = await subscribe(client, binding("rt_notes"))
    await client.realtime.set_auth(short_lived_token(stack, user.access_token, 60))  # an `access_token` push
    await asyncio.sleep(3)
    note = await _note(adb, user.id, "still here")
    await inbox.wait_for(lambda d: d["record"]["id"] == note)
    assert [s for s, _ in inbox.states] == ["SUBSCRIBED"]


async def test_a_token_for_someone_else_changes_what_the_channel_sees(rt, adb, make_user) -> None:
    first, second = make_user(schema="tests"), make_user(schema="tests")
    client = await rt(first.access_token)
    _, inbox = await subscribe(client, binding("rt_notes"))
    await client.realtime.set_auth(second.access_token)  # e.g. another person signs in on the same device
    deadline = time.monotonic() + 5
    mine = None
    while mine is None:  # the access_token push is asynchronous: wait until it has taken effect
        probe = await _note(adb, second.id, "probe")
        try:
            await inbox.wait_for(lambda d: d["record"]["id"] == probe, timeout=0.5)
            mine = probe
        except AssertionError:
            assert time.monotonic() < deadline, "the new token never took effect"
    old = await _note(adb, first.id, "first's, now hidden")
    last = await _note(adb, second.id, "second's")
    await inbox.wait_for(lambda d: d["record"]["id"] == last)
    assert old not in [d["record"]["id"] for d in inbox.records()]
