"""The grids coloured by their open cases (the city brain's map), over tiles when CITYLOOP_TILE_URL is set.

Five steps from pale to deep orange (shared.brain.load_level); a grid with overdue cases gets a red
outline. Without tiles the polygons are drawn on a plain panel, as in map_view.
"""

from __future__ import annotations

from collections.abc import Sequence

import flet as ft
import flet_map as fm

from shared.brain import GridLoad, load_level
from shared.config import tile_url
from shared.fonts import FONT_FAMILY
from shared.reporting import GridArea

from ..theme import MUTED, OVERDUE

STEPS = (ft.Colors.with_opacity(0.06, ft.Colors.BLUE_GREY_400), ft.Colors.with_opacity(0.25, ft.Colors.ORANGE_300),
         ft.Colors.with_opacity(0.40, ft.Colors.ORANGE_500), ft.Colors.with_opacity(0.55, ft.Colors.DEEP_ORANGE_600),
         ft.Colors.with_opacity(0.70, ft.Colors.RED_800))


def load_map(loads: Sequence[GridLoad], grids: Sequence[GridArea], t, *, height: float = 300) -> ft.Control:
    if not grids:
        return ft.Text(t("map.empty"), color=MUTED, size=13)
    by_grid = {str(g.grid_id): g for g in loads}
    busiest = max([g.open for g in loads] + [0])
    polygons = []
    for area in grids:
        load = by_grid.get(str(area.id))
        opened = load.open if load else 0
        overdue = load.overdue if load else 0
        polygons.append(fm.PolygonMarker(
            coordinates=[fm.MapLatitudeLongitude(y, x) for x, y in area.polygon],
            label=f"{t.pick(area.name_zh, area.name_en)} {opened}" if opened else t.pick(area.name_zh, area.name_en),
            color=STEPS[load_level(opened, busiest)], border_color=OVERDUE if overdue else ft.Colors.BLUE_GREY_300,
            border_stroke_width=2.5 if overdue else 1,
            label_text_style=ft.TextStyle(font_family=FONT_FAMILY, size=11, color=ft.Colors.GREY_900)))
    xs = [x for g in grids for x, _ in g.polygon]
    ys = [y for g in grids for _, y in g.polygon]
    url = tile_url()
    layers: list[fm.MapLayer] = ([fm.TileLayer(url_template=url)] if url else []) + [fm.PolygonLayer(polygons=polygons)]
    legend = ft.Row(spacing=6, controls=[ft.Text(t("brain.map_legend"), size=12, color=MUTED)] + [
        ft.Container(width=18, height=10, bgcolor=c, border_radius=2) for c in STEPS[1:]])
    return ft.Column(tight=True, spacing=4, controls=[
        ft.Container(fm.Map(layers=layers, height=height, bgcolor=ft.Colors.BLUE_GREY_50,
                            initial_center=fm.MapLatitudeLongitude((min(ys) + max(ys)) / 2, (min(xs) + max(xs)) / 2),
                            initial_camera_fit=fm.CameraFit(bounds=fm.MapLatitudeLongitudeBounds(
                                fm.MapLatitudeLongitude(min(ys), min(xs)), fm.MapLatitudeLongitude(max(ys), max(xs))),
                                padding=ft.Padding.all(12))),
                     border_radius=8, clip_behavior=ft.ClipBehavior.HARD_EDGE),
        legend])
