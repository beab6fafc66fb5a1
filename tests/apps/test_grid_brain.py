"""The city brain's board (shared/brain.py) against the real stack: it loads every figure in one round,
a report filed through the API adds a ticker row and moves the counters, an SOS moves them at once,
and a burst of reports costs one reload of the counters."""

from __future__ import annotations

import asyncio

import pytest

from shared.brain import BrainBoard, PerformanceRow, load_level, worst_first
from tests.apps.test_grid_alerts import signed_in, wait_for
from tests.backend.core_support import GRID_POINTS, GRIDS, People, file_report, item, make_people, only_workers


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


class Counting:
    """Counts the board's reloads of rpc/city_summary."""

    def __init__(self, api) -> None:
        self.api, self.summaries = api, 0

    def __getattr__(self, name):
        return getattr(self.api, name)

    async def city_summary(self):
        self.summaries += 1
        return await self.api.city_summary()


async def test_the_board_loads_and_moves_live(people, db, stack, tmp_path) -> None:
    app = await signed_in(stack, tmp_path, people.supervisor)
    api = Counting(app.client.brain)
    changes = []
    board = BrainBoard(api, changes.append)
    await board.load()
    await board.start_live()
    try:
        before = board.summary.received_today
        assert [g.grid_id for g in board.summary.grids if str(g.grid_id) == GRIDS[4]] == []  # another street's grid
        rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
        await wait_for(lambda: board.summary.received_today == before + 1 and any(
            str(e.report_id) == rid for e in board.ticker))
        row = next(e for e in board.ticker if str(e.report_id) == rid)
        assert row.case_number and row.case_number == db.execute(
            "select case_number from public.reports where id = %s", (rid,)).fetchone()[0]

        sos_before = board.summary.sos_open
        people.citizen_b.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1]}).execute()
        await wait_for(lambda: board.summary.sos_open == sos_before + 1)

        # A burst of ten reports: ten ticker rows, a couple of counter reloads, not ten.
        await asyncio.sleep(0.5)
        reloads = api.summaries
        ids = [file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"] for _ in range(10)]
        await wait_for(lambda: {str(e.report_id) for e in board.ticker} >= set(ids))
        await wait_for(lambda: board.summary.received_today == before + 11)
        assert api.summaries - reloads <= 5
    finally:
        await board.stop()
        await app.close()


async def test_a_resident_cannot_read_the_figures(people, db, stack, tmp_path) -> None:
    from shared import errors
    from shared.client import CityClient

    client = await CityClient.connect(url=stack.url, key=stack.anon_key)
    await client.auth.sign_in(people.citizen_a.email, people.citizen_a.password)
    with pytest.raises(errors.CityError):
        await client.brain.city_summary()
    with pytest.raises(errors.CityError):
        await client.brain.city_trend(14)
    file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])
    own = {r for (r,) in db.execute("select id::text from public.reports where reporter_id = %s", (people.citizen_a.id,))}
    steps = await client.brain.city_ticker(100)
    assert steps and {str(e.report_id) for e in steps} <= own  # the steps of their own cases only (RLS)
    await client.aclose()


def test_worst_first_and_load_levels() -> None:
    rows = [PerformanceRow(group_code="a", on_time_rate=0.9, overdue_open=1),
            PerformanceRow(group_code="b", on_time_rate=None),
            PerformanceRow(group_code="c", on_time_rate=0.5),
            PerformanceRow(group_code="d", on_time_rate=0.9, overdue_open=4)]
    assert [r.group_code for r in worst_first(rows)] == ["c", "d", "a", "b"]
    assert [load_level(n, 8) for n in (0, 1, 2, 4, 8)] == [0, 1, 1, 2, 4]


