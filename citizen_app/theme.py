"""Themes of the resident app: normal and elderly (large text, large targets, high contrast).

The elderly theme follows issue 5: main text >= 22 px, main touch targets >= 60x60 px,
contrast >= 7:1 on main text (near-black on white), line height >= 1.3. Its text size has
three steps (MIIT: users can adjust it; the largest shows main functions at >= 30 px);
the steps that exist are the profile column's check (migration 20261201000900).
Views ask `sizes(elderly)` for sizes instead of hard-coding them, and use
`big_action_button` for the large actions (home, SOS, pay) so they grow together.
`elderly` is False (normal), True (elderly, default step) or a `LargeText` step.
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from shared.fonts import FONT_ASSET, FONT_FAMILY

BRAND = ft.Colors.TEAL_700
# Near-black on white: contrast 17.4:1 (WCAG AAA needs 7:1).
MAIN_TEXT = "#1a1a1a"
MUTED_TEXT = "#4a4a4a"  # 8.9:1 on white, still AAA


@dataclass(frozen=True)
class Sizes:
    """Sizes in logical px (CSS px on the web)."""

    body: int
    title: int
    small: int
    target: int  # minimum height (and width) of a main touch target
    action: int  # height of a big action button
    line_height: float


NORMAL = Sizes(body=16, title=22, small=13, target=48, action=96, line_height=1.3)
# The elderly mode's text size steps: 1 large, 2 larger (the default), 3 largest.
TEXT_STEPS: dict[int, Sizes] = {
    1: Sizes(body=22, title=26, small=20, target=60, action=110, line_height=1.4),
    2: Sizes(body=24, title=30, small=22, target=64, action=120, line_height=1.4),
    3: Sizes(body=28, title=34, small=24, target=68, action=132, line_height=1.4),
}
DEFAULT_STEP = 2
ELDERLY = TEXT_STEPS[DEFAULT_STEP]


@dataclass(frozen=True)
class LargeText:
    """The elderly mode at a chosen text size step; true like `elderly=True`."""

    step: int = DEFAULT_STEP

    def __bool__(self) -> bool:
        return True


Elderly = bool | LargeText


def text_step(value: object) -> int:
    """A kept step (profile or browser) as one of TEXT_STEPS; anything else is the default."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value in TEXT_STEPS else DEFAULT_STEP


def sizes(elderly: Elderly) -> Sizes:
    if isinstance(elderly, LargeText):
        return TEXT_STEPS[text_step(elderly.step)]
    return ELDERLY if elderly else NORMAL


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


def text(value: str, elderly: bool, *, title: bool = False, muted: bool = False, small: bool = False,
         weight: ft.FontWeight | None = None, color: str | None = None, **kwargs) -> ft.Text:
    """Text sized for the mode; main text keeps the high-contrast colour."""
    s = sizes(elderly)
    size = s.title if title else (s.small if small else s.body)
    return ft.Text(value, size=size, weight=weight or (ft.FontWeight.BOLD if title else None),
                   color=color or (MUTED_TEXT if muted else MAIN_TEXT),
                   style=ft.TextStyle(font_family=FONT_FAMILY, height=s.line_height), **kwargs)


def big_action_button(label: str, icon: ft.IconData, on_click, *, elderly: bool, color: str = BRAND,
                      identifier: str | None = None, subtitle: str | None = None) -> ft.Control:
    """A large, full-width action (icon + words); at least `sizes().action` px tall."""
    s = sizes(elderly)
    words: list[ft.Control] = [ft.Text(label, size=s.title, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE)]
    if subtitle:
        words.append(ft.Text(subtitle, size=s.small, color=ft.Colors.WHITE))
    button = ft.Button(
        content=ft.Row([ft.Icon(icon, size=s.title + 14, color=ft.Colors.WHITE),
                        ft.Column(words, spacing=2, tight=True)], spacing=16),
        on_click=on_click, height=s.action, width=float("inf"),
        style=ft.ButtonStyle(bgcolor=color, shape=ft.RoundedRectangleBorder(radius=16),
                             padding=ft.Padding.symmetric(horizontal=20, vertical=12)),
    )
    return ft.Semantics(identifier=identifier, content=button) if identifier else button


def button(label: str, on_click, *, elderly: bool, primary: bool = True, icon: ft.IconData | None = None,
           identifier: str | None = None, expand: bool | int | None = None) -> ft.Control:
    """A normal button, at least a main target's size."""
    s = sizes(elderly)
    style = ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=18, vertical=8),
                           text_style=ft.TextStyle(font_family=FONT_FAMILY, size=s.body, weight=ft.FontWeight.W_600))
    cls = ft.FilledButton if primary else ft.OutlinedButton
    control = cls(content=label, icon=icon, on_click=on_click, height=s.target, style=style, expand=expand)
    return ft.Semantics(identifier=identifier, content=control, expand=expand) if identifier else control


def field(label: str, elderly: bool, *, password: bool = False, multiline: bool = False, **kwargs) -> ft.TextField:
    s = sizes(elderly)
    return ft.TextField(label=label, password=password, can_reveal_password=password, multiline=multiline,
                        min_lines=3 if multiline else None, max_lines=6 if multiline else None,
                        text_size=s.body,
                        label_style=ft.TextStyle(font_family=FONT_FAMILY, size=s.body - 2 if elderly else s.small),
                        content_padding=ft.Padding.symmetric(horizontal=12, vertical=18 if elderly else 12),
                        **kwargs)


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
