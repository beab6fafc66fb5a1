"""A client that stops reading is cut off once its send queue is full; the others keep up."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
import websockets
from websockets.asyncio.client import connect

from backend.local_supabase.realtime.limits import RealtimeLimits
from tests.backend.realtime_support import binding, subscribe, unique_grid

pytestmark = pytest.mark.timeout(120)

ROWS = 5000
BODY = "x" * 6000  # ~6 KB frames: 30 MB in all, more than socket buffers and the send queue hold


async def test_a_stalled_client_is_disconnected_and_does_not_hold_up_others(stack, rt, adb) -> None:
    assert ROWS * len(BODY) > 1.5 * RealtimeLimits().send_queue_bytes  # the stack's default
    url = stack.url.replace("http://", "ws://") + f"/realtime/v1/websocket?vsn=1.0.0&apikey={stack.service_key}"
    first = -(unique_grid() % 200_000 + 1) * 10_000  # negative ids: other tests' rows are positive
    # A small receive buffer (it also turns off the kernel's autotuning, up to 32 MB here),
    # max_queue=1 (websockets stops reading the socket) and no compression (the gateway does
    # not negotiate it; repeated rows would deflate to almost nothing): it soon cannot write to it.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)  # before connect: it sets the window scale
    sock.connect(("127.0.0.1", int(stack.url.rsplit(":", 1)[1])))
    async with connect(url, sock=sock, max_queue=1, compression=None) as stalled:
        await stalled.send(json.dumps({"topic": "realtime:stall", "event": "phx_join", "ref": "1", "payload": {
            "config": {"postgres_changes": [{"event": "INSERT", "schema": "tests", "table": "rt_public"}]},
            "access_token": stack.service_key}}))
        assert json.loads(await stalled.recv())["payload"]["status"] == "ok"

        _, inbox = await subscribe(await rt(stack.service_key), binding("rt_public", "INSERT"))
        await adb.execute("insert into tests.rt_public (id, body) select g, %s from generate_series(%s, %s) g",
                          (BODY, first, first + ROWS - 1))
        await inbox.wait_for(lambda d: d["record"]["id"] == first + ROWS - 1, timeout=60)
        mine = [d["record"]["id"] for d in inbox.records() if first <= d["record"]["id"] < first + ROWS]
        assert mine == list(range(first, first + ROWS))

        received = 0
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(stalled.recv(), 10)
                received += 1
        # 1013 "try again later" when the close frame still fits; else the connection is dropped (1006).
        # Either way supabase-py reconnects and rejoins.
        assert closed.value.rcvd is None or closed.value.rcvd.code == 1013
        assert received < ROWS
