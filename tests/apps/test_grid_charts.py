"""The grid app's charts (flet-charts) without a browser: each control gets the series shared/ computed,
with the unit on its value axis in the worker's language."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import flet_charts as fch

from grid_app.components.charts import bar_chart, evidence_chart
from grid_app.strings import STRINGS
from grid_app.views.care_alerts import CareAlertsScreen
from grid_app.views.dashboard import DashboardScreen
from shared.care import Evidence
from shared.care_chart import evidence_series
from shared.chart_scale import nice_scale
from shared.dashboard import bar_series
from shared.i18n import Translator

START = datetime(2026, 11, 2, 16, tzinfo=timezone.utc)  # 00:00 in Shanghai


def _evidence() -> Evidence:
    return Evidence(meter_kind="water", hours=[START + timedelta(hours=i) for i in range(24)],
                    observed=[None if i == 3 else float(i % 5) for i in range(24)],
                    expected=[10.0] * 24, band_low=[2.0] * 24, band_high=[20.0 + i for i in range(24)],
                    onset=START + timedelta(hours=5))


def _points(series: fch.LineChartData) -> list[tuple[float, float]]:
    return [(p.x, p.y) for p in series.points]


def test_the_evidence_chart_gets_band_median_and_observed():
    ev = _evidence()
    series = evidence_series(ev, "L", ZoneInfo("Asia/Shanghai"))
    chart = evidence_chart(series, "水用量（L）", "时刻（时）")
    high, low, median, seen = chart.data_series
    assert _points(high) == [(float(i), 20.0 + i) for i in range(24)]
    assert _points(low) == [(float(i), 2.0) for i in range(24)]
    assert _points(median) == [(float(i), 10.0) for i in range(24)]
    assert _points(seen)[2:5] == [(2.0, 2.0), (3.0, 0.0), (4.0, 4.0)]  # a missing reading is drawn as no use
    assert chart.max_y >= 43 and chart.min_y == 0 and chart.max_x == 23
    assert chart.left_axis.title.value == "水用量（L）"
    # Hours on the homes' clock: the first is midnight in Shanghai, not 16:00 UTC.
    assert [lbl.label.value for lbl in chart.bottom_axis.labels][:3] == ["00", "03", "06"]
    assert [lbl.value for lbl in chart.left_axis.labels] == series.scale.ticks


def test_an_evidence_without_a_band_draws_only_what_it_has():
    ev = _evidence().model_copy(update={"band_low": [], "expected": []})
    chart = evidence_chart(evidence_series(ev, "kWh"), "电用量（kWh）", "时刻（时）")
    assert len(chart.data_series) == 1  # the observed line: no band without both edges, no median


def test_the_bar_chart_gets_one_rod_per_name_in_order():
    rows = [(f"类别{i}", n) for i, n in enumerate([9, 7, 4, 4, 3, 2, 2, 1, 1, 1, 1])]
    chart = bar_chart(bar_series(rows), "上报数（件）")
    assert [g.rods[0].to_y for g in chart.groups] == [9, 7, 4, 4, 3, 2, 2, 1, 1, 1]  # the first ten
    assert [lbl.label.content.value for lbl in chart.bottom_axis.labels] == [name for name, _ in rows[:10]]
    assert chart.max_y == 10 and [lbl.label.value for lbl in chart.left_axis.labels] == ["0", "5", "10"]


def test_scales_are_round_and_hold_the_largest_value():
    assert nice_scale(7, whole=True).ticks == [0, 2, 4, 6, 8]
    assert nice_scale(0.35).top == 0.4 and nice_scale(0).top == 1
    assert nice_scale(1, whole=True).step == 1


def _app(locale: str) -> SimpleNamespace:
    return SimpleNamespace(t=Translator(STRINGS, locale), grids=[])


def test_the_dashboard_screen_draws_its_figures_as_bar_charts():
    screen = DashboardScreen(_app("en"))
    screen.grid_names = {"g1": "Binxi 1"}
    screen.figures = lambda: SimpleNamespace(
        open=3, overdue=1, resolved_today=2, avg_handling_hours=4.5, by_category=[("01", 5), ("04", 2)],
        by_grid=[("g1", 6), (None, 1)], open_points=[])
    screen.draw()
    charts = [c for c in _walk(screen.column) if isinstance(c, fch.BarChart)]
    by_category, by_grid = charts
    assert [g.rods[0].to_y for g in by_category.groups] == [5, 2]
    assert [lbl.label.content.value for lbl in by_category.bottom_axis.labels] == [
        "City appearance and sanitation", "Public safety hazards"]
    assert [lbl.label.content.value for lbl in by_grid.bottom_axis.labels] == ["Binxi 1", "Outside grids"]
    assert by_grid.left_axis.title.value == "Reports"


def test_the_care_alert_screen_shows_its_evidence_as_a_line_chart():
    alert = SimpleNamespace(id="a1", subject=None, meter_kind="water", kind="inactivity", severity=2,
                            status="open", onset_at=START, detected_at=START, evidence=_evidence())
    screen = CareAlertsScreen(_app("zh"), state=SimpleNamespace(alerts=[alert], selected=alert, action=None,
                                                                 outcome=None, note=""))
    charts = [c for c in _walk(screen._detail(alert)) if isinstance(c, fch.LineChart)]
    assert len(charts) == 1 and charts[0].left_axis.title.value == "水用量（L）"
    assert _points(charts[0].data_series[0]) == [(float(i), 20.0 + i) for i in range(24)]


def _walk(node):
    if isinstance(node, list):
        for n in node:
            yield from _walk(n)
        return
    yield node
    for attr in ("controls", "content"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, str):
            yield from _walk(child)
