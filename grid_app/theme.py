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


def apply_theme(page: ft.Page) -> None:
    # Flet's client only bundles Roboto: without this font Chinese renders as boxes.
    page.fonts = {FONT_FAMILY: "/" + FONT_ASSET}
    page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=BRAND)
    page.theme_mode = ft.ThemeMode.LIGHT
