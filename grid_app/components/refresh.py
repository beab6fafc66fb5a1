"""Redraw a control only when it is on a page (Flet 1.0 raises for a control not yet added)."""

from __future__ import annotations

import flet as ft


def page_of(control: ft.Control) -> ft.Page | None:
    try:
        return control.page
    except RuntimeError:
        return None


def update_if_shown(control: ft.Control) -> None:
    if page_of(control) is not None:
        control.update()
