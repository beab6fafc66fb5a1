"""The per-socket limits of /realtime/v1: the sliding window and the settings that carry them."""

from __future__ import annotations

from backend.local_supabase.config import Settings
from backend.local_supabase.realtime.limits import RealtimeLimits, Window


def test_a_window_allows_the_limit_per_period_and_frees_up_as_time_passes() -> None:
    now = [100.0]
    window = Window(3, seconds=1.0, clock=lambda: now[0])
    assert [window.allow() for _ in range(4)] == [True, True, True, False]
    now[0] = 100.5
    assert window.allow() is False  # the refused one was not counted, the first three still are
    now[0] = 101.0
    assert [window.allow() for _ in range(4)] == [True, True, True, False]


def test_settings_carry_upstreams_free_plan_defaults_and_overrides() -> None:
    defaults = Settings.from_environ({"CITYLOOP_HOME": "/tmp/x"}).realtime
    assert defaults == RealtimeLimits()
    assert (defaults.events_per_second, defaults.max_payload_kb, defaults.channels_per_socket,
            defaults.joins_per_second) == (100, 256, 100, 100)
    assert defaults.max_payload_bytes == 256_500  # upstream's 500 bytes of envelope
    tuned = Settings.from_environ({"CITYLOOP_HOME": "/tmp/x", "CITYLOOP_REALTIME_EVENTS_PER_SECOND": "500",
                                   "CITYLOOP_REALTIME_MAX_PAYLOAD_KB": "3000"}).realtime
    assert (tuned.events_per_second, tuned.max_payload_bytes, tuned.joins_per_second) == (500, 3_000_500, 100)
