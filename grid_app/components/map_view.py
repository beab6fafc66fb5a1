"""A map of one or more points over the grids' outlines (flet-map), with tiles when CITYLOOP_TILE_URL is set.

Tiles must come from a server the device can reach (no internet is assumed). Without one,
the grids' polygons (from the `areas` table) are drawn on a plain background, so a worker
still sees which grid a case is in and where the cases lie relative to each other. That the
setting is missing is said in the log at start (shared.config.log_tile_setting), never on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import flet as ft
import flet_map as fm

from shared.config import tile_url
from shared.fonts import FONT_FAMILY
from shared.reporting import GridArea

from ..theme import MUTED, OVERDUE

OUTLINE = ft.Colors.INDIGO_400


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    alert: bool = False  # drawn red (overdue)


def map_of(points: list[Point], t, *, grids: Sequence[GridArea] = (), height: float = 240,
           zoom: float = 15) -> ft.Control:
    if not points:
        return ft.Text(t("map.empty"), color=MUTED, size=13)
    url = tile_url()
    lat = sum(p.lat for p in points) / len(points)
    lon = sum(p.lon for p in points) / len(points)
    layers: list[fm.MapLayer] = [fm.TileLayer(url_template=url)] if url else []
    if grids:
        layers.append(fm.PolygonLayer(polygons=[fm.PolygonMarker(
            coordinates=[fm.MapLatitudeLongitude(y, x) for x, y in g.polygon], label=t.pick(g.name_zh, g.name_en),
            color=ft.Colors.with_opacity(0.10, OUTLINE), border_color=OUTLINE, border_stroke_width=1.2,
            label_text_style=ft.TextStyle(font_family=FONT_FAMILY, size=11, color=ft.Colors.GREY_800))
            for g in grids]))
    layers.append(fm.MarkerLayer(markers=[fm.Marker(
        coordinates=fm.MapLatitudeLongitude(p.lat, p.lon), width=30, height=30, alignment=ft.Alignment.TOP_CENTER,
        content=ft.Icon(ft.Icons.LOCATION_ON, size=30, color=OVERDUE if p.alert else ft.Colors.INDIGO))
        for p in points]))
    caption = f"{points[0].lat:.5f}, {points[0].lon:.5f} (WGS-84)" if len(points) == 1 else ""
    return ft.Column(tight=True, spacing=4, controls=[
        ft.Container(fm.Map(layers=layers, initial_center=fm.MapLatitudeLongitude(lat, lon), initial_zoom=zoom,
                            height=height, bgcolor=ft.Colors.BLUE_GREY_50),
                     border_radius=8, clip_behavior=ft.ClipBehavior.HARD_EDGE),
        ft.Text(caption, color=MUTED, size=12)])
