"""shared.geo.wgs84_to_gcj02 against known points, and shared.navigation's maps links."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from shared.geo import GeoPoint, distance_m, wgs84_to_gcj02
from shared.navigation import map_links, navigate_url

TIANANMEN_WGS = GeoPoint(lat=39.9087, lon=116.3975)
TIANANMEN_GCJ = GeoPoint(lat=39.9101, lon=116.4037)  # as Chinese maps show the same spot (4 decimals)


def test_tiananmen_converts_to_its_gcj02_position_within_a_few_metres() -> None:
    gcj = wgs84_to_gcj02(TIANANMEN_WGS)
    assert distance_m(gcj, TIANANMEN_GCJ) < 10  # the expected value is itself rounded to ~10 m
    assert 400 < distance_m(gcj, TIANANMEN_WGS) < 700  # what a raw point would be off by


@pytest.mark.parametrize("lat, lon", [(39.125, 117.19375), (31.2304, 121.4737), (22.5431, 114.0579)])
def test_points_in_china_shift_by_a_few_hundred_metres(lat: float, lon: float) -> None:
    wgs = GeoPoint(lat=lat, lon=lon)
    gcj = wgs84_to_gcj02(wgs)
    assert 250 < distance_m(wgs, gcj) < 700
    assert gcj.lat > wgs.lat - 0.01 and gcj.lon > wgs.lon  # GCJ-02 moves east in eastern China


@pytest.mark.parametrize("lat, lon", [(51.5007, -0.1246), (-33.8568, 151.2153), (35.6586, 139.7454)])
def test_points_outside_china_are_unchanged(lat: float, lon: float) -> None:
    assert wgs84_to_gcj02(GeoPoint(lat=lat, lon=lon)) == GeoPoint(lat=lat, lon=lon)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_each_link_carries_the_converted_point_and_its_coordinate_system() -> None:
    lat, lon = TIANANMEN_WGS.lat, TIANANMEN_WGS.lon
    gcj = wgs84_to_gcj02(TIANANMEN_WGS)
    links = {link.key: link for link in map_links(lat, lon, "3号楼东侧")}
    assert list(links) == ["amap", "baidu", "tencent", "geo"]
    amap = _query(links["amap"].url)
    assert amap["coordinate"] == "gaode" and amap["to"] == f"{gcj.lon:.6f},{gcj.lat:.6f},3号楼东侧"
    baidu = _query(links["baidu"].url)
    assert baidu["coord_type"] == "gcj02" and baidu["location"] == f"{gcj.lat:.6f},{gcj.lon:.6f}"
    tencent = _query(links["tencent"].url)
    assert tencent["coord_type"] == "2" and tencent["marker"].startswith(f"coord:{gcj.lat:.6f},{gcj.lon:.6f};")
    assert {links[k].datum for k in ("amap", "baidu", "tencent")} == {"GCJ-02"}
    geo = links["geo"]
    assert geo.datum == "WGS-84" and unquote(geo.url) == "geo:39.908700,116.397500?q=39.908700,116.397500(3号楼东侧)"
    assert navigate_url(lat, lon, "x") == map_links(lat, lon, "x")[0].url


def test_a_blank_name_still_makes_a_valid_link() -> None:
    assert "目的地" in unquote(navigate_url(39.125, 117.19375, "  "))
