"""The controls both apps draw with: text, buttons and fields sized for the mode.

`elderly` is False (normal), True (elderly, default step) or a `LargeText` step: the resident
app's large-text mode (issue 5: main text >= 22 px, main touch targets >= 60x60 px, contrast
>= 7:1, line height >= 1.3; three steps, the profile column's check, migration 20261201000900).
The grid app passes False. Views ask `sizes(elderly)` instead of hard-coding sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from shared.fonts import FONT_FAMILY

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



def text(value: str, elderly: bool, *, title: bool = False, muted: bool = False, small: bool = False,
         weight: ft.FontWeight | None = None, color: str | None = None, **kwargs) -> ft.Text:
    """Text sized for the mode; main text keeps the high-contrast colour."""
    s = sizes(elderly)
    size = s.title if title else (s.small if small else s.body)
    return ft.Text(value, size=size, weight=weight or (ft.FontWeight.BOLD if title else None),
                   color=color or (MUTED_TEXT if muted else MAIN_TEXT),
                   style=ft.TextStyle(font_family=FONT_FAMILY, height=s.line_height), **kwargs)



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

