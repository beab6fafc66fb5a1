"""The city brain's channel: lost -> the screen says so; joined again -> it reloads what it missed; given up
by the socket -> the board opens a new channel itself and keeps trying until one joins."""

from __future__ import annotations

import asyncio

from shared import errors
from shared.brain import BrainBoard, CitySummary


class Channel:
    def __init__(self) -> None:
        self.closed = False

    async def unsubscribe(self) -> None:
        self.closed = True


class FakeBrain:
    """The BrainApi a board reads: counts loads; subscribe_city fails `refuse` times before joining."""

    def __init__(self) -> None:
        self.loads = 0
        self.channels: list[Channel] = []
        self.on_status = None
        self.refuse = 0

    async def city_summary(self) -> CitySummary:
        self.loads += 1
        return CitySummary(open=self.loads)

    async def performance(self, *_a):
        return []

    async def city_trend(self, _days):
        return []

    async def city_ticker(self, _n):
        return []

    async def hotspots(self):
        return []

    async def subscribe_city(self, on_step, on_sos, on_hotspot, on_report, on_status=None):
        if self.refuse:
            self.refuse -= 1
            raise errors.NetworkError("realtime subscription did not answer")
        self.on_status = on_status
        self.channels.append(Channel())
        return self.channels[-1]


async def test_lost_then_joined_again_reloads_what_was_missed() -> None:
    api, seen = FakeBrain(), []
    board = BrainBoard(api, seen.append, rejoin_after=30)
    await board.load()
    await board.start_live()
    assert board.live and api.loads == 1
    api.on_status(False)
    assert not board.live and seen[-1] == frozenset({"live"})
    api.on_status(False)  # the same news twice is said once
    assert seen.count(frozenset({"live"})) == 1
    api.on_status(True)
    await asyncio.sleep(0.05)
    assert board.live and api.loads == 2 and board.summary.open == 2  # caught up
    assert len(api.channels) == 1  # realtime-py rejoined the same channel: no new one
    await board.stop()


async def test_a_channel_given_up_is_replaced_until_one_joins() -> None:
    api, seen = FakeBrain(), []
    board = BrainBoard(api, seen.append, rejoin_after=0.05, rejoin_every=0.05)
    await board.load()
    await board.start_live()
    api.refuse = 2  # the backend is still away for two more tries
    api.on_status(False)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if board.live:
            break
    assert board.live and len(api.channels) == 2 and api.channels[0].closed
    assert api.loads == 2  # the new channel is followed by one catch-up load
    await board.stop()


async def test_a_stopped_board_ignores_late_news() -> None:
    api, seen = FakeBrain(), []
    board = BrainBoard(api, seen.append, rejoin_after=0.01)
    await board.start_live()
    await board.stop()
    api.on_status(False)
    await asyncio.sleep(0.05)
    assert len(api.channels) == 1 and not seen
