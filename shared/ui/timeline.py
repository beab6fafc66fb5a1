"""A case's timeline as a control, for both apps: the steps `shared.timeline.build_timeline` makes
(what, who or which department, when, the time since the step before, notes and photos).

Two layouts of the same steps: "steps" for a phone (a card per step, sized for the reader's mode,
each step's status as its identifier, `step-<status>`) and "rows" for a tablet's case page (one
line per step, in columns). The app gives the heading (a resident reads 办理进度, a worker 处理记录),
how its notes read (`place`: area names in the person's language) and how it draws photos.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import flet as ft

from shared.i18n import Translator
from shared.timeline import Timeline

from .controls import BRAND, Elderly, sizes, text

Layout = Literal["steps", "rows"]
MUTED = ft.Colors.GREY_700
PhotoStrip = Callable[[list[str]], ft.Control]


def case_timeline(timeline: Timeline, t: Translator, *, title: str, layout: Layout = "steps",
                  elderly: Elderly = False, place: Callable[[str], str] = lambda note: note,
                  photos: PhotoStrip | None = None) -> list[ft.Control]:
    """The heading with the total time, then the steps (see the module's docstring)."""
    total = t("timeline.total", d=timeline.total)
    if layout == "rows":
        return [ft.Row([ft.Text(title, weight=ft.FontWeight.BOLD), ft.Text(total, color=MUTED)]),
                ft.Column(spacing=2, controls=[_row(step, t) for step in timeline.steps])]
    return [ft.Row([text(title, elderly, title=True, expand=True),
                    ft.Semantics(identifier="timeline-total", content=text(total, elderly, small=True))]),
            ft.Semantics(identifier="timeline", content=ft.Column(
                [_card(step, t, elderly, place, photos) for step in timeline.steps], spacing=4))]


def _card(step, t: Translator, elderly: Elderly, place: Callable[[str], str], photos: PhotoStrip | None) -> ft.Control:
    s = sizes(elderly)
    lines: list[ft.Control] = [
        ft.Row([ft.Text(step.what, size=s.body, weight=ft.FontWeight.BOLD, expand=True),
                ft.Text(step.when, size=s.small, color=ft.Colors.GREY_800)]),
        ft.Text(step.who, size=s.small, color=ft.Colors.GREY_800)]
    if step.note:  # area names in it (a transfer's "to 第3网格") in the person's language
        lines.append(ft.Text(place(step.note), size=s.small))
    if step.photos and photos is not None:
        lines.append(photos(list(step.photos)))
    if step.since_previous:
        lines.append(ft.Text(t("timeline.since_prev", d=step.since_previous), size=s.small, color=MUTED))
    return ft.Semantics(identifier=f"step-{step.status}", content=ft.Container(
        padding=ft.Padding.only(left=12, top=6, bottom=6), border=ft.Border.only(left=ft.BorderSide(3, BRAND)),
        content=ft.Column(lines, spacing=2)))


def _row(step, t: Translator) -> ft.Control:
    extra: Sequence[str | None] = (step.note, step.photos and t("timeline.photos_added", n=len(step.photos)),
                                   step.since_previous and t("timeline.since_prev", d=step.since_previous))
    return ft.Row([ft.Text(step.when, color=MUTED, width=110), ft.Text(step.what, width=110),
                   ft.Text(step.who, color=MUTED, width=190),
                   ft.Text(" · ".join(x for x in extra if x), expand=True)])
