"""Places: distances, which grid a point is in, and addresses from area names.

Offline only: no geocoder is called (there is no internet at run time), so an
address is built from the area names the backend already has.

Polygons are lists of (lon, lat) vertices, the order GeoJSON and PostgreSQL's
`point(x, y)` use; points are `GeoPoint(lat=..., lon=...)`, named to avoid mix-ups.
Edges are straight lines in lon/lat, as PostgreSQL's `polygon @> point` treats
them, so the app and the routing trigger agree; at grid scale (a few hundred
metres) the difference from geodesic edges is far below GPS error.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Protocol, Sequence

from geopy.distance import geodesic
from pydantic import BaseModel, ConfigDict, Field, field_validator

LonLat = tuple[float, float]
# Tolerance for "on the boundary", in degrees: about 1 cm, far below GPS error.
BOUNDARY_EPS = 1e-7
_EARTH_RADIUS_M = 6_371_008.8  # mean radius: only for the local projection in nearest_grid


class GeoPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class GridArea(BaseModel):
    """A grid (网格) with its polygon; `id` as the backend's `areas.id`, as text."""

    model_config = ConfigDict(frozen=True)

    id: str
    name_zh: str
    name_en: str = ""
    polygon: tuple[LonLat, ...]

    @field_validator("polygon")
    @classmethod
    def _valid_ring(cls, ring: tuple[LonLat, ...]) -> tuple[LonLat, ...]:
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring = ring[:-1]  # a closed GeoJSON ring: drop the repeated vertex
        if len(ring) < 3:
            raise ValueError("a grid polygon needs at least 3 vertices")
        for lon, lat in ring:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"vertex ({lon}, {lat}) is not (lon, lat) in range")
        return ring


class NearestGrid(BaseModel):
    model_config = ConfigDict(frozen=True)

    grid: GridArea
    distance_m: float  # 0 when the point is inside or on the boundary


