"""Axis scales for the apps' charts: a round top value and step, so the value labels read 0, 5, 10, 15.

Plain numbers only (no flet): the chart controls in the apps take them as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """A value axis from 0 to `top` with a label every `step`."""

    top: float
    step: float

    @property
    def ticks(self) -> list[float]:
        return [round(self.step * i, 10) for i in range(int(round(self.top / self.step)) + 1)]


def nice_scale(largest: float, steps: int = 4, whole: bool = False) -> Scale:
    """The smallest scale of about `steps` round steps (1, 2, 2.5 or 5 times a power of ten) that holds `largest`.

    `whole`: counts, so a step is a whole 1, 2 or 5 times a power of ten.
    """
    largest = float(largest) if largest > 0 else 1.0  # nothing to show: still an axis from 0 to 1
    if whole:
        largest = max(largest, 1.0)
    raw = largest / steps
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in ((1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)) if m * power >= raw)
    if whole:
        step = max(1.0, float(step))
    return Scale(top=step * math.ceil(largest / step - 1e-9), step=step)
