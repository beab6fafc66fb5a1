"""The screen of a route whose module is not there yet: says so plainly."""

from __future__ import annotations

import flet as ft

from ..routes import Screen
from ..theme import text


def build(state, params: dict[str, str]) -> Screen:
    return Screen(content=ft.Container(
        padding=24,
        content=ft.Column([ft.Icon(ft.Icons.CONSTRUCTION, size=56),
                           ft.Semantics(identifier="coming-soon", content=text(state.t("app.coming"), state.elderly,
                                                                                 title=True))],
                          horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=16)))
