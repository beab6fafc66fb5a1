"""A map of one or more points: flet-map over the tile server in CITYLOOP_TILE_URL, else a plain view.

Tiles must come from a server the device can reach (no internet is assumed); without
one the plain view still shows where the points are relative to each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import flet as ft

from ..theme import MUTED, OVERDUE


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    alert: bool = False  # drawn red (overdue)


def tile_url(environ: dict[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return env.get("CITYLOOP_TILE_URL", "").strip() or None


def map_of(points: list[Point], t, *, height: float = 240, zoom: float = 15) -> ft.Control:
    url = tile_url()
    if url and points:
        import flet_map as fm

        lat = sum(p.lat for p in points) / len(points)
        lon = sum(p.lon for p in points) / len(points)
        return ft.Container(height=height, border_radius=8, clip_behavior=ft.ClipBehavior.HARD_EDGE, content=fm.Map(
            initial_center=fm.MapLatitudeLongitude(lat, lon), initial_zoom=zoom, layers=[
                fm.TileLayer(url_template=url),
                fm.MarkerLayer(markers=[fm.Marker(coordinates=fm.MapLatitudeLongitude(p.lat, p.lon),
                                                  content=ft.Icon(ft.Icons.LOCATION_ON,
                                                                  color=OVERDUE if p.alert else ft.Colors.INDIGO))
                                        for p in points])]))
    return plain_map(points, t, height=height)


def plain_map(points: list[Point], t, *, height: float = 240, width: float = 420) -> ft.Control:
    """Points placed in their bounding box: relative positions without tiles."""
    caption = ft.Text(t("map.no_tiles"), color=MUTED, size=12)
    if not points:
        return ft.Column([caption], tight=True)
    lats, lons = [p.lat for p in points], [p.lon for p in points]
    span_lat, span_lon = max(max(lats) - min(lats), 1e-4), max(max(lons) - min(lons), 1e-4)
    dots = [ft.Container(left=12 + (p.lon - min(lons)) / span_lon * (width - 40),
                         top=12 + (max(lats) - p.lat) / span_lat * (height - 40),
                         content=ft.Icon(ft.Icons.LOCATION_ON, size=20,
                                         color=OVERDUE if p.alert else ft.Colors.INDIGO))
            for p in points]
    where = ft.Text(f"{points[0].lat:.5f}, {points[0].lon:.5f}" if len(points) == 1 else "", size=13)
    return ft.Column(tight=True, spacing=4, controls=[
        ft.Container(width=width, height=height, bgcolor=ft.Colors.BLUE_GREY_50, border_radius=8,
                     content=ft.Stack(dots, width=width, height=height)), where, caption])
