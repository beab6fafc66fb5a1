"""Links that open a maps app (or its web page) with navigation to a place, no tiles needed (flet-free).

Positions in CityLoop are WGS-84 (devices, the database). The Chinese maps take GCJ-02:
each link carries the converted point (shared.geo.wgs84_to_gcj02) and says so in its own
words (Amap `coordinate=gaode`, Baidu `coord_type=gcj02`, Tencent `coord_type=2`), so the
pin lands where the resident stood rather than 300-500 m off. The `geo:` URI (RFC 5870) is
WGS-84 by definition and takes the raw point: any other maps app on the device.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from shared.geo import GeoPoint, wgs84_to_gcj02


@dataclass(frozen=True)
class MapLink:
    key: str  # amap, baidu, tencent, geo: a stable id for tests and the UI
    label_zh: str
    label_en: str
    url: str
    datum: str  # "GCJ-02" or "WGS-84": the coordinate system of the point in `url`

    def label(self, locale: str = "zh-CN") -> str:
        return self.label_en if locale.lower().startswith("en") else self.label_zh


def _fmt(value: float) -> str:
    return f"{value:.6f}"


def amap_link(point: GeoPoint, name: str) -> MapLink:
    gcj = wgs84_to_gcj02(point)
    query = urlencode({"to": f"{_fmt(gcj.lon)},{_fmt(gcj.lat)},{name}", "mode": "car", "coordinate": "gaode",
                       "callnative": "1", "src": "cityloop"}, quote_via=quote, safe=",")
    return MapLink("amap", "高德地图", "Amap", f"https://uri.amap.com/navigation?{query}", "GCJ-02")


def baidu_link(point: GeoPoint, name: str) -> MapLink:
    gcj = wgs84_to_gcj02(point)
    query = urlencode({"location": f"{_fmt(gcj.lat)},{_fmt(gcj.lon)}", "title": name, "content": name,
                       "coord_type": "gcj02", "output": "html", "src": "cityloop"}, quote_via=quote, safe=",")
    return MapLink("baidu", "百度地图", "Baidu Maps", f"https://api.map.baidu.com/marker?{query}", "GCJ-02")


def tencent_link(point: GeoPoint, name: str) -> MapLink:
    gcj = wgs84_to_gcj02(point)
    # Tencent's coord_type: 1 = GPS (WGS-84), 2 = its own GCJ-02.
    query = urlencode({"marker": f"coord:{_fmt(gcj.lat)},{_fmt(gcj.lon)};title:{name};addr:{name}",
                       "coord_type": "2", "referer": "cityloop"}, quote_via=quote, safe=",:;")
    return MapLink("tencent", "腾讯地图", "Tencent Maps", f"https://apis.map.qq.com/uri/v1/marker?{query}", "GCJ-02")


def geo_uri(point: GeoPoint, name: str) -> MapLink:
    where = f"{_fmt(point.lat)},{_fmt(point.lon)}"
    return MapLink("geo", "其他地图应用", "Other maps app", f"geo:{where}?q={where}({quote(name)})", "WGS-84")


def map_links(lat: float, lon: float, name: str) -> list[MapLink]:
    """Amap first (the usual app of grid workers), then Baidu, Tencent, and the geo: fallback."""
    point = GeoPoint(lat=lat, lon=lon)
    name = name.strip() or "目的地"
    return [amap_link(point, name), baidu_link(point, name), tencent_link(point, name), geo_uri(point, name)]


def navigate_url(lat: float, lon: float, name: str) -> str:
    """The one link a single "导航" button opens: Amap's, which also works as a web page."""
    return map_links(lat, lon, name)[0].url
