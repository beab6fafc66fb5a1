"""Per-socket limits of `/realtime/v1`, with hosted Supabase Realtime's Free-plan figures as defaults.

Upstream (supabase/realtime) counts most of these per project over rolling averages
(`RateCounter`, 5 s ticks); one local gateway has one project, so they are counted per
socket here, in rolling one-second windows, which cuts a flood off within a second.
What happens over a limit follows upstream's `RealtimeChannel`:

| limit | default (Free plan) | over it |
|---|---|---|
| messages per second a socket sends | 100 | the channel stops: `system` error "Too many messages per second", `phx_close` |
| broadcast payload | 256 KB (+500 bytes of envelope, as upstream) | the message is dropped; with `ack` an error reply |
| presence messages per channel | 5 per 30 s (upstream's client presence rate limit) | the channel stops: "Client presence rate limit exceeded" |
| presence payload | the broadcast payload limit | the channel stops: "Track message size exceeded" |
| channels per socket | 100 | join error "ChannelRateLimitReached: Too many channels" |
| joins per second per socket | 100 | join error "ClientJoinRateLimitReached: Too many joins per second", then the socket is closed |
| websocket frame | 5 MB (upstream's cowboy `max_frame_size`) | the socket is closed (1009) by the server |
| frames queued to a socket that does not read | 16 MB (upstream: 50 MB of heap per socket) | the socket is closed (1013) |

The Settings (config.py) carry one `RealtimeLimits`; nothing else holds these numbers.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping

PAYLOAD_ENVELOPE_BYTES = 500  # upstream's @payload_size_padding: room for the event name and keys


@dataclass(frozen=True)
class RealtimeLimits:
    events_per_second: int = 100
    max_payload_kb: int = 256
    presence_events_per_window: int = 5
    presence_window_s: float = 30.0
    channels_per_socket: int = 100
    joins_per_second: int = 100
    max_frame_bytes: int = 5_000_000
    send_queue_bytes: int = 16_000_000

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_kb * 1000 + PAYLOAD_ENVELOPE_BYTES

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> "RealtimeLimits":
        d = cls()
        return cls(
            events_per_second=int(env.get("CITYLOOP_REALTIME_EVENTS_PER_SECOND", d.events_per_second)),
            max_payload_kb=int(env.get("CITYLOOP_REALTIME_MAX_PAYLOAD_KB", d.max_payload_kb)),
            presence_events_per_window=int(env.get("CITYLOOP_REALTIME_PRESENCE_EVENTS",
                                                   d.presence_events_per_window)),
            presence_window_s=float(env.get("CITYLOOP_REALTIME_PRESENCE_WINDOW", d.presence_window_s)),
            channels_per_socket=int(env.get("CITYLOOP_REALTIME_CHANNELS_PER_SOCKET", d.channels_per_socket)),
            joins_per_second=int(env.get("CITYLOOP_REALTIME_JOINS_PER_SECOND", d.joins_per_second)),
            max_frame_bytes=int(env.get("CITYLOOP_REALTIME_MAX_FRAME_BYTES", d.max_frame_bytes)),
            send_queue_bytes=int(env.get("CITYLOOP_REALTIME_SEND_QUEUE_BYTES", d.send_queue_bytes)),
        )


class Window:
    """At most `limit` events in any `seconds`-long window (a sliding log: exact at the edges)."""

    def __init__(self, limit: int, seconds: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._times: deque[float] = deque()

    def allow(self) -> bool:
        """Count one event; False (and not counted) when it would pass the limit."""
        now = self._clock()
        times = self._times
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
