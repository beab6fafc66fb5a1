"""A care alert's evidence as a picture: the household's usual band (10th-90th percentile of
the same hour in its last 28 days), its median, and what the meter saw, hour by hour.
Pillow only (no flet), so both apps and tests can use it; text-free apart from hour digits,
the legend is the app's own (translated) text."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from shared.care import Evidence

BAND = (198, 219, 239)
EXPECTED = (49, 130, 189)
OBSERVED = (214, 39, 40)
GRID = (225, 225, 225)
AXIS = (90, 90, 90)
# What a meter's readings count (care_watch migration: litres, kWh, m3): the y-axis's unit.
METER_UNITS = {"water": "L", "electricity": "kWh", "gas": "m³"}


def meter_unit(meter_kind: str | None) -> str:
    return METER_UNITS.get(str(getattr(meter_kind, "value", meter_kind) or ""), "")


def tel_url(phone: str | None) -> str | None:
    """A `tel:` link for a phone number (digits, + and - kept), or None when there is none."""
    digits = "".join(c for c in (phone or "") if c.isdigit() or c in "+-")
    return f"tel:{digits}" if digits.strip("+-") else None


def render_evidence_png(ev: Evidence, width: int = 720, height: int = 240, unit: str = "") -> bytes:
    """`unit` (meter_unit) is written above the y-axis's values."""
    n = len(ev.hours)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    left, right, top, bottom = 44, width - 12, 24 if unit else 12, height - 28
    if unit:
        draw.text((2, 2), unit, fill=AXIS)
    observed = [v if v is not None else 0.0 for v in ev.observed]
    top_value = max([*ev.band_high, *observed, *ev.expected, 1e-6]) * 1.1
    if n < 2:
        draw.text((left, top), "-", fill=AXIS)
        return _png(img)

    def x(i: float) -> float:
        return left + (right - left) * i / (n - 1)

    def y(v: float) -> float:
        return bottom - (bottom - top) * v / top_value

    for k in range(5):  # horizontal grid lines with their values
        v = top_value * k / 4
        draw.line([(left, y(v)), (right, y(v))], fill=GRID)
        draw.text((2, y(v) - 6), f"{v:.3g}", fill=AXIS)
    band = [(x(i), y(v)) for i, v in enumerate(ev.band_high)] + \
           [(x(i), y(v)) for i, v in reversed(list(enumerate(ev.band_low)))]
    if len(ev.band_high) == n and len(ev.band_low) == n:
        draw.polygon(band, fill=BAND)
    if len(ev.expected) == n:
        draw.line([(x(i), y(v)) for i, v in enumerate(ev.expected)], fill=EXPECTED, width=2)
    draw.line([(x(i), y(v)) for i, v in enumerate(observed)], fill=OBSERVED, width=3)
    for i, v in enumerate(observed):
        draw.ellipse([x(i) - 3, y(v) - 3, x(i) + 3, y(v) + 3], fill=OBSERVED)
    if ev.onset is not None:  # the first unusual hour
        first = ev.hours[0]
        at = (ev.onset - first).total_seconds() / 3600
        if 0 <= at <= n - 1:
            draw.line([(x(at), top), (x(at), bottom)], fill=AXIS, width=1)
    for i, h in enumerate(ev.hours):
        if i % 3 == 0 or i == n - 1:
            draw.text((x(i) - 6, bottom + 8), f"{h.hour:02d}", fill=AXIS)
    draw.line([(left, bottom), (right, bottom)], fill=AXIS)
    return _png(img)


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
