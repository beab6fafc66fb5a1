"""A care alert's evidence as chart series: the household's usual band (10th-90th percentile of
the same hour in its last 28 days), its median, and what the meter saw, hour by hour.

Data only (no flet, no drawing): the grid app draws these with flet-charts
(grid_app/components/charts.py); tests check the numbers here and the series the control got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from shared.care import Evidence
from shared.chart_scale import Scale, nice_scale

# What a meter's readings count (care_watch migration: litres, kWh, m3): the y-axis's unit.
METER_UNITS = {"water": "L", "electricity": "kWh", "gas": "m³"}

Points = list[tuple[float, float]]  # (hour index from the first hour, value)


def meter_unit(meter_kind: str | None) -> str:
    return METER_UNITS.get(str(getattr(meter_kind, "value", meter_kind) or ""), "")


def tel_url(phone: str | None) -> str | None:
    """A `tel:` link for a phone number (digits, + and - kept), or None when there is none."""
    digits = "".join(c for c in (phone or "") if c.isdigit() or c in "+-")
    return f"tel:{digits}" if digits.strip("+-") else None


@dataclass(frozen=True)
class EvidenceSeries:
    """What the evidence chart shows; x is the hour's index (0 = the first hour)."""

    observed: Points  # a missing reading counts as 0 (no use seen)
    expected: Points  # empty when the evidence has no complete median
    band_low: Points  # both band edges empty unless both are complete
    band_high: Points
    hour_labels: list[tuple[int, str]]  # every third hour and the last, "07"
    scale: Scale
    unit: str  # meter_unit: L, kWh, m³ or ""


def evidence_series(ev: Evidence, unit: str = "", tz: tzinfo | None = None) -> EvidenceSeries:
    """The series of `ev`; hour labels on the clock of `tz` (the homes watched), else the hours' own."""
    n = len(ev.hours)

    def points(values: list[float | None]) -> Points:
        return [(float(i), float(v or 0.0)) for i, v in enumerate(values)] if len(values) == n else []

    band = len(ev.band_low) == n and len(ev.band_high) == n
    observed, expected = points(ev.observed), points(ev.expected)
    low, high = (points(ev.band_low), points(ev.band_high)) if band else ([], [])
    hours = [h.astimezone(tz) if tz else h for h in ev.hours]
    labels = [(i, f"{h.hour:02d}") for i, h in enumerate(hours) if i % 3 == 0 or i == n - 1]
    largest = max([v for series in (observed, expected, high) for _, v in series], default=0.0)
    return EvidenceSeries(observed=observed, expected=expected, band_low=low, band_high=high,
                          hour_labels=labels, scale=nice_scale(largest * 1.05), unit=unit)
