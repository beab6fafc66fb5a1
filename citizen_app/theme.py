"""Theme of the resident app: the shipped Chinese font and the brand colour."""

from __future__ import annotations

import flet as ft

from shared.fonts import FONT_ASSET, FONT_FAMILY


def apply_theme(page: ft.Page) -> None:
    # Flet's client only bundles Roboto: without this font Chinese renders as boxes.
    page.fonts = {FONT_FAMILY: "/" + FONT_ASSET}
    page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=ft.Colors.TEAL)
    page.theme_mode = ft.ThemeMode.LIGHT