async def test_periods_and_the_download_are_the_rows_of_rpc_performance(people, db, stack, tmp_path) -> None:
    import csv
    import io
    import zipfile
    from datetime import date

    from shared.brain import period_dates
    from shared.report_export import COLUMNS

    assert period_dates("last_month", date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_dates("last_30", date(2026, 3, 15)) == (date(2026, 2, 14), date(2026, 3, 15))
    assert period_dates("year", date(2026, 3, 15)) == (date(2026, 1, 1), date(2026, 3, 15))
    with pytest.raises(ValueError):
        period_dates("decade", date(2026, 3, 15))

    file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])
    app = await signed_in(stack, tmp_path, people.supervisor)
    board = BrainBoard(app.client.brain, lambda _parts: None)
    try:
        await board.load()
        await board.set_period("year")
        assert (board.from_date, board.to_date) == period_dates("year", board.today())
        direct = people.supervisor.client.rpc("performance", {
            "from_date": board.from_date.isoformat(), "to_date": board.to_date.isoformat(),
            "group_by": board.group_by}).execute().data
        assert direct and sorted(r["group_code"] or "" for r in direct) == sorted(
            r.group_code or "" for r in board.performance)

        name, data = board.export("csv")
        assert name == f"performance-street-{board.from_date}-{board.to_date}.csv"
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert lines[0] == [h for _, h in COLUMNS] and len(lines) == 1 + len(direct)
        by_code = {r["group_code"] or "": r for r in direct}
        for line in lines[1:]:
            assert int(line[2]) == by_code[line[0]]["received"]  # the same figures as the RPC's

        name, data = board.export("xlsx")
        assert name.endswith(".xlsx")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert "xl/worksheets/sheet1.xml" in z.namelist()
    finally:
        await app.close()


async def test_a_hotspot_is_merged_and_split_from_the_board(people, db, stack, tmp_path) -> None:
    spot = (39.1250, 117.1940)  # in grid 1, away from the other tests' spots
    words = "5号楼南侧绿化带里堆满了建筑垃圾没人清"
    code = item(db, "city_mgmt")["code"]
    ids = [file_report(people.citizen_a, code, (spot[0] + n * 0.0003, spot[1]), description=words + "!" * n)["id"]
           for n in range(3)]
    app = await signed_in(stack, tmp_path, people.supervisor)
    board = BrainBoard(app.client.brain, lambda _parts: None)
    try:
        await board.load()
        hotspot = next(h for h in board.hotspots if {str(r) for r in h.report_ids} >= set(ids))
        assert hotspot.parent_report_id is None
        await board.merge_hotspot(hotspot.id)
        merged = next(h for h in board.hotspots if h.id == hotspot.id)  # the board reloaded its hotspots
        assert merged.parent_report_id is not None
        members = await board.hotspot_members(merged)
        assert {str(m.id) for m in members} == {str(r) for r in merged.report_ids}
        assert all(m.case_number for m in members)
        child = next(m for m in members if m.parent_report_id is not None)

        await board.split_member(child.id)
        assert db.execute("select parent_report_id from public.reports where id = %s", (str(child.id),)).fetchone()[0] is None
        assert db.execute("select split_at is not null from public.hotspot_members where report_id = %s",
                          (str(child.id),)).fetchone()[0]
        # The parent itself cannot be split out while others are merged into it: the RPC's own refusal.
        from shared import errors
        with pytest.raises(errors.CityError):
            await board.split_member(merged.parent_report_id)
    finally:
        await app.close()


async def test_the_board_says_when_its_channel_is_lost_and_catches_up_when_it_is_back(people, db, stack,
                                                                                     tmp_path) -> None:
    from urllib.parse import urlsplit

    from grid_app.state.app import AppState
    from shared.config import BackendConfig
    from tests.links import Link

    link = Link(urlsplit(stack.url).port)  # the app server's cable to the backend
    app = AppState(BackendConfig(f"http://127.0.0.1:{link.port}", stack.anon_key, "environment"), folder=tmp_path)
    assert (await app.sign_in(people.supervisor.email, people.supervisor.password)).ok
    changes: list[frozenset[str]] = []
    board = BrainBoard(app.client.brain, changes.append)
    try:
        await board.load()
        await board.start_live()
        before = board.summary.received_today
        link.cut()
        await wait_for(lambda: not board.live, timeout=30)
        assert frozenset({"live"}) in changes
        missed = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]  # not delivered
        link.restore()
        await wait_for(lambda: board.live, timeout=60)  # realtime-py reconnects, or the board opens a new channel
        await wait_for(lambda: board.summary.received_today >= before + 1, timeout=30)  # caught up by a reload
        assert db.execute("select count(*) from public.reports where id = %s", (missed,)).fetchone()[0] == 1
    finally:
        await board.stop()
        await app.close()
        link.cut()
