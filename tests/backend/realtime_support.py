"""Helpers for the Realtime tests: supabase-py's async client, an inbox that records arrivals, a second gateway."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx
import jwt
from supabase import AsyncClient, AsyncClientOptions, acreate_client
from websockets.asyncio.client import ClientConnection

from backend.functions.local import GATEWAY_APP
from tests.conftest import StackInfo

ROOT = Path(__file__).resolve().parents[2]
Payload = dict[str, Any]


def unique(prefix: str = "rt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_grid() -> int:
    return uuid.uuid4().int % 2_000_000_000 + 1000


async def realtime_client(url: str, anon_key: str, token: str | None = None, **realtime: Any) -> AsyncClient:
    client = await acreate_client(url, anon_key, options=AsyncClientOptions(
        auto_refresh_token=False, persist_session=False, realtime=realtime or None))
    if token is not None:
        await client.realtime.set_auth(token)
    return client


@dataclass
class Inbox:
    """Every postgres_changes payload a channel got, with its arrival time, and its subscribe states."""

    changes: list[tuple[float, Payload]] = field(default_factory=list)
    states: list[tuple[str, str | None]] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, payload: Payload) -> None:
        self.changes.append((time.time(), payload))
        self._arrived.set()

    def on_state(self, state: Any, error: Exception | None) -> None:
        self.states.append((getattr(state, "value", str(state)), str(error) if error else None))
        self._arrived.set()

    def records(self, change_type: str | None = None) -> list[Payload]:
        return [p["data"] for _, p in self.changes if change_type is None or p["data"]["type"] == change_type]

    async def wait_for(self, predicate: Callable[[Payload], bool], timeout: float = 5.0) -> tuple[float, Payload]:
        """The first change (data) matching; fails with what did arrive."""
        deadline = time.monotonic() + timeout
        while True:
            for arrived, payload in self.changes:
                if predicate(payload["data"]):
                    return arrived, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [(p["data"]["type"], p["data"].get("record") or p["data"].get("old_record")) for _, p in self.changes]
                raise AssertionError(f"no matching change within {timeout} s; got {got}; states {self.states}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_state(self, state: str, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for s, _ in self.states if s == state) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"channel did not reach {state} x{count} within {timeout} s: {self.states}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass


def binding(table: str, event: str = "*", filter: str | None = None, schema: str = "tests") -> dict[str, Any]:
    return {"table": table, "event": event, "filter": filter, "schema": schema}


async def subscribe(client: AsyncClient, *bindings: dict[str, Any], name: str | None = None):
    """A channel with the given postgres_changes bindings, subscribed; (channel, inbox)."""
    inbox = Inbox()
    channel = client.channel(name or unique())
    for b in bindings:
        channel.on_postgres_changes(b["event"], schema=b["schema"], table=b["table"], filter=b["filter"],
                                    callback=inbox.add)
    await channel.subscribe(inbox.on_state)
    assert inbox.states and inbox.states[-1][0] == "SUBSCRIBED", inbox.states
    return channel, inbox


def short_lived_token(stack: StackInfo, access_token: str, seconds: float) -> str:
    """The user's own claims (as /auth/v1 issued them), re-signed to expire in `seconds`."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now, exp=now + int(seconds))
    return jwt.encode(claims, stack.jwt_secret, algorithm="HS256")


class Gateway:
    """A second gateway process on the session's database and secrets, on a port of its own."""

    def __init__(self, stack: StackInfo, port: int):
        self.stack = stack
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = stack.home / "logs" / f"gateway-realtime-{port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        env = dict(os.environ, CITYLOOP_HOME=str(self.stack.home), CITYLOOP_API_PORT=str(self.port), CITYLOOP_WORKERS="1")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "backend.local_supabase.serve", "--app", GATEWAY_APP],
                                         cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gateway did not start:\n{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- raw Phoenix frames, for what supabase-py never sends ---------------------
def ws_url(stack, key: str | None) -> str:
    base = stack.url.replace("http://", "ws://") + "/realtime/v1/websocket?vsn=1.0.0"
    return base + (f"&apikey={key}" if key else "")


async def send(ws: ClientConnection, topic: str, event: str, payload: Any = None, ref: str | None = "1") -> None:
    await ws.send(json.dumps({"topic": topic, "event": event, "payload": payload if payload is not None else {},
                              "ref": ref, "join_ref": ref}))


async def receive(ws: ClientConnection, topic: str | None = None, event: str | None = None, timeout: float = 5) -> dict:
    """The next frame (for the topic/event, skipping others)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if (topic is None or frame["topic"] == topic) and (event is None or frame["event"] == event):
            return frame


async def join(ws: ClientConnection, topic: str, changes: list[dict] | None = None, token: str | None = None,
               ref: str = "1", **config: Any) -> dict:
    payload: dict[str, Any] = {"config": {"broadcast": {"self": False}, "presence": {"key": ""}, "private": False,
                                          "postgres_changes": changes or [], **config}}
    if token:
        payload["access_token"] = token
    await send(ws, topic, "phx_join", payload, ref)
    return await receive(ws, topic, "phx_reply")
