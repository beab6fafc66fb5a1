"""The city brain's reads (rpc/city_summary, performance, city_trend, city_ticker, hotspots) and its live channel.

The RPCs are in backend/supabase/migrations/20261201001150_performance.sql, 20261201001300_hotspots.sql
and 20261201001310_city_brain.sql; each is scoped by the caller's role in SQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from shared.brain import TICKER_ROWS, CitySummary, HotspotMember, HotspotPublic, HotspotRow, PerformanceRow, TickerEvent, TrendDay
from shared.models import CaseEventPublic, ReportPublic, SosAlertPublic
from shared.realtime import Subscription

ID = Any
HOTSPOT_MEMBER_COLUMNS = ",".join(HotspotMember.model_fields)


class _Transport:
    """The four calls a facade needs, over the client's own plumbing (errors mapped to shared.errors)."""

    def __init__(self, client: Any) -> None:
        self._c = client

    async def rpc(self, name: str, args: dict[str, Any]) -> Any:
        return await self._c._rpc(name, args)

    async def rows(self, query: Any) -> list[Any]:
        return (await self._c._call(query.execute())).data or []

    def table(self, name: str) -> Any:
        return self._c.supabase.table(name)

    async def subscribe(self, name: str, bindings: list, callback: Callable[[Any], Any]) -> Subscription:
        return await self._c._subscribe(name, bindings, callback)


class BrainFacade:
    """`client.brain`: what the city-brain screen reads and listens to."""

    def __init__(self, client: Any) -> None:
        self._t = _Transport(client)

    async def city_summary(self) -> CitySummary:
        return CitySummary.model_validate(await self._t.rpc("city_summary", {}) or {})

    async def performance(self, from_date: date, to_date: date, group_by: str) -> list[PerformanceRow]:
        rows = await self._t.rpc("performance", {"from_date": from_date.isoformat(), "to_date": to_date.isoformat(),
                                                 "group_by": group_by})
        return [PerformanceRow.model_validate(r) for r in rows or []]

    async def city_trend(self, days: int = 14) -> list[TrendDay]:
        return [TrendDay.model_validate(r) for r in await self._t.rpc("city_trend", {"days": days}) or []]

    async def city_ticker(self, max_rows: int = TICKER_ROWS) -> list[TickerEvent]:
        return [TickerEvent.model_validate(r) for r in await self._t.rpc("city_ticker", {"max_rows": max_rows}) or []]

    async def ticker_event(self, event: CaseEventPublic) -> TickerEvent:
        """A live step as a ticker row: its case's number and category, read as the person (RLS)."""
        rows = await self._t.rows(self._t.table("reports").select("case_number, category_code")
                                  .eq("id", str(event.report_id)).limit(1))
        case = rows[0] if rows else {}
        return TickerEvent(id=event.id, report_id=event.report_id, case_number=case.get("case_number"),
                           category_code=case.get("category_code"), from_status=event.from_status,
                           to_status=event.to_status, kind=event.kind, actor_role=event.actor_role,
                           created_at=event.created_at)

    async def hotspots(self) -> list[HotspotPublic]:
        return [HotspotPublic.model_validate(r) for r in await self._t.rpc("hotspots", {}) or []]

    async def merge_hotspot(self, hotspot: ID) -> dict:
        return await self._t.rpc("merge_hotspot", {"hotspot": str(hotspot)})

    async def split_hotspot_member(self, report: ID) -> dict:
        return await self._t.rpc("split_hotspot_member", {"report": str(report)})

    async def hotspot_members(self, report_ids: list[ID]) -> list[HotspotMember]:
        if not report_ids:
            return []
        query = (self._t.table("reports").select(HOTSPOT_MEMBER_COLUMNS)
                 .in_("id", [str(i) for i in report_ids]).order("created_at"))
        return [HotspotMember.model_validate(r) for r in await self._t.rows(query)]

    async def subscribe_city(self, on_step: Callable[[Any], Any], on_sos: Callable[[Any], Any],
                             on_hotspot: Callable[[Any], Any], on_report: Callable[[Any], Any]) -> Subscription:
        """One channel: new cases, case steps, SOS changes and hotspot changes the person may see."""
        handlers = {CaseEventPublic: on_step, SosAlertPublic: on_sos, ReportPublic: on_report}

        def route(row: Any) -> Any:
            return handlers.get(type(row), on_hotspot)(row)

        return await self._t.subscribe("city-brain", [("INSERT", "reports", None, ReportPublic),
                                                      ("INSERT", "case_events", None, CaseEventPublic),
                                                      ("*", "sos_alerts", None, SosAlertPublic),
                                                      ("*", "hotspots", None, HotspotRow)], route)
