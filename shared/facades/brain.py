"""The city brain's reads (rpc/city_summary, performance, city_trend, city_ticker, hotspots) and its live channel.

The RPCs are in backend/supabase/migrations/20261201001150_performance.sql, 20261201001300_hotspots.sql
and 20261201001310_city_brain.sql; each is scoped by the caller's role in SQL.
"""

from __future__ import annotations

from collections.abc import Callable

from datetime import date

from shared.brain import (TICKER_ROWS, CitySummary, HotspotMember, HotspotPublic, HotspotRow, PerformanceRow,
                          TickerEvent, TrendDay)
from shared.models import CaseEventPublic, ReportPublic, SosAlertPublic
from shared.realtime import Callback, Subscription
from shared.transport import ID, Transport

HOTSPOT_MEMBER_COLUMNS = ",".join(HotspotMember.model_fields)


class BrainFacade:
    """`client.brain`: what the city-brain screen reads and listens to."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def city_summary(self) -> CitySummary:
        return CitySummary.model_validate(await self._t.rpc("city_summary", {}) or {})

    async def performance(self, from_date: date, to_date: date, group_by: str) -> list[PerformanceRow]:
        rows = await self._t.rpc("performance", {"from_date": from_date.isoformat(), "to_date": to_date.isoformat(),
                                                 "group_by": group_by})
        return self._t.models(PerformanceRow, rows)

    async def city_trend(self, days: int = 14) -> list[TrendDay]:
        return self._t.models(TrendDay, await self._t.rpc("city_trend", {"days": days}))

    async def city_ticker(self, max_rows: int = TICKER_ROWS) -> list[TickerEvent]:
        return self._t.models(TickerEvent, await self._t.rpc("city_ticker", {"max_rows": max_rows}))

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
        return self._t.models(HotspotPublic, await self._t.rpc("hotspots", {}))

    async def merge_hotspot(self, hotspot: ID) -> dict:
        return await self._t.rpc("merge_hotspot", {"hotspot": str(hotspot)})

    async def split_hotspot_member(self, report: ID) -> dict:
        return await self._t.rpc("split_hotspot_member", {"report": str(report)})

    async def hotspot_members(self, report_ids: list[ID]) -> list[HotspotMember]:
        if not report_ids:
            return []
        query = (self._t.table("reports").select(HOTSPOT_MEMBER_COLUMNS)
                 .in_("id", [str(i) for i in report_ids]).order("created_at"))
        return self._t.models(HotspotMember, await self._t.rows(query))

    async def subscribe_city(self, on_step: Callback, on_sos: Callback, on_hotspot: Callback,
                             on_report: Callback, on_status: Callable[[bool], None] | None = None) -> Subscription:
        """One channel: new cases, case steps, SOS changes and hotspot changes the person may see."""
        handlers = {CaseEventPublic: on_step, SosAlertPublic: on_sos, ReportPublic: on_report}

        def route(row: object) -> object:
            return handlers.get(type(row), on_hotspot)(row)

        return await self._t.subscribe("city-brain", [("INSERT", "reports", None, ReportPublic),
                                                      ("INSERT", "case_events", None, CaseEventPublic),
                                                      ("*", "sos_alerts", None, SosAlertPublic),
                                                      ("*", "hotspots", None, HotspotRow)], route,
                                      on_status=on_status)
