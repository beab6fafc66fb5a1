"""One client socket: read frames, answer them, and write through a bounded send queue.

Nothing another socket does waits on this one: deliveries are `put_nowait` into its
queue and its own writer task drains it. A client that falls `send_queue_bytes`
(limits.py) behind is disconnected (close code 1013, "try again later", when the
close frame still gets through; else the connection is dropped); supabase-py then
reconnects and rejoins, rather than silently missing changes. The queue is bounded
in bytes, not frames (as upstream bounds a socket's memory): frames are sent
uncompressed, and a burst of many small ones must fit as well as a few large ones.
Every frame is handled inside a guard: a bad one gets an error reply, never a dead socket.
The socket's own limits (limits.py) are counted here: messages and joins per second,
channels per socket; broadcast and presence messages are handled in room.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket

from . import protocol as p
from . import room
from .authorization import EXTENSIONS, Access, Caller, headers_json, read_access
from .channels import Channel
from .join import ANON_BROADCAST, JoinRejected, build_channel, join_response
from .limits import Window
from .tokens import TokenRejected, verify_token

if TYPE_CHECKING:  # pragma: no cover
    from .service import RealtimeService

log = logging.getLogger("cityloop.realtime")

EXPIRY_RECHECK_S = 3600  # far-away expiries are re-checked hourly, like upstream's confirm_token


class Connection:
    def __init__(self, ws: WebSocket, service: "RealtimeService", socket_token: str):
        self.ws = ws
        self.service = service
        self.socket_token = socket_token
        self.channels: dict[str, Channel] = {}
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued_bytes = 0  # characters, in fact: the frames are mostly ASCII JSON
        self._closing = asyncio.Event()  # set on overflow, a limit or gateway shutdown
        self._close_code = 1000
        self._flush_on_close = True  # a closing socket still gets what was queued, unless it fell behind
        self.limits = service.limits
        self._events = Window(self.limits.events_per_second)
        self._joins = Window(self.limits.joins_per_second)
        self._headers_json = headers_json(service.client_address(ws))

    # --- sending --------------------------------------------------------------
    def send(self, text: str) -> bool:
        if self._closing.is_set():
            return False
        if self._queued_bytes + len(text) > self.limits.send_queue_bytes:
            log.warning("a client fell %d bytes behind; disconnecting it", self.limits.send_queue_bytes)
            self._close_code = 1013
            self._flush_on_close = False
            self._closing.set()
            return False
        self._queue.put_nowait(text)
        self._queued_bytes += len(text)
        return True

    async def _write_loop(self) -> None:
        while True:
            text = await self._queue.get()
            self._queued_bytes -= len(text)
            await self.service.write_turns.take()  # fair turns: a flood's fan-out never holds the loop
            await self.ws.send_text(text)

    # --- lifecycle ------------------------------------------------------------
    async def run(self) -> None:
        await self.ws.accept()
        tasks = [asyncio.create_task(self._read_loop()), asyncio.create_task(self._write_loop()),
                 asyncio.create_task(self._closing.wait())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.debug("socket ended: %r", task.exception())  # the client went away mid-send
            for channel in list(self.channels.values()):
                self._drop(channel)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._flush(), 2)
                await asyncio.wait_for(self.ws.close(self._close_code), 2)

    async def _flush(self) -> None:
        """What was queued before a server-side close (e.g. the error reply saying why)."""
        while self._flush_on_close and not self._queue.empty():
            await self.ws.send_text(self._queue.get_nowait())

    def shut(self, code: int) -> None:
        """Close from the server side (gateway shutdown, a limit)."""
        self._close_code = code
        self._closing.set()

    async def _read_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                try:
                    text = (message.get("bytes") or b"").decode("utf-8")
                except UnicodeDecodeError:
                    self.send(p.error_reply(p.PHOENIX_TOPIC, None, "malformed message: not UTF-8 text"))
                    continue
            try:
                await self._handle(text)
            except Exception:
                log.exception("handling a frame failed")
                self.send(p.error_reply(p.PHOENIX_TOPIC, None, "internal error while handling the message"))

    # --- frames ---------------------------------------------------------------
    async def _handle(self, text: str) -> None:
        try:
            frame = p.parse_frame(text)
        except p.FrameError as exc:
            self.send(p.error_reply(exc.topic, exc.ref, exc.reason))
            return
        if frame.topic == p.PHOENIX_TOPIC:
            if frame.event == "heartbeat":
                self.send(p.reply(p.PHOENIX_TOPIC, frame.ref))
            else:
                self.send(p.error_reply(p.PHOENIX_TOPIC, frame.ref, f"unknown event {frame.event!r}"))
            return
        if frame.event == "phx_join":
            await self._join(frame)
            return
        channel = self.channels.get(frame.topic)
        if channel is None:
            self.send(p.error_reply(frame.topic, frame.ref, "unmatched topic"))
            return
        if frame.event == "phx_leave":
            self._leave(channel, frame)
        elif frame.event == "access_token":
            await self._access_token(channel, frame)
        elif not self._events.allow():  # what a client sends counts; leaving and new tokens do not
            self.shutdown(channel, "Too many messages per second")
        elif frame.event == "broadcast":
            await room.broadcast(self, channel, frame)
        elif frame.event == "presence":
            await room.presence(self, channel, frame)
        elif frame.ref is not None:
            self.send(p.error_reply(frame.topic, frame.ref, f"unknown event {frame.event!r}"))

    def caller(self, channel: Channel) -> Caller:
        return Caller(channel.token, channel.sub_topic, self._headers_json)

    async def _join(self, frame: p.Frame) -> None:
        service = self.service
        if not self._joins.allow():  # upstream answers, then disconnects the socket
            self.send(p.error_reply(frame.topic, frame.ref, "ClientJoinRateLimitReached: Too many joins per second"))
            self.shut(1000)
            return
        if frame.topic not in self.channels and len(self.channels) >= self.limits.channels_per_socket:
            self.send(p.error_reply(frame.topic, frame.ref, "ChannelRateLimitReached: Too many channels"))
            return
        try:
            channel = await build_channel(frame, self, socket_token=self.socket_token, verifier=service.verifier,
                                          roles=service.roles(), catalog=service.catalog)
            if channel.private:
                channel.access = await self._private_access(channel)
                if not channel.access.readable:
                    raise JoinRejected("Unauthorized: You do not have permissions to read from this Channel topic: "
                                       + channel.sub_topic)
        except JoinRejected as exc:
            self.send(p.error_reply(frame.topic, frame.ref, exc.reason))
            return
        channel.presence_rate = Window(self.limits.presence_events_per_window, self.limits.presence_window_s)
        old = self.channels.get(frame.topic)
        if old is not None:  # a rejoin replaces the channel without a phx_close the client would misread
            self._drop(old)
        self.channels[channel.topic] = channel
        service.hub.add(channel)
        self._schedule_expiry(channel)
        # The reply goes first: nothing for this channel can be queued before it.
        self.send(p.reply(channel.topic, frame.ref, join_response(channel)))
        if channel.bindings:
            self.send(p.system(channel.topic, status="ok", message="Subscribed to PostgreSQL",
                               extension="postgres_changes"))
        if channel.presence_enabled and channel.access.presence_read:
            self.send(p.encode(channel.topic, "presence_state", service.presence.state(channel.room)))

    async def _private_access(self, channel: Channel) -> Access:
        # Both extensions even without presence at join (upstream asks presence then): a later track turns it on.
        return await read_access(self.service.pool, self.caller(channel), EXTENSIONS)

    def _leave(self, channel: Channel, frame: p.Frame) -> None:
        self._drop(channel)
        self.send(p.reply(channel.topic, frame.ref))

    async def _access_token(self, channel: Channel, frame: p.Frame) -> None:
        raw = frame.payload.get("access_token")
        if raw is None or raw == channel.token.raw or (isinstance(raw, str) and raw.startswith("sb_")):
            return
        try:
            channel.token = verify_token(self.service.verifier, raw, self.service.roles())
        except TokenRejected as exc:
            self.shutdown(channel, exc.message)
            return
        # Access follows the token: a private channel asks its policies again (as upstream does).
        if channel.private:
            channel.access = await self._private_access(channel)
            if not channel.access.readable:
                self.shutdown(channel, f"You no longer have permission to read from this Channel topic: {channel.sub_topic}")
                return
        else:
            channel.access = Access.public(channel.token)
            if channel.token.role == "anon" and (not channel.bindings or channel.presence_enabled):
                self.shutdown(channel, ANON_BROADCAST.removeprefix("Unauthorized: "))
                return
        self._schedule_expiry(channel)
        if frame.ref is not None:
            self.send(p.reply(channel.topic, frame.ref))

    # --- channel end ----------------------------------------------------------
    def _drop(self, channel: Channel) -> None:
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        self.service.hub.remove(channel)
        self.service.publish_presence(channel, self.service.presence.untrack(channel))

    def shutdown(self, channel: Channel, message: str) -> None:
        """Upstream's shutdown_response: a system error, then the channel stops (phx_close)."""
        self._drop(channel)
        self.send(p.system(channel.topic, status="error", message=message, extension="system"))
        self.send(p.close(channel.topic, channel.join_ref))

    def _schedule_expiry(self, channel: Channel) -> None:
        channel.cancel_expiry()
        delay = min(max(channel.token.exp - time.time(), 0.0), EXPIRY_RECHECK_S)
        channel.expiry = asyncio.get_running_loop().call_later(delay, self._check_expiry, channel)

    def _check_expiry(self, channel: Channel) -> None:
        if self.channels.get(channel.topic) is not channel:
            return
        now = time.time()
        if channel.token.exp > now:
            self._schedule_expiry(channel)
            return
        self.shutdown(channel, f"Token has expired {int(now - channel.token.exp)} seconds ago")
