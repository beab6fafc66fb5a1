"""The grid app's charts, drawn by flet-charts (vector, in the browser): the dashboard's bars and a care
alert's evidence. The numbers come ready from shared/ (dashboard.bar_series, care_chart.evidence_series);
this module only maps them onto chart controls, with translated axis titles carrying the unit."""

from __future__ import annotations

import flet as ft
import flet_charts as fch

from shared.care_chart import EvidenceSeries
from shared.chart_scale import Scale
from shared.dashboard import Bars

from ..theme import MUTED

BAR = ft.Colors.INDIGO_400
BAND = "#C6DBEF"
EXPECTED = "#3182BD"
OBSERVED = "#D62728"
GRID_LINE = ft.Colors.GREY_300
LABEL_SIZE = 12


def _value_axis(scale: Scale, title: str, whole: bool) -> fch.ChartAxis:
    def label(v: float) -> str:
        return str(int(v)) if whole or float(v).is_integer() else f"{v:g}"

    return fch.ChartAxis(
        title=ft.Text(title, size=LABEL_SIZE, color=MUTED), title_size=22, label_size=40,
        labels=[fch.ChartAxisLabel(value=v, label=ft.Text(label(v), size=LABEL_SIZE, color=MUTED))
                for v in scale.ticks])


def bar_chart(bars: Bars, value_title: str, width: float = 420, height: float = 240) -> fch.BarChart:
    """Vertical bars with their names under them; the value axis says what is counted."""
    return fch.BarChart(
        width=width, height=height, interactive=True, max_y=bars.scale.top, min_y=0,
        horizontal_grid_lines=fch.ChartGridLines(interval=bars.scale.step, color=GRID_LINE, width=1),
        border=ft.Border(bottom=ft.BorderSide(1, MUTED)),
        left_axis=_value_axis(bars.scale, value_title, whole=True),
        bottom_axis=fch.ChartAxis(label_size=44, labels=[
            fch.ChartAxisLabel(value=i, label=ft.Container(width=max(40, width / max(len(bars.labels), 1) - 6),
                                                          padding=ft.Padding.only(top=4), content=ft.Text(
                name, size=11, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS, text_align=ft.TextAlign.CENTER)))
            for i, name in enumerate(bars.labels)]),
        groups=[fch.BarChartGroup(x=i, rods=[fch.BarChartRod(from_y=0, to_y=n, width=18, color=BAR,
                                                             border_radius=3, tooltip=f"{name}: {n}")])
                for i, (name, n) in enumerate(zip(bars.labels, bars.values))])


def evidence_chart(series: EvidenceSeries, value_title: str, hour_title: str,
                   width: float = 720, height: float = 240) -> fch.LineChart:
    """The usual band (filled between its edges), the usual median and what the meter saw."""
    def line(points, **style) -> fch.LineChartData:
        return fch.LineChartData(points=[fch.LineChartDataPoint(x, y) for x, y in points], **style)

    data = []
    if series.band_high:
        # The band: its top edge filled down to the axis, then its bottom edge filled white over it.
        data += [line(series.band_high, color=BAND, stroke_width=1, below_line_bgcolor=BAND),
                 line(series.band_low, color=BAND, stroke_width=1, below_line_bgcolor=ft.Colors.WHITE)]
    if series.expected:
        data.append(line(series.expected, color=EXPECTED, stroke_width=2))
    # No point markers and no onset line: with flet-charts 1.0.5 on the web client a ChartCirclePoint,
    # or a short extra series for the onset, stops the pane around the chart from being painted (seen in
    # Chromium). The thick line carries the readings; the onset time is in the alert's text above.
    data.append(line(series.observed, color=OBSERVED, stroke_width=3))
    last = max((x for x, _ in series.observed), default=1.0)
    return fch.LineChart(
        width=width, height=height, interactive=True, min_x=0, max_x=max(last, 1.0), min_y=0,
        max_y=series.scale.top, data_series=data,
        horizontal_grid_lines=fch.ChartGridLines(interval=series.scale.step, color=GRID_LINE, width=1),
        border=ft.Border(bottom=ft.BorderSide(1, MUTED), left=ft.BorderSide(1, MUTED)),
        left_axis=_value_axis(series.scale, value_title, whole=False),
        bottom_axis=fch.ChartAxis(
            title=ft.Text(hour_title, size=LABEL_SIZE, color=MUTED), title_size=22, label_size=24,
            labels=[fch.ChartAxisLabel(value=i, label=ft.Text(text, size=LABEL_SIZE, color=MUTED))
                    for i, text in series.hour_labels]))
