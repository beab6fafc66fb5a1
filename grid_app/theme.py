"""Theme of the grid-worker app: the shipped Chinese font, the brand colour, and the colours views share."""

from __future__ import annotations

import flet as ft

from shared.fonts import FONT_ASSET, FONT_FAMILY

BRAND = ft.Colors.INDIGO
OVERDUE = ft.Colors.RED_700
ON_TIME = ft.Colors.GREEN_700
SOS = ft.Colors.RED_800
MUTED = ft.Colors.GREY_700
# Touch targets: 48 dp (Material) on a tablet in gloves is the least we offer.
TARGET = 48
# The main action of a form: white on indigo 700 is 9.0:1, grey 700 on grey 300 (disabled) 4.7:1;
# Material's default (indigo words on a pale tint) was too faint on a sunny street (WCAG AA needs 4.5:1).
ACTION_BG, ACTION_TEXT = ft.Colors.INDIGO_700, ft.Colors.WHITE
ACTION_BG_DISABLED, ACTION_TEXT_DISABLED = ft.Colors.GREY_300, ft.Colors.GREY_700


def primary_button_style() -> ft.ButtonStyle:
    return ft.ButtonStyle(
        bgcolor={ft.ControlState.DISABLED: ACTION_BG_DISABLED, ft.ControlState.DEFAULT: ACTION_BG},
        color={ft.ControlState.DISABLED: ACTION_TEXT_DISABLED, ft.ControlState.DEFAULT: ACTION_TEXT},
        icon_color={ft.ControlState.DISABLED: ACTION_TEXT_DISABLED, ft.ControlState.DEFAULT: ACTION_TEXT})


def apply_theme(page: ft.Page) -> None:
    # Flet's client only bundles Roboto: without this font Chinese renders as boxes.
    page.fonts = {FONT_FAMILY: "/" + FONT_ASSET}
    page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=BRAND)
    page.theme_mode = ft.ThemeMode.LIGHT
