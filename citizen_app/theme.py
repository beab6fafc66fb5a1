"""Themes of the resident app: normal and elderly (large text, large targets, high contrast).

The elderly theme follows issue 5: main text >= 22 px, main touch targets >= 60x60 px,
contrast >= 7:1 on main text (near-black on white), line height >= 1.3. Its text size has
three steps (MIIT: users can adjust it; the largest shows main functions at >= 30 px);
the steps that exist are the profile column's check (migration 20261201000900).
Views ask `sizes(elderly)` for sizes instead of hard-coding them, and use
`big_action_button` for the large actions (home, SOS, pay) so they grow together.
`elderly` is False (normal), True (elderly, default step) or a `LargeText` step. The sizes and
the text, button and field helpers live in shared/ui/controls.py (the report form uses them in both apps).
"""

from __future__ import annotations

import flet as ft

from shared.fonts import FONT_ASSET, FONT_FAMILY
# The app's views import these from here; their home is shared/ui/controls.py.
from shared.ui.controls import (  # noqa: F401
    BRAND, DEFAULT_STEP, ELDERLY, MAIN_TEXT, MUTED_TEXT, NORMAL, TEXT_STEPS, Elderly, LargeText, Sizes, button, field,
    sizes, text, text_step)


def _text_theme(s: Sizes) -> ft.TextTheme:
    def style(size: int, weight: ft.FontWeight | None = None) -> ft.TextStyle:
        return ft.TextStyle(size=size, height=s.line_height, weight=weight, color=MAIN_TEXT, font_family=FONT_FAMILY)

    return ft.TextTheme(
        body_large=style(s.body), body_medium=style(s.body), body_small=style(s.small),
        title_large=style(s.title, ft.FontWeight.BOLD), title_medium=style(s.body, ft.FontWeight.W_600),
        title_small=style(s.body), label_large=style(s.body, ft.FontWeight.W_600),
        label_medium=style(s.small), label_small=style(s.small),
        headline_small=style(s.title, ft.FontWeight.BOLD),
    )


def make_theme(elderly: bool) -> ft.Theme:
    s = sizes(elderly)
    return ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=ft.Colors.TEAL, text_theme=_text_theme(s),
                    visual_density=ft.VisualDensity.COMFORTABLE)


def apply_theme(page: ft.Page, elderly: bool = False) -> None:
    # Flet's client only bundles Roboto: without this font Chinese renders as boxes.
    page.fonts = {FONT_FAMILY: "/" + FONT_ASSET}
    page.theme = make_theme(elderly)
    page.theme_mode = ft.ThemeMode.LIGHT
    page.bgcolor = ft.Colors.WHITE


def big_action_button(label: str, icon: ft.IconData, on_click, *, elderly: bool, color: str = BRAND,
                      identifier: str | None = None, subtitle: str | None = None) -> ft.Control:
    """A large, full-width action (icon + words); at least `sizes().action` px tall."""
    s = sizes(elderly)
    words: list[ft.Control] = [ft.Text(label, size=s.title, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE)]
    if subtitle:
        words.append(ft.Text(subtitle, size=s.small, color=ft.Colors.WHITE))
    action = ft.Button(
        content=ft.Row([ft.Icon(icon, size=s.title + 14, color=ft.Colors.WHITE),
                        ft.Column(words, spacing=2, tight=True)], spacing=16),
        on_click=on_click, height=s.action, width=float("inf"),
        style=ft.ButtonStyle(bgcolor=color, shape=ft.RoundedRectangleBorder(radius=16),
                             padding=ft.Padding.symmetric(horizontal=20, vertical=12)),
    )
    return ft.Semantics(identifier=identifier, content=action) if identifier else action


def switch(label: str, value: bool, on_change, *, elderly: bool) -> tuple[ft.Control, ft.Switch]:
    """A labelled switch in a row a main target tall; a tap anywhere on the row toggles it.

    Returns (the row to place, the switch to read).
    """
    s = sizes(elderly)
    control = ft.Switch(label=label, value=bool(value), on_change=on_change,
                        label_text_style=ft.TextStyle(font_family=FONT_FAMILY, size=s.body))

    async def toggle(_e) -> None:
        control.value = not control.value
        result = on_change(None)
        if hasattr(result, "__await__"):
            await result

    row = ft.Container(content=control, height=s.target, alignment=ft.Alignment.CENTER_LEFT, on_click=toggle)
    return row, control


TAB_TEXT_MAX = 24  # tab labels stop growing here: three of them must fit a 390 px phone on one line each


def tabs(options: list[tuple[str, str]], selected: str, *, elderly: Elderly, on_change=None,
         icons: dict[str, ft.IconData] | None = None) -> ft.SegmentedButton:
    """Segmented tabs: one line per label (never broken mid-word), a main target tall.

    `options` are (value, label); keep labels short (one word). Icons only in normal mode:
    in the elderly mode the words need the room.
    """
    s = sizes(elderly)
    size = min(s.body, TAB_TEXT_MAX)
    return ft.SegmentedButton(
        selected=[selected], on_change=on_change, allow_multiple_selection=False, show_selected_icon=False,
        style=tab_style(elderly, size),
        segments=[ft.Segment(value=value, icon=ft.Icon(icons[value]) if icons and not elderly else None,
                             label=ft.Text(label, size=size, no_wrap=True, font_family=FONT_FAMILY))
                  for value, label in options])


def tab_style(elderly: Elderly, text_size: float) -> ft.ButtonStyle:
    """Padding that makes a segment a main target tall (a fixed height would leave the label at the top)."""
    s = sizes(elderly)
    vertical = max(4, round((s.target - text_size) / 2)) if elderly else 4  # a label's line is >= its size
    return ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=6, vertical=vertical))