class Named(Protocol):
    """Any area with names: districts, streets, communities, grids."""

    name_zh: str
    name_en: str


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Geodesic distance on the WGS-84 ellipsoid, in metres."""
    return geodesic((a.lat, a.lon), (b.lat, b.lon)).meters


def point_in_polygon(point: GeoPoint, polygon: Sequence[LonLat]) -> bool:
    """Ray casting; a point on an edge or a vertex counts as inside (as PostgreSQL's `@>`)."""
    x, y = point.lon, point.lat
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if _on_segment(x, y, x1, y1, x2, y2):
            return True
        # Half-open rule (y1 <= y < y2 or the reverse): a ray through a vertex counts once.
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def containing_grids(point: GeoPoint, grids: Iterable[GridArea]) -> list[GridArea]:
    """Every grid containing `point`: two on a shared edge, more only if the data overlaps."""
    return [grid for grid in grids if point_in_polygon(point, grid.polygon)]


def grid_for_point(point: GeoPoint, grids: Iterable[GridArea]) -> GridArea | None:
    """The grid containing `point`, or None outside all of them.

    Grids tile the city, so a point on a shared edge is in two of them: the one
    with the smallest `id` wins, so the answer never depends on the list order
    (the routing trigger must use the same rule: `order by id limit 1`).
    """
    found = containing_grids(point, grids)
    return min(found, key=lambda grid: grid.id) if found else None


def nearest_grid(point: GeoPoint, grids: Iterable[GridArea]) -> NearestGrid | None:
    """The grid whose boundary (edges, not centroid) is closest to `point`.

    For a point just outside the city: a long grid's centroid can be far while
    its edge is near. Ties go to the smaller `id`. None when `grids` is empty.
    """
    best: tuple[float, str, GridArea, LonLat] | None = None
    for grid in grids:
        if point_in_polygon(point, grid.polygon):
            candidate = (0.0, grid.id, grid, (point.lon, point.lat))
        else:
            planar, closest = _closest_on_boundary(point, grid.polygon)
            candidate = (planar, grid.id, grid, closest)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is None:
        return None
    planar, _, grid, (lon, lat) = best
    # The projection picks the edge point; the reported distance is geodesic.
    distance = 0.0 if planar == 0.0 else distance_m(point, GeoPoint(lat=lat, lon=lon))
    return NearestGrid(grid=grid, distance_m=distance)


def address_text(area_path: Sequence[Named], locale: str = "zh") -> str:
    """Area names from district down to grid, e.g. "和平区 · 南营门街道 · 新华社区 · 第3网格".

    English joins with commas in the same order, falling back to the Chinese
    name where an area has no English one.
    """
    if locale.lower().startswith("zh"):
        return " · ".join(area.name_zh for area in area_path if area.name_zh)
    if locale.lower().startswith("en"):
        return ", ".join(area.name_en or area.name_zh for area in area_path if area.name_en or area.name_zh)
    raise ValueError(f"unsupported locale {locale!r}: use 'zh' or 'en'")


def localized_address(address: str | None, areas: Iterable[Named], locale: str = "zh") -> str | None:
    """An address as the person reads it: in English, the area names in it become their English
    names ("滨西社区北门外" -> "Binxi Community 北门外"); what the resident typed around them (a
    landmark) stays as written. Chinese, or an address naming no area, comes back unchanged."""
    if not address or not locale.lower().startswith("en"):
        return address
    names = {a.name_zh: a.name_en for a in areas if a.name_zh and a.name_en}
    if not names:
        return address
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    text = pattern.sub(lambda m: f" {names[m.group(0)]} ", address).replace(" · ", ", ")
    return re.sub(r"\s+", " ", text).replace(" ,", ",").strip()


def place_text(address: str | None, landmark: str | None, locale: str = "zh") -> str:
    """The area names of a report's address, then the reporter's landmark: "… · 第3网格 · 3号楼东侧"."""
    joiner = ", " if locale.lower().startswith("en") else " · "
    return joiner.join(part.strip() for part in (address, landmark) if part and part.strip())


def _on_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    if length == 0:
        return math.hypot(x - x1, y - y1) <= BOUNDARY_EPS
    if abs((x - x1) * dy - (y - y1) * dx) / length > BOUNDARY_EPS:
        return False  # too far from the line through the edge
    t = ((x - x1) * dx + (y - y1) * dy) / (length * length)
    return -BOUNDARY_EPS / length <= t <= 1 + BOUNDARY_EPS / length


def _closest_on_boundary(point: GeoPoint, polygon: Sequence[LonLat]) -> tuple[float, LonLat]:
    """Planar distance (metres) to the nearest boundary point, and that point as (lon, lat).

    Local equirectangular projection around `point`: within a city (tens of km)
    it picks the right edge; the caller measures the final distance geodesically.
    """
    kx = math.radians(1) * _EARTH_RADIUS_M * math.cos(math.radians(point.lat))
    ky = math.radians(1) * _EARTH_RADIUS_M
    best = (math.inf, polygon[0])
    n = len(polygon)
    for i in range(n):
        (lon1, lat1), (lon2, lat2) = polygon[i], polygon[(i + 1) % n]
        ax, ay = (lon1 - point.lon) * kx, (lat1 - point.lat) * ky
        bx, by = (lon2 - point.lon) * kx, (lat2 - point.lat) * ky
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        t = 0.0 if seg2 == 0 else min(1.0, max(0.0, -(ax * dx + ay * dy) / seg2))
        cx, cy = ax + t * dx, ay + t * dy
        d = math.hypot(cx, cy)
        if d < best[0]:
            best = (d, (lon1 + t * (lon2 - lon1), lat1 + t * (lat2 - lat1)))
    return best


# ---------------------------------------------------------------- WGS-84 -> GCJ-02

# Device positions (GPS, the browser's geolocation, the database) are WGS-84. Maps published in
# China (Amap, Tencent, and Baidu with coord_type=gcj02) use GCJ-02, an obfuscated datum: a raw
# WGS-84 point lands 300-500 m off on them. This is the well-known public conversion formula
# (the "eviltransform" / coordtransform one: Krasovsky 1940 ellipsoid, the published polynomial
# offsets), accurate to about a metre against the official one; outside China it is the identity.
_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis, metres
_GCJ_EE = 0.00669342162296594323  # its first eccentricity squared


def outside_china(point: GeoPoint) -> bool:
    """Outside the rough box where GCJ-02 applies (the formula's own bounds)."""
    return not (72.004 <= point.lon <= 137.8347 and 0.8293 <= point.lat <= 55.8271)


def wgs84_to_gcj02(point: GeoPoint) -> GeoPoint:
    """The GCJ-02 point to hand to a Chinese map for a WGS-84 position."""
    if outside_china(point):
        return point
    x, y = point.lon - 105.0, point.lat - 35.0
    d_lat = _gcj_lat_offset(x, y)
    d_lon = _gcj_lon_offset(x, y)
    rad_lat = math.radians(point.lat)
    magic = 1 - _GCJ_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return GeoPoint(lat=point.lat + d_lat, lon=point.lon + d_lon)


def _gcj_lat_offset(x: float, y: float) -> float:
    pi = math.pi
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    return ret


def _gcj_lon_offset(x: float, y: float) -> float:
    pi = math.pi
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return ret
