"""The placeholder views, without a browser: backend status wording."""

from __future__ import annotations

import pytest

from citizen_app.views import placeholder as citizen
from grid_app.views import placeholder as grid


@pytest.mark.parametrize("module", [citizen, grid], ids=["citizen_app", "grid_app"])
def test_backend_status_in_plain_words(module):
    view = module.PlaceholderView()
    assert view.status.value == module.CHECKING
    view.show_backend(True)
    assert view.status.value.startswith("后端已连接")
    view.show_backend(False)
    assert view.status.value.startswith("后端未连接")


def test_titles_are_chinese_first():
    assert citizen.TITLE == "城市圈 · 市民端"
    assert grid.TITLE == "城市圈 · 网格员端"
