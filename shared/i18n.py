"""Chinese-first strings with English: one catalogue per app, one `Translator` per session.

A catalogue maps a key to its (zh-CN, en) pair, so a missing translation is a
visible gap in one place rather than a fallback scattered through views:

    STRINGS = {"home.report": ("随手拍", "Report"), "cases.count": ("共 {n} 件", "{n} cases")}
    t = Translator(STRINGS, "zh-CN")
    t("cases.count", n=3)  # "共 3 件"
"""

from __future__ import annotations

from collections.abc import Mapping

Catalogue = Mapping[str, tuple[str, str]]
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"


def normalise_locale(locale: str | None) -> str:
    """"en", "en-US", "EN" -> "en"; anything else (None included) -> "zh-CN"."""
    return "en" if (locale or "").lower().startswith("en") else DEFAULT_LOCALE


class Translator:
    """`t(key, **values)` in the current locale; change it with `t.locale = "en"`."""

    def __init__(self, catalogue: Catalogue, locale: str | None = DEFAULT_LOCALE) -> None:
        self.catalogue = catalogue
        self.locale = normalise_locale(locale)

    @property
    def locale(self) -> str:
        return self._locale

    @locale.setter
    def locale(self, value: str | None) -> None:
        self._locale = normalise_locale(value)

    @property
    def is_english(self) -> bool:
        return self._locale == "en"

    def __call__(self, key: str, **values: object) -> str:
        try:
            zh, en = self.catalogue[key]
        except KeyError:
            raise KeyError(f"no string {key!r} in the catalogue") from None
        text = en if self.is_english else zh
        return text.format(**values) if values else text

    def pick(self, zh: str | None, en: str | None) -> str:
        """Choose between two names from data (a category's name_zh / name_en)."""
        first, second = (en, zh) if self.is_english else (zh, en)
        return first or second or ""
