"""English addresses in the resident app: a report's address is filed in Chinese (what every handler
reads), and the report form, the case list, the case page, its timeline and a followed case show the
area names in English when the person reads English (what the resident typed stays as written)."""

from __future__ import annotations

import pytest

from citizen_app.views.case_detail import CaseDetailView
from citizen_app.views.cases import CasesView
from citizen_app.views.followed_case import FollowedCaseView
from shared.ui.report_form import ReportForm
from tests.apps.citizen_support import demo_city_worker, new_state
from tests.apps.test_citizen_views import texts
from tests.backend.core_support import GRID_POINTS

LAMP = "02.03.001"


@pytest.fixture(scope="module")
def city(db, make_user):
    with demo_city_worker(db, make_user) as worker:
        yield worker


async def english_resident(stack, tmp_path, make_user):
    user = make_user(app_metadata={"role": "citizen"})
    state = new_state(stack.url, stack.anon_key, tmp_path)
    assert await state.sign_in(user.email, user.password)
    await state.set_locale("en")
    return state


def has_chinese(words: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in words)


async def test_area_names_are_english_in_every_place_a_resident_reads_them(stack, tmp_path, make_user,
                                                                          city) -> None:
    state = await english_resident(stack, tmp_path / "a", make_user)
    form = ReportForm(state)
    await form.flow.load_areas()
    lat, lon = GRID_POINTS[0][0] + 0.0021, GRID_POINTS[0][1] - 0.0017
    await form.set_location(lat, lon)
    assert form.flow.draft.address.endswith("网格")  # filed in Chinese
    shown = form.address.value
    assert "Grid" in shown and not has_chinese(shown), shown
    form.flow.describe("The street lamp at the gate is out")
    form.flow.draft.category_code = LAMP
    form.flow.draft.landmark = "3号楼东侧"
    form.flow.nearby_dismissed = True
    assert await form.flow.submit() == "sent", state.shell.messages
    filed = form.flow.filed
    english_place = f"{shown}, 3号楼东侧"  # the landmark as the resident typed it

    cases = CasesView(state)
    await cases.load()
    assert english_place in texts(cases.root)

    community = next(a for a in state.areas if a.level.value == "community" and a.name_zh in filed.address)
    assert await state.run(lambda c: c.reports.add_report_info(filed.id, f"{community.name_zh}北门外也有一盏", []))
    page = CaseDetailView(state, str(filed.id))
    await page.load()
    words = texts(page.root)
    assert english_place in words
    assert f"{community.name_en} 北门外也有一盏" in words  # the timeline's note: area names in English

    follower = await english_resident(stack, tmp_path / "b", make_user)
    assert await follower.run(lambda c: c.reports.follow_report(filed.id))
    followed = FollowedCaseView(follower, str(filed.id))
    await followed.load()
    [where] = [w for w in texts(followed.root) if w.startswith("Roughly at")]
    assert "Grid" in where and not has_chinese(where), where

    await state.set_locale("zh-CN")  # in Chinese, the address as filed
    cases.show()
    assert f"{filed.address} · 3号楼东侧" in texts(cases.root)
    await state.close()
    await follower.close()
