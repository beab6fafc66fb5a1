import pytest

from shared.i18n import Translator, normalise_locale

CATALOGUE = {"hello": ("你好，{name}", "Hello, {name}"), "plain": ("好", "Good")}


@pytest.mark.parametrize("given, expected", [("en", "en"), ("en-US", "en"), ("EN", "en"), ("zh-CN", "zh-CN"),
                                             ("fr", "zh-CN"), (None, "zh-CN"), ("", "zh-CN")])
def test_normalise_locale(given, expected):
    assert normalise_locale(given) == expected


def test_chinese_first_then_english_after_a_switch():
    t = Translator(CATALOGUE)
    assert t("hello", name="王") == "你好，王"
    assert t("plain") == "好"
    t.locale = "en"
    assert t("hello", name="Wang") == "Hello, Wang"
    assert t.is_english


def test_a_missing_key_is_an_error_not_a_silent_fallback():
    with pytest.raises(KeyError, match="nope"):
        Translator(CATALOGUE)("nope")


def test_pick_prefers_the_locale_and_falls_back_to_the_other_name():
    assert Translator(CATALOGUE, "zh-CN").pick("道路", "Road") == "道路"
    assert Translator(CATALOGUE, "en").pick("道路", "Road") == "Road"
    assert Translator(CATALOGUE, "en").pick("道路", None) == "道路"
    assert Translator(CATALOGUE, "en").pick(None, None) == ""
