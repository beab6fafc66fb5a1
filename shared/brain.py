"""The city brain's figures and live board (flet-free): what /brain in the grid app shows.

Counters come from rpc/city_summary, the table from rpc/performance (worst first), the trend from
rpc/city_trend, the ticker from rpc/city_ticker and then live case steps, hotspots from
rpc/hotspots. `BrainBoard` owns the screen's Realtime channel while the screen is shown: a new
case step adds a ticker row at once and refreshes the counters (coalesced: a burst of twenty
reports costs one reload, not twenty); an SOS or a hotspot change refreshes them too.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from shared import errors, report_export
from shared.localtime import to_local
from shared.models import CaseEventPublic, ReportPublic, SosAlertPublic

if TYPE_CHECKING:  # the Protocol of client.brain lives with the others (shared/api.py imports this module)
    from shared.api import BrainApi

log = logging.getLogger(__name__)

GROUPS = ("street", "department", "grid", "worker", "category")
TICKER_ROWS = 30
REFRESH_DELAY_S = 0.15  # live changes within this wait share one reload of the counters
# A lost channel: realtime-py retries on its own for about half a minute (1+2+4+8+16 s), then gives
# up; past this wait the board opens a new channel itself, then tries again every REJOIN_EVERY_S.
REJOIN_AFTER_S = 40.0
REJOIN_EVERY_S = 15.0


class GridLoad(BaseModel):
    grid_id: uuid.UUID
    grid_code: str | None = None
    open: int = 0
    overdue: int = 0


class CitySummary(BaseModel):
    open: int = 0
    overdue: int = 0
    received_today: int = 0
    resolved_today: int = 0
    received_today_by_source: dict[str, int] = Field(default_factory=dict)
    sos_open: int = 0
    care_alerts_open: int = 0
    hotspots_open: int | None = None
    grids: list[GridLoad] = Field(default_factory=list)


class PerformanceRow(BaseModel):
    group_code: str | None = None
    group_name: str | None = None
    received: int = 0
    resolved: int = 0
    on_time_rate: float | None = None
    first_response_minutes_p50: float | None = None
    one_time_rate: float | None = None
    reopen_rate: float | None = None
    satisfaction_rate: float | None = None
    rated: int = 0
    transfers: int = 0
    overdue_open: int = 0
    older_events: int = 0


class TrendDay(BaseModel):
    day: date
    received: int = 0
    resolved: int = 0


class TickerEvent(BaseModel):
    id: int
    report_id: uuid.UUID
    case_number: str | None = None
    category_code: str | None = None
    from_status: str | None = None
    to_status: str
    kind: str | None = None
    actor_role: str | None = None
    created_at: datetime


class HotspotPublic(BaseModel):
    id: uuid.UUID
    category_code: str
    grid_id: uuid.UUID | None = None
    street_id: uuid.UUID | None = None
    lat: float
    lon: float
    member_count: int
    open_count: int
    report_ids: list[uuid.UUID] = Field(default_factory=list)
    parent_report_id: uuid.UUID | None = None
    merged_at: datetime | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None


class HotspotMember(BaseModel):
    """One report of a hotspot, as the supervisor sees it (RLS: only reports in their scope)."""

    id: uuid.UUID
    case_number: str | None = None
    description: str = ""
    status: str
    parent_report_id: uuid.UUID | None = None
    created_at: datetime | None = None


def city_today() -> date:
    return to_local(datetime.now(timezone.utc)).date()


class HotspotRow(BaseModel):
    """A row of public.hotspots as Realtime sends it (the screen reloads rpc/hotspots on any)."""

    id: uuid.UUID


def worst_first(rows: list[PerformanceRow]) -> list[PerformanceRow]:
    """The rows that need attention first: lowest on-time rate (no figure last), then most overdue,
    then least satisfied."""
    def key(r: PerformanceRow) -> tuple:
        return (r.on_time_rate is None, r.on_time_rate if r.on_time_rate is not None else 0.0, -r.overdue_open,
                r.satisfaction_rate if r.satisfaction_rate is not None else 2.0, r.group_name or "")
    return sorted(rows, key=key)


def load_level(open_cases: int, busiest: int) -> int:
    """0 (none) to 4 (the busiest grids): the map's colour step for a grid's open cases."""
    if open_cases <= 0 or busiest <= 0:
        return 0
    return min(4, 1 + (4 * open_cases - 1) // busiest)


def month_start(today: date) -> date:
    return today.replace(day=1)


PERIODS = ("month", "last_month", "last_30", "year")  # the performance table's periods, as the screen offers them


def period_dates(period: str, today: date) -> tuple[date, date]:
    """(from_date, to_date), both inclusive as rpc/performance takes them."""
    if period == "month":
        return month_start(today), today
    if period == "last_month":
        end = month_start(today) - timedelta(days=1)
        return end.replace(day=1), end
    if period == "last_30":
        return today - timedelta(days=29), today
    if period == "year":
        return today.replace(month=1, day=1), today
    raise ValueError(period)


class BrainBoard:
    """One /brain screen's data; `changed(parts)` says which parts changed: a set of "summary",
    "ticker", "hotspots", "performance", "trend" (a screen redraws only those)."""

    ALL = frozenset({"summary", "ticker", "hotspots", "performance", "trend", "live"})

    def __init__(self, api: BrainApi, changed: Callable[[frozenset[str]], None], *, group_by: str = "street",
                 today: Callable[[], date] = city_today, rejoin_after: float = REJOIN_AFTER_S,
                 rejoin_every: float = REJOIN_EVERY_S) -> None:
        self.api = api
        self.live = False  # the channel is joined: what the screen shows moves by itself
        self.rejoin_after, self.rejoin_every = rejoin_after, rejoin_every
        self._rejoin: asyncio.Task | None = None
        self._stopped = False
        self.changed = changed
        self.group_by = group_by
        self.today = today
        self.period = "month"
        self.from_date, self.to_date = period_dates(self.period, today())
        self.summary = CitySummary()
        self.performance: list[PerformanceRow] = []
        self.trend: list[TrendDay] = []
        self.ticker: deque[TickerEvent] = deque(maxlen=TICKER_ROWS)
        self.hotspots: list[HotspotPublic] = []
        self.subscription: Any = None
        self.live_since: datetime | None = None
        self._refresh: asyncio.Task | None = None
        self._sos_seen: set[uuid.UUID] = set()
        self._numbers: dict[uuid.UUID, tuple[str | None, str | None]] = {}  # case -> (number, category)
        self._tasks: set[asyncio.Task] = set()

    async def load(self) -> None:
        """Everything at once (one round of calls in parallel)."""
        summary, perf, trend, ticker, spots = await asyncio.gather(
            self.api.city_summary(), self.api.performance(self.from_date, self.to_date, self.group_by),
            self.api.city_trend(14), self.api.city_ticker(TICKER_ROWS), self.api.hotspots())
        self.summary, self.performance, self.trend, self.hotspots = summary, worst_first(perf), trend, spots
        self.ticker.clear()
        self.ticker.extend(ticker)
        self.changed(self.ALL)

    async def set_grouping(self, group_by: str) -> None:
        if group_by not in GROUPS:
            raise ValueError(group_by)
        self.group_by = group_by
        self.performance = worst_first(await self.api.performance(self.from_date, self.to_date, group_by))
        self.changed(frozenset({"performance"}))

    async def set_period(self, period: str) -> None:
        start, end = period_dates(period, self.today())
        self.performance = worst_first(await self.api.performance(start, end, self.group_by))
        self.period, self.from_date, self.to_date = period, start, end
        self.changed(frozenset({"performance"}))

    def export(self, fmt: str) -> tuple[str, bytes]:
        """The performance table as shown (group, period, the same rows) as a file: (name, bytes)."""
        start, end = self.from_date.isoformat(), self.to_date.isoformat()
        rows = [r.model_dump() for r in self.performance]
        return (report_export.file_name(self.group_by, start, end, fmt),
                report_export.export_bytes(rows, fmt, f"{self.group_by} {start}..{end}"))

    async def merge_hotspot(self, hotspot: uuid.UUID) -> None:
        await self.api.merge_hotspot(hotspot)
        await self._reload_hotspots()

    async def hotspot_members(self, hotspot: HotspotPublic) -> list[HotspotMember]:
        return await self.api.hotspot_members(hotspot.report_ids)

    async def split_member(self, report: uuid.UUID) -> None:
        await self.api.split_hotspot_member(report)
        await self._reload_hotspots()

    async def _reload_hotspots(self) -> None:
        self.hotspots = await self.api.hotspots()
        self.changed(frozenset({"hotspots"}))

    async def start_live(self) -> None:
        self._stopped = False
        self.subscription = await self.api.subscribe_city(self._on_step, self._on_sos, self._on_hotspot,
                                                          self._on_report, on_status=self._on_status)
        self.live_since = datetime.now().astimezone()
        self.live = True

    async def stop(self) -> None:
        self._stopped = True
        self.live = False
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        sub, self.subscription = self.subscription, None
        if sub is not None:
            await sub.unsubscribe()

    # ------------------------------------------------------------ live

    def _on_status(self, live: bool) -> None:
        """The channel was lost, or joined again: say so, and catch up on what was missed."""
        if self._stopped or live == self.live:
            return
        self.live = live
        self.changed(frozenset({"live"}))
        if live:
            self._spawn(self._catch_up())
        elif self._rejoin is None or self._rejoin.done():
            self._rejoin = asyncio.get_running_loop().create_task(self._rejoin_when_given_up())
            self._tasks.add(self._rejoin)
            self._rejoin.add_done_callback(self._done)

    async def _catch_up(self) -> None:
        try:
            await self.load()  # steps made while the channel was down were never delivered
        except errors.CityError as exc:
            log.info("city brain catch-up failed: %r", exc)

    async def _rejoin_when_given_up(self) -> None:
        await asyncio.sleep(self.rejoin_after)
        while not self.live and not self._stopped:
            old, self.subscription = self.subscription, None
            if old is not None:
                await old.unsubscribe()
            try:
                await self.start_live()
            except errors.CityError as exc:
                log.info("city brain channel not joined again yet: %r", exc)
                await asyncio.sleep(self.rejoin_every)
                continue
            self.changed(frozenset({"live"}))
            await self._catch_up()

    def _spawn(self, job) -> None:
        try:
            task = asyncio.get_running_loop().create_task(job)
        except RuntimeError:
            job.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("city brain live update failed", exc_info=task.exception())

    def _on_step(self, event: CaseEventPublic) -> None:
        if event.from_status is None:  # a case filed just now: counted at once, the reload confirms
            self.summary.received_today += 1
            self.summary.open += 1
            self.changed(frozenset({"summary"}))
        self._spawn(self._add_step(event))
        self._refresh_soon()

    def _on_sos(self, alert: SosAlertPublic) -> None:
        if alert.id not in self._sos_seen and alert.is_open:  # a new call for help: red at once
            self.summary.sos_open += 1
            self.changed(frozenset({"summary"}))
        self._sos_seen.add(alert.id)
        self._refresh_soon(now=True)

    def _on_hotspot(self, _: Any) -> None:
        self._refresh_soon(hotspots=True)

    def _on_report(self, report: ReportPublic) -> None:
        """A case filed just now: its number, for the steps that follow it in the same transaction."""
        self._numbers[report.id] = (report.case_number, report.category_code)

    async def _add_step(self, event: CaseEventPublic) -> None:
        if any(r.id == event.id for r in self.ticker):
            return
        known = self._numbers.get(event.report_id)
        if known is None:  # a case filed before the screen opened: read its number (as the person, RLS)
            try:
                row = await self.api.ticker_event(event)
            except errors.CityError as exc:  # the report is out of reach now: the step is not shown
                log.info("ticker row skipped: %r", exc)
                return
            self._numbers[event.report_id] = (row.case_number, row.category_code)
        else:
            row = TickerEvent(id=event.id, report_id=event.report_id, case_number=known[0],
                              category_code=event.category_code or known[1], from_status=event.from_status,
                              to_status=event.to_status, kind=event.kind, actor_role=event.actor_role,
                              created_at=event.created_at)
        if len(self._numbers) > 5000:  # a screen left open for weeks: forget the oldest cases
            for key in list(self._numbers)[:1000]:
                del self._numbers[key]
        self.ticker.appendleft(row)
        self.changed(frozenset({"ticker"}))

    def _refresh_soon(self, *, now: bool = False, hotspots: bool = False) -> None:
        if self._refresh is not None and not self._refresh.done():
            return  # one reload is due already; it reads whatever arrived meanwhile
        self._refresh = asyncio.get_running_loop().create_task(self._reload(0 if now else REFRESH_DELAY_S, hotspots))
        self._tasks.add(self._refresh)
        self._refresh.add_done_callback(self._done)

    async def _reload(self, delay: float, hotspots: bool) -> None:
        await asyncio.sleep(delay)
        try:
            self.summary = await self.api.city_summary()
            if hotspots:
                self.hotspots = await self.api.hotspots()
        except errors.CityError as exc:
            log.info("city summary refresh failed: %r", exc)
            return
        self.changed(frozenset({"summary", "hotspots"} if hotspots else {"summary"}))
