"""What every map inside a scrolling page needs (the report form's, the case page's).

- The mouse wheel scrolls the page, not the map: a map that zooms on the wheel traps the
  page's scroll under the pointer. Zoom has buttons instead; drag, pinch and double tap stay.
- The map opens where it was last moved to. flet-map's camera lives only in the browser: when
  the tab reloads, Flet re-attaches the session and the browser builds the map again from its
  properties, so a map moved only through `move_to` came back at `initial_center` (flet-map's
  default is in Kyiv, far from any grid: a blank map without tiles). `move_map` keeps it current.
"""

from __future__ import annotations

import logging

import flet as ft
import flet_map as fm

log = logging.getLogger(__name__)

PAGE_FRIENDLY = fm.InteractionConfiguration(flags=fm.InteractionFlag.ALL & ~fm.InteractionFlag.SCROLL_WHEEL_ZOOM)
MIN_ZOOM, MAX_ZOOM = 3, 19


def page_map(layers: list[fm.MapLayer], centre: fm.MapLatitudeLongitude | None, zoom: float, height: int,
             **options) -> fm.Map:
    """A map for a scrolling page; `centre` None: moved there later with `move_map`."""
    if centre is not None:
        options["initial_center"] = centre
    return fm.Map(layers=layers, initial_zoom=zoom, height=height, interaction_configuration=PAGE_FRIENDLY,
                  min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM, bgcolor=ft.Colors.GREY_100, **options)


async def move_map(map_: fm.Map, lat: float, lon: float) -> None:
    """Move the map (where it is drawn) and remember the place (where it will be drawn again)."""
    map_.initial_center = fm.MapLatitudeLongitude(lat, lon)
    try:
        await map_.move_to(destination=fm.MapLatitudeLongitude(lat, lon))
    except Exception:  # noqa: BLE001 - not drawn yet: it opens at initial_center
        if _on_page(map_):
            log.exception("the map did not move")


def with_zoom_buttons(map_: fm.Map, zoom_in_label: str, zoom_out_label: str) -> ft.Control:
    """The map with + and - in its corner (the wheel scrolls the page)."""

    def step(delta: int):
        async def handler(_e=None) -> None:
            map_.initial_zoom = max(MIN_ZOOM, min(MAX_ZOOM, map_.initial_zoom + delta))  # kept for a reload
            await (map_.zoom_in() if delta > 0 else map_.zoom_out())
        return handler

    def zoom_button(icon, label: str, identifier: str, delta: int) -> ft.Control:
        return ft.Semantics(identifier=identifier, content=ft.IconButton(
            icon, tooltip=label, on_click=step(delta), width=48, height=48, icon_color=ft.Colors.GREY_900,
            bgcolor=ft.Colors.with_opacity(0.9, ft.Colors.WHITE)))

    buttons = ft.Column([zoom_button(ft.Icons.ADD, zoom_in_label, "map-zoom-in", 1),
                         zoom_button(ft.Icons.REMOVE, zoom_out_label, "map-zoom-out", -1)], spacing=6, tight=True)
    return ft.Stack([map_, ft.Container(buttons, right=8, top=8)], height=map_.height)


def _on_page(control: ft.Control) -> bool:
    try:
        return control.page is not None
    except RuntimeError:
        return False
