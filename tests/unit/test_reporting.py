"""shared.reporting: what a report draft needs before it can be sent, its address, its category."""

from __future__ import annotations

import uuid

import pytest

from shared.models import AreaPublic, ReportSource
from shared.reporting import MAX_PHOTOS, ReportDraft, address_for, message, parse_polygon, suggestions

ROOT = uuid.UUID(int=1)
STREET = uuid.UUID(int=2)
GRID = uuid.UUID(int=3)
AREAS = [
    AreaPublic(id=ROOT, level="district", code="d", name_zh="和平区", name_en="Heping District"),
    AreaPublic(id=STREET, parent_id=ROOT, level="street", code="s", name_zh="南营门街道", name_en="Nanyingmen"),
    AreaPublic(id=GRID, parent_id=STREET, level="grid", code="g", name_zh="第3网格", name_en="Grid 3",
               polygon="((117.19,39.12),(117.20,39.12),(117.20,39.13),(117.19,39.13))"),
]


def complete() -> ReportDraft:
    return ReportDraft(photos=[b"jpeg"], description="路灯不亮", category_code="02.03.001", lat=39.125, lon=117.195)


def test_a_complete_draft_has_no_problems_and_keeps_its_id() -> None:
    draft = complete()
    assert draft.problems() == []
    created = draft.to_create()
    assert created.id == draft.id and created.source == ReportSource.CITIZEN_APP
    assert draft.to_create().id == created.id  # the same id on every attempt: never filed twice


def test_an_empty_draft_lists_every_problem_in_form_order() -> None:
    assert ReportDraft().problems() == ["location", "category", "description"]  # a photo is optional
    with pytest.raises(ValueError):
        ReportDraft().to_create()


@pytest.mark.parametrize("change, problem", [
    ({"description": "   "}, "description"), ({"description": "x" * 2001}, "description_long"),
    ({"category_code": "02.03"}, "category"), ({"category_code": "99.99.999"}, "category"),
    ({"lat": None}, "location"), ({"lat": 95.0}, "location"), ({"photos_pending": 1}, "photos_pending"),
])
def test_each_missing_part_is_named(change, problem) -> None:
    draft = complete()
    for k, v in change.items():
        setattr(draft, k, v)
    assert draft.problems() == [problem]


def test_at_most_three_photos() -> None:
    draft = ReportDraft()
    assert all(draft.add_photo(b"x") for _ in range(MAX_PHOTOS))
    assert not draft.add_photo(b"x") and len(draft.photos) == MAX_PHOTOS


def test_on_behalf_of_a_resident_needs_their_name_and_phone() -> None:
    draft = complete()
    draft.source = ReportSource.GRID_APP
    assert draft.problems() == ["resident_name", "resident_phone"]
    draft.resident_name, draft.resident_phone = "王大爷", "13800000000"
    assert draft.problems() == []
    created = draft.to_create()
    assert created.source == ReportSource.GRID_APP
    assert "13800000000" not in created.description  # the phone stays out of what every viewer reads


def test_messages_are_in_both_languages() -> None:
    assert message("location") == "请确定问题的位置" and message("location", "en") == "Please set where the problem is."


def test_address_from_area_names_inside_a_grid_and_none_outside() -> None:
    assert address_for(39.125, 117.195, AREAS) == "和平区 · 南营门街道 · 第3网格"
    assert address_for(39.125, 117.195, AREAS, "en") == "Heping District, Nanyingmen, Grid 3"
    assert address_for(39.5, 117.5, AREAS) is None


def test_polygon_text_parses_to_lon_lat_vertices() -> None:
    assert parse_polygon("((117.19,39.12),(117.2,-39.13))") == ((117.19, 39.12), (117.2, -39.13))


def test_category_suggestion_from_the_description() -> None:
    assert suggestions("路灯不亮")[0].code == "02.03.001"
    assert suggestions("") == []
