"""shared/geo.py: distances, point in polygon, grid lookup and addresses, all offline."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from shared.geo import (GeoPoint, GridArea, address_text, containing_grids, distance_m, grid_for_point,
                        localized_address, nearest_grid, point_in_polygon)

TIANJIN_STATION = GeoPoint(lat=39.1364, lon=117.2100)
TIANJIN_EYE = GeoPoint(lat=39.1533, lon=117.1804)


def _haversine(a: GeoPoint, b: GeoPoint) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _square(grid_id: str, lon: float, lat: float, size: float = 0.01, name_zh: str = "",
            name_en: str = "") -> GridArea:
    ring = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)]
    return GridArea(id=grid_id, name_zh=name_zh or f"第{grid_id}网格", name_en=name_en, polygon=ring)


# Four squares of 0.01 degrees tiling [117.20, 117.22] x [39.13, 39.15]; ids chosen against list order.
TILES = [_square("4", 117.21, 39.14), _square("3", 117.20, 39.14),
         _square("2", 117.21, 39.13), _square("1", 117.20, 39.13)]


def test_known_distances():
    # WGS-84: one degree of latitude at the equator is 110,574.4 m, of longitude 111,319.5 m.
    assert distance_m(GeoPoint(lat=0, lon=0), GeoPoint(lat=1, lon=0)) == pytest.approx(110_574.4, rel=1e-5)
    assert distance_m(GeoPoint(lat=0, lon=0), GeoPoint(lat=0, lon=1)) == pytest.approx(111_319.5, rel=1e-5)
    d = distance_m(TIANJIN_STATION, TIANJIN_EYE)
    assert 2_500 < d < 4_000
    assert d == pytest.approx(_haversine(TIANJIN_STATION, TIANJIN_EYE), rel=0.01)
    assert distance_m(TIANJIN_EYE, TIANJIN_EYE) == 0


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (-90.5, 0), (0, 180.1), (0, -181), (float("nan"), 0),
                                          (0, float("inf"))])
def test_geopoint_ranges(lat, lon):
    with pytest.raises(ValidationError):
        GeoPoint(lat=lat, lon=lon)


def test_grid_polygon_validation():
    closed = GridArea(id="a", name_zh="甲", polygon=[[0, 0], [1, 0], [1, 1], [0, 0]])
    assert closed.polygon == ((0, 0), (1, 0), (1, 1))
    with pytest.raises(ValidationError, match="at least 3"):
        GridArea(id="a", name_zh="甲", polygon=[(0, 0), (1, 1)])
    with pytest.raises(ValidationError, match="lon, lat"):
        GridArea(id="a", name_zh="甲", polygon=[(0, 0), (1, 95), (1, 1)])


SQUARE = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
# A "U": the notch between x=1..2, y=1..3 is outside.
U_SHAPE = [(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (2.0, 3.0), (2.0, 1.0), (1.0, 1.0), (1.0, 3.0), (0.0, 3.0)]


@pytest.mark.parametrize(("lon", "lat", "inside"), [
    (1, 1, True), (3, 1, False), (-0.1, 1, False), (1, 2.1, False),
    (0, 1, True), (2, 1.5, True), (1, 0, True), (0, 0, True), (2, 2, True),  # edges and vertices
    (1, 2.00001, False),  # about a metre outside: beyond the boundary tolerance
])
def test_square(lon, lat, inside):
    assert point_in_polygon(GeoPoint(lat=lat, lon=lon), SQUARE) is inside


@pytest.mark.parametrize(("lon", "lat", "inside"), [
    (0.5, 2, True), (2.5, 2, True), (1.5, 0.5, True),
    (1.5, 2, False), (1.5, 2.9, False),  # in the notch
    (1.5, 1, True), (1, 2, True), (2, 2.5, True),  # on the notch's edges
    (1.5, 3, False),  # on the line of the top edges, but in the notch's opening
    (0.5, 1, True), (2.5, 1, True),  # horizontal ray through the notch's bottom vertices
])
def test_concave(lon, lat, inside):
    assert point_in_polygon(GeoPoint(lat=lat, lon=lon), U_SHAPE) is inside


def test_vertex_order_does_not_matter():
    point = GeoPoint(lat=2, lon=1.5)
    assert point_in_polygon(point, U_SHAPE[::-1]) is False
    assert point_in_polygon(GeoPoint(lat=2, lon=0.5), U_SHAPE[::-1]) is True


def test_grid_for_point_in_each_tile():
    cases = {"1": (39.135, 117.205), "2": (39.135, 117.215), "3": (39.145, 117.205), "4": (39.145, 117.215)}
    for expected, (lat, lon) in cases.items():
        assert grid_for_point(GeoPoint(lat=lat, lon=lon), TILES).id == expected


def test_shared_edges_go_to_the_smallest_id():
    centre = GeoPoint(lat=39.14, lon=117.21)
    assert len(containing_grids(centre, TILES)) == 4
    assert grid_for_point(centre, TILES).id == "1"
    assert grid_for_point(centre, TILES[::-1]).id == "1"
    assert grid_for_point(GeoPoint(lat=39.145, lon=117.21), TILES).id == "3"


def test_outside_every_grid():
    assert grid_for_point(GeoPoint(lat=39.16, lon=117.205), TILES) is None
    assert grid_for_point(GeoPoint(lat=39.16, lon=117.205), []) is None


def test_nearest_grid_by_edge_distance():
    # 0.005 degrees north of tile 3's top edge: about 555 m.
    outside = GeoPoint(lat=39.155, lon=117.203)
    found = nearest_grid(outside, TILES)
    assert found.grid.id == "3"
    assert found.distance_m == pytest.approx(distance_m(outside, GeoPoint(lat=39.15, lon=117.203)), rel=1e-6)
    assert found.distance_m == pytest.approx(555, rel=0.01)
    # East of the city, nearer tile 2's edge than tile 4's.
    assert nearest_grid(GeoPoint(lat=39.131, lon=117.23), TILES).grid.id == "2"


def test_nearest_grid_uses_edges_not_centroids():
    long_strip = GridArea(id="b", name_zh="长条", polygon=[(0, 0), (0.2, 0), (0.2, 0.01), (0, 0.01)])
    small = GridArea(id="a", name_zh="小块", polygon=[(0.21, 0.05), (0.22, 0.05), (0.22, 0.06), (0.21, 0.06)])
    point = GeoPoint(lat=0.02, lon=0.19)  # centroid of "a" is nearer, the strip's edge far nearer
    assert nearest_grid(point, [small, long_strip]).grid.id == "b"


def test_nearest_grid_inside_and_empty():
    inside = nearest_grid(GeoPoint(lat=39.135, lon=117.215), TILES)
    assert (inside.grid.id, inside.distance_m) == ("2", 0.0)
    assert nearest_grid(GeoPoint(lat=0, lon=0), []) is None


class _Area:
    def __init__(self, name_zh: str, name_en: str) -> None:
        self.name_zh, self.name_en = name_zh, name_en


PATH = [_Area("和平区", "Heping District"), _Area("南营门街道", "Nanyingmen Street"),
        _Area("新华社区", "Xinhua Community"), _square("7", 117.2, 39.1, name_zh="第3网格", name_en="Grid 3")]


def test_address_text():
    assert address_text(PATH, "zh") == "和平区 · 南营门街道 · 新华社区 · 第3网格"
    assert address_text(PATH, "zh-CN") == address_text(PATH)
    assert address_text(PATH, "en") == "Heping District, Nanyingmen Street, Xinhua Community, Grid 3"
    assert address_text([_Area("和平区", "")], "en-US") == "和平区"
    assert address_text([], "zh") == ""
    with pytest.raises(ValueError, match="locale"):
        address_text(PATH, "fr")


def test_addresses_in_english_use_the_areas_english_names():
    areas = PATH + [_Area("新华社区第1网格", "Xinhua Community Grid 1"), _Area("南市", "")]
    assert localized_address("新华社区北门外", areas, "en") == "Xinhua Community 北门外"  # the landmark stays
    assert localized_address("新华社区第1网格 5号楼", areas, "en") == "Xinhua Community Grid 1 5号楼"  # longest name
    assert localized_address(address_text(PATH, "zh"), areas, "en") == address_text(PATH, "en")
    assert localized_address("南市食品街", areas, "en") == "南市食品街"  # no English name: as written
    assert localized_address("新华社区北门外", areas, "zh-CN") == "新华社区北门外"
    assert localized_address(None, areas, "en") is None and localized_address("x", [], "en") == "x"


def test_place_text_puts_the_landmark_after_the_area_names() -> None:
    from shared.geo import place_text
    assert place_text("和平区 · 第3网格", "3号楼东侧") == "和平区 · 第3网格 · 3号楼东侧"
    assert place_text("Heping, Grid 3", "east of building 3", "en") == "Heping, Grid 3, east of building 3"
    assert place_text(None, " 3号楼东侧 ") == "3号楼东侧" and place_text("和平区", None) == "和平区"
    assert place_text(None, None) == ""
