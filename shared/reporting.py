"""A report being written: what the form holds, what is missing, and where it is (flet-free).

Both apps' report forms keep a `ReportDraft` and ask `problems()` before sending:
each problem is a field name and a (zh, en) message, so the form can mark the field
and say what to do in plain words. `address_for` builds the address from the areas'
names (no geocoder: there is no internet at run time).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shared.geo import GeoPoint, GridArea, address_text, grid_for_point
from shared.limits import LANDMARK_MAX_LENGTH, MAX_DESCRIPTION, MAX_PHOTOS, is_phone
from shared.media import PhotoInput
from shared.models import AreaPublic, ReportCreate, ReportSource
from shared.taxonomy import Category, Taxonomy, default_taxonomy

MAX_ADDRESS = 300

MESSAGES: dict[str, tuple[str, str]] = {
    "too_many_photos": (f"最多 {MAX_PHOTOS} 张照片", f"At most {MAX_PHOTOS} photos."),
    "photos_pending": ("照片还在上传，请稍候再提交", "A photo is still uploading. Please wait a moment, then submit."),
    "description": ("请简单描述问题", "Please describe the problem."),
    "description_long": (f"描述不能超过 {MAX_DESCRIPTION} 字",
                         f"The description is longer than {MAX_DESCRIPTION} characters."),
    "landmark_long": (f"地标/位置说明不能超过 {LANDMARK_MAX_LENGTH} 字",
                      f"The landmark is longer than {LANDMARK_MAX_LENGTH} characters."),
    "category": ("请选择问题类别", "Please choose a category."),
    "location": ("请确定问题的位置", "Please set where the problem is."),
    "resident_name": ("请填写居民姓名", "Please enter the resident's name."),
    "resident_phone": ("请填写正确的居民电话", "Please enter the resident's phone number."),
}


def message(code: str, locale: str = "zh-CN") -> str:
    zh, en = MESSAGES[code]
    return en if locale.lower().startswith("en") else zh


@dataclass
class ReportDraft:
    """What the form holds. `id` is chosen once, so a retry or the outbox never files it twice."""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    photos: list[PhotoInput] = field(default_factory=list)  # prepared photos (the form), or raw bytes
    photos_pending: int = 0  # chosen photos still uploading or being prepared
    description: str = ""
    category_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    landmark: str = ""  # optional: where exactly, in the reporter's words ("3号楼东侧")
    source: ReportSource = ReportSource.CITIZEN_APP
    resident_name: str = ""  # only when a worker reports on a resident's behalf
    resident_phone: str = ""

    @property
    def on_behalf(self) -> bool:
        return self.source == ReportSource.GRID_APP

    def add_photo(self, data: PhotoInput) -> bool:
        """False (and nothing added) when the draft already has the most photos allowed."""
        if len(self.photos) >= MAX_PHOTOS:
            return False
        self.photos.append(data)
        return True

    def problems(self, taxonomy: Taxonomy | None = None) -> list[str]:
        """Codes of MESSAGES, in the order of the form; empty when the draft can be sent."""
        taxonomy = taxonomy or default_taxonomy()
        found = []
        if self.photos_pending:  # photos are optional (noise, smells), but a chosen one is waited for
            found.append("photos_pending")
        if len(self.photos) > MAX_PHOTOS:
            found.append("too_many_photos")
        if self.lat is None or self.lon is None or not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            found.append("location")
        if len(self.landmark.strip()) > LANDMARK_MAX_LENGTH:
            found.append("landmark_long")
        category = taxonomy.get(self.category_code or "")
        if category is None or category.level != 3:
            found.append("category")
        text = self.description.strip()
        if not text:
            found.append("description")
        elif len(self.full_description()) > MAX_DESCRIPTION:
            found.append("description_long")
        if self.on_behalf:
            if not self.resident_name.strip():
                found.append("resident_name")
            if not is_phone(self.resident_phone):
                found.append("resident_phone")
        return found

    def full_description(self) -> str:
        """The description as filed. The resident's name and phone are not put in it: whoever can see
        the report can read its description, while the grid app files them in their own columns
        (reports.resident_name / resident_phone, shown to handlers only)."""
        return self.description.strip()

    def to_create(self) -> ReportCreate:
        if self.problems():
            raise ValueError(f"the draft is not complete: {self.problems()}")
        return ReportCreate(id=self.id, category_code=self.category_code, description=self.full_description(),
                            lat=self.lat, lon=self.lon, address=(self.address or None) and self.address[:MAX_ADDRESS],
                            landmark=self.landmark.strip() or None, source=self.source)


def suggestions(description: str, limit: int = 3, taxonomy: Taxonomy | None = None) -> list[Category]:
    """The items a description most likely means, best first."""
    return [c for c, _ in (taxonomy or default_taxonomy()).suggest(description, limit)]


def grids_from_areas(areas: Iterable[AreaPublic]) -> list[GridArea]:
    """The grid areas with polygons, as shared.geo wants them."""
    grids = []
    for area in areas:
        if area.level.value != "grid" or not area.polygon:
            continue
        ring = parse_polygon(area.polygon)
        if len(ring) >= 3:
            grids.append(GridArea(id=str(area.id), name_zh=area.name_zh, name_en=area.name_en, polygon=ring))
    return grids


def parse_polygon(text: str) -> tuple[tuple[float, float], ...]:
    """PostgreSQL's polygon text "((x1,y1),(x2,y2),...)" as (lon, lat) vertices."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?", text)]
    return tuple(zip(numbers[0::2], numbers[1::2]))


def area_path(grid_id: str, areas: Sequence[AreaPublic]) -> list[AreaPublic]:
    """District down to the grid `grid_id`."""
    by_id = {str(a.id): a for a in areas}
    path = []
    current = by_id.get(grid_id)
    while current is not None:
        path.append(current)
        current = by_id.get(str(current.parent_id)) if current.parent_id else None
    return list(reversed(path))


def address_for(lat: float, lon: float, areas: Sequence[AreaPublic], locale: str = "zh-CN") -> str | None:
    """"和平区 · 南营门街道 · 新华社区 · 第3网格" for a point in a grid; None outside every grid."""
    grid = grid_for_point(GeoPoint(lat=lat, lon=lon), grids_from_areas(areas))
    if grid is None:
        return None
    return address_text(area_path(grid.id, areas), "en" if locale.lower().startswith("en") else "zh")
