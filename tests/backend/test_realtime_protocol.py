"""The Phoenix v1 protocol on the wire (raw websocket frames): keys, joins, replies, errors, leave, tokens.

supabase-py never sends a malformed frame, so the socket's robustness is tested
with a plain websocket client here; the client's own behaviour is tested elsewhere.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
import websockets
from websockets.asyncio.client import connect

from tests.backend.realtime_support import join, receive, send, short_lived_token, unique_grid, ws_url

pytestmark = pytest.mark.timeout(60)


async def test_the_socket_needs_a_valid_api_key(stack) -> None:
    for key in (None, "not-a-jwt", jwt.encode({"role": "anon"}, "wrong-secret" * 4, algorithm="HS256")):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(ws_url(stack, key)):
                pass
        assert refused.value.response.status_code == 403


async def test_heartbeat_and_malformed_frames_get_replies_and_the_socket_survives(stack) -> None:
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        await send(ws, "phoenix", "heartbeat", {}, ref="7")
        assert await receive(ws) == {"event": "phx_reply", "topic": "phoenix", "payload": {"status": "ok", "response": {}},
                                     "ref": "7"}
        for bad in ("not json", "[1, 2]", json.dumps({"topic": 5, "event": "x"}),
                    json.dumps({"topic": "realtime:x", "event": "phx_join", "payload": "text", "ref": "3"}),
                    json.dumps({"topic": "realtime:x", "event": "phx_join", "payload": {}, "ref": {"a": 1}})):
            await ws.send(bad)
            frame = await receive(ws)
            assert frame["event"] == "phx_reply" and frame["payload"]["status"] == "error", frame
            assert "malformed" in frame["payload"]["response"]["reason"] or "ref" in frame["payload"]["response"]["reason"]
        await ws.send(b"\xff\xfe")
        assert (await receive(ws))["payload"]["status"] == "error"
        await send(ws, "realtime:never-joined", "broadcast", {"event": "x"}, ref="9")
        frame = await receive(ws)
        assert frame["ref"] == "9" and frame["payload"]["response"]["reason"] == "unmatched topic"
        await send(ws, "phoenix", "heartbeat", {}, ref="8")
        assert (await receive(ws))["ref"] == "8"


async def test_join_reply_echoes_the_bindings_in_order_with_unique_ids(stack) -> None:
    changes = [{"event": "INSERT", "schema": "tests", "table": "rt_notes"},
               {"event": "*", "schema": "tests", "table": "rt_grid_rows", "filter": "grid_id=eq.3"},
               {"event": "INSERT", "schema": "tests", "table": "rt_notes"},  # the same twice: still two ids
               {"event": "DELETE", "schema": "tests"}]
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        reply = await join(ws, "realtime:room", changes)
        assert reply["payload"]["status"] == "ok" and reply["ref"] == "1"
        echoed = reply["payload"]["response"]["postgres_changes"]
        assert [{k: v for k, v in b.items() if k != "id"} for b in echoed] == changes
        ids = [b["id"] for b in echoed]
        assert all(isinstance(i, int) and i > 0 for i in ids) and len(set(ids)) == len(ids)
        system = await receive(ws, "realtime:room", "system")
        assert system["payload"] == {"channel": "room", "extension": "postgres_changes",
                                     "message": "Subscribed to PostgreSQL", "status": "ok"}
        # Another gateway process would give the same ids: they hash the binding.
        async with connect(ws_url(stack, stack.anon_key)) as again:
            assert [b["id"] for b in (await join(again, "realtime:room", changes))["payload"]["response"]["postgres_changes"]] == ids


@pytest.mark.parametrize("topic, changes, config, token, reason", [
    ("realtime:", [], {}, None, "TopicNameRequired"),
    ("realtime:x", [{"event": "INSERT", "schema": "tests", "table": "no_such_table"}], {}, None, "does not exist"),
    ("realtime:x", [{"event": "INSERT", "schema": "tests", "table": "rt_notes", "filter": "nope=eq.1"}], {}, None,
     'column "nope" does not exist'),
    ("realtime:x", [{"event": "UPSERT", "schema": "tests", "table": "rt_notes"}], {}, None, "event must be one of"),
    ("realtime:x", [], {"private": True}, None, "Unauthorized: private channels need a signed-in user"),
    ("realtime:x", [], {}, "expired", "InvalidJWTToken: Token has expired"),
    ("realtime:x", [], {}, "bad-signature", "JwtSignatureError"),
    ("realtime:x", [], {}, "no-exp", "Fields `role` and `exp` are required"),
    ("realtime:x", [], {}, "superuser", 'JWT role "postgres" is not allowed'),
])
async def test_bad_joins_are_refused_with_a_reason(stack, topic, changes, config, token, reason) -> None:
    now = int(time.time())
    tokens = {
        "expired": jwt.encode({"role": "authenticated", "exp": now - 30}, stack.jwt_secret, algorithm="HS256"),
        "bad-signature": jwt.encode({"role": "authenticated", "exp": now + 60}, "x" * 40, algorithm="HS256"),
        "no-exp": jwt.encode({"role": "authenticated"}, stack.jwt_secret, algorithm="HS256"),
        "superuser": jwt.encode({"role": "postgres", "exp": now + 60}, stack.jwt_secret, algorithm="HS256"),
    }
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        reply = await join(ws, topic, changes, tokens.get(token), **config)
        assert reply["payload"]["status"] == "error"
        assert reason in reply["payload"]["response"]["reason"]
        await send(ws, "phoenix", "heartbeat", {}, ref="2")  # still open
        assert (await receive(ws, "phoenix"))["payload"]["status"] == "ok"


async def test_leave_replies_ok_and_stops_the_changes(stack, adb) -> None:
    table = [{"event": "INSERT", "schema": "tests", "table": "rt_public"}]
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        assert (await join(ws, "realtime:left", table, ref="1"))["payload"]["status"] == "ok"
        stays = await join(ws, "realtime:stays", table, ref="2")
        stays_id = stays["payload"]["response"]["postgres_changes"][0]["id"]
        await send(ws, "realtime:left", "phx_leave", {}, ref="3")
        assert (await receive(ws, "realtime:left", "phx_reply"))["payload"] == {"status": "ok", "response": {}}
        row = unique_grid()
        await adb.execute("insert into tests.rt_public (id, body) values (%s, 'after leave')", (row,))
        frame = await receive(ws, event="postgres_changes")
        assert frame["topic"] == "realtime:stays" and frame["payload"]["data"]["record"]["id"] == row
        assert frame["ref"] is None and frame["payload"]["ids"] == [stays_id]
        await send(ws, "phoenix", "heartbeat", {}, ref="4")
        nxt = await receive(ws)
        assert nxt["topic"] == "phoenix"  # nothing arrived for realtime:left in between


async def test_an_invalid_refreshed_token_closes_the_channel_with_a_system_error(stack, make_user) -> None:
    user = make_user(schema="tests")
    async with connect(ws_url(stack, stack.anon_key)) as ws:
        assert (await join(ws, "realtime:tok", [], user.access_token))["payload"]["status"] == "ok"
        expired = short_lived_token(stack, user.access_token, -5)
        await send(ws, "realtime:tok", "access_token", {"access_token": expired}, ref=None)
        system = await receive(ws, "realtime:tok")
        assert system["event"] == "system" and system["ref"] is None
        assert system["payload"]["status"] == "error" and system["payload"]["extension"] == "system"
        assert system["payload"]["message"].startswith("Token has expired")
        closed = await receive(ws, "realtime:tok")
        assert closed["event"] == "phx_close" and closed["ref"] == "1"
        await send(ws, "realtime:tok", "broadcast", {"event": "x"}, ref="5")
        assert (await receive(ws, "realtime:tok"))["payload"]["response"]["reason"] == "unmatched topic"
