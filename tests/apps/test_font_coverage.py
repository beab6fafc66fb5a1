"""The shipped Chinese font covers every character the apps can show, and stays small."""

from __future__ import annotations

import importlib.util

import pytest
from fontTools.ttLib import TTFont

from shared.fonts import ASSETS_DIR, FONT_ASSET

FONT = ASSETS_DIR / FONT_ASSET


def _make_subset():
    path = ASSETS_DIR / "fonts" / "make_subset.py"
    spec = importlib.util.spec_from_file_location("make_subset", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cmap() -> set[int]:
    return set(TTFont(FONT).getBestCmap())


def test_font_is_small_and_licensed():
    assert FONT.stat().st_size < 1_500_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONT.parent / "OFL.txt").read_text(encoding="utf-8")


def test_every_character_in_the_apps_is_in_the_font(cmap):
    missing = sorted(c for c in _make_subset().app_characters() if ord(c) not in cmap and c.isprintable()
                     and not c.isspace())
    assert not missing, f"not in the font: {''.join(missing)}; run assets/fonts/make_subset.py"


def test_common_hanzi_ascii_and_punctuation(cmap):
    wanted = _make_subset().gb2312_level1() | {chr(c) for c in range(0x20, 0x7F)} | set("，。、；：？！“”‘’（）【】《》—…·￥")
    assert not sorted(c for c in wanted if ord(c) not in cmap)


def test_the_sandbox_checkout_pages_are_in_the_font(cmap):
    from backend.payments import sandbox
    order = {"ref": "sbx_1", "payment_id": "p", "amount_fen": 12850, "description": "水费 2026年11月", "state": "open"}
    pages = [sandbox.checkout_page(order)] + [sandbox.result_page({**order, "state": s})
                                              for s in ("succeeded", "failed", "closed", "pending")]
    assert sandbox.FONT_FILE == FONT and f"url('{sandbox.FONT_URL}')" in pages[0]
    missing = sorted({c for page in pages for c in page if ord(c) not in cmap and not c.isspace()})
    assert not missing, f"not in the font: {''.join(missing)}"
