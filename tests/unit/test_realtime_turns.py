"""Fair turns at the Realtime socket writes: a bounded number of frames per event-loop iteration."""

from __future__ import annotations

import asyncio

from backend.local_supabase.realtime.turns import WriteTurns


async def test_writers_share_each_iteration_and_other_work_runs_in_between() -> None:
    turns = WriteTurns(per_iteration=3)
    sent: list[tuple[int, int]] = []  # (iteration, writer)
    iteration = 0

    async def writer(n: int) -> None:
        for _ in range(4):
            await turns.take()
            sent.append((iteration, n))

    async def ticker() -> None:  # stands for a request: it must run every iteration
        nonlocal iteration
        while len(sent) < 20:
            iteration += 1
            await asyncio.sleep(0)

    tick = asyncio.create_task(ticker())
    await asyncio.gather(*(writer(n) for n in range(5)))
    await tick
    per_iteration: dict[int, int] = {}
    for it, _ in sent:
        per_iteration[it] = per_iteration.get(it, 0) + 1
    assert len(sent) == 20 and max(per_iteration.values()) <= 3
    assert len(per_iteration) >= 7  # 20 frames over at least ceil(20 / 3) iterations


async def test_a_cancelled_writer_gives_up_its_turn() -> None:
    turns = WriteTurns(per_iteration=1)
    first, second, third = (asyncio.create_task(turns.take()) for _ in range(3))
    await asyncio.sleep(0)  # first takes this iteration's turn; second and third wait
    assert first.done() and not second.done()
    second.cancel()  # e.g. its socket closed while it waited
    await asyncio.wait_for(third, 1)  # the next turn goes to third, not to the cancelled one
    assert second.cancelled()
