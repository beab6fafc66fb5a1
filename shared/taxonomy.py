"""The 9 / 38 / 239 taxonomy of governance matters: tree access, search, and suggestion from a description.

The data is assets/taxonomy/taxonomy.json, the same file the categories migration
is generated from, so the apps work offline and agree with the database.
Matching is keyword matching: Chinese has no spaces, so Chinese keywords match
as substrings; English keywords match as whole words (plural "s" ignored).
bench/category_suggest.py measures it on residents' descriptions
(tests/data/category_descriptions.csv).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Literal, Mapping, get_args

from pydantic import BaseModel, ConfigDict, Field

from shared.fonts import ASSETS_DIR

TAXONOMY_PATH = ASSETS_DIR / "taxonomy" / "taxonomy.json"

# The codes of public.departments (migration 20261121000100_departments.sql).
DepartmentCode = Literal["city_mgmt", "environment", "water", "public_security", "market",
                         "health", "civil_affairs", "housing", "transport"]
DEPARTMENT_CODES: tuple[str, ...] = get_args(DepartmentCode)

CODE_PATTERN = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{3})?)?$"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")  # hyphens split: "load-bearing" is "load bearing"
_EN_WORD_WEIGHT = 2  # an English word weighs about as much as a two-character Chinese keyword
# A character pair or word shared with an item's terms counts this much, split among the items that
# have it: well below one keyword, so it orders items only where keywords say little or nothing.
_FRAGMENT_WEIGHT = 0.5
# Less is at most one stray character pair ("今天天气不错" shares "气不" with "暖气不热"): no suggestion.
_MIN_SCORE = 0.75
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_EN_STOPWORDS = frozenset("a an and at by for from in into it its no not of on onto or out the to up with without"
                          .split())


class Category(BaseModel):
    """One row of public.categories: a major category (level 1), a sub-category (2) or an item (3).

    Only items carry a department, SLA, priority and keywords.
    """

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    level: Literal[1, 2, 3]
    parent_code: str | None = None
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    department_code: DepartmentCode | None = None
    sla_hours: int | None = Field(default=None, gt=0)
    priority: Literal[1, 2, 3, 4] | None = None
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()

    @property
    def keywords(self) -> tuple[str, ...]:
        """Chinese and English keywords together, as the database stores them."""
        return self.keywords_zh + self.keywords_en

    @classmethod
    def from_row(cls, row: Mapping) -> Category:
        """A row read through /rest/v1 (keywords in one array) as a Category."""
        keywords = row.get("keywords") or []
        fields = {k: v for k, v in row.items() if k in cls.model_fields}
        return cls(**fields, keywords_zh=tuple(k for k in keywords if not k.isascii()),
                   keywords_en=tuple(k for k in keywords if k.isascii()))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower())]


def _contains_phrase(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def _fragments(text: str) -> set[str]:
    """Overlapping pairs of Chinese characters and English content words: the evidence below keywords."""
    pairs = {run[i:i + 2] for run in _HAN_RUN.findall(text) for i in range(len(run) - 1)}
    return pairs | (set(_words(text)) - _EN_STOPWORDS)


@dataclass(frozen=True)
class _Cue:
    """One keyword or name as suggest() looks for it: Chinese terms and English phrases, all required."""

    zh: tuple[str, ...]
    en: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, keyword: str) -> _Cue:
        parts = [p.strip() for p in keyword.lower().split("+") if p.strip()]
        return cls(zh=tuple(p for p in parts if not p.isascii()),
                   en=tuple(tuple(_words(p)) for p in parts if p.isascii()))

    @property
    def length(self) -> int:
        """Chinese characters, and two per English word (about what a two-character Chinese word says)."""
        return sum(len(t) for t in self.zh) + _EN_WORD_WEIGHT * sum(len(p) for p in self.en)

    def matches(self, text: str, words: list[str], found: set[str]) -> bool:
        if len(self.zh) == 1 and not self.en:
            return self.zh[0] in found  # alone, a term must not only be part of a longer one
        return (all(t in text for t in self.zh) and all(_contains_phrase(words, list(p)) for p in self.en)
                and bool(self.zh or self.en))


class Taxonomy:
    """The whole tree, in code order."""

    def __init__(self, categories: Iterable[Category], spelling: Mapping[str, str] | None = None):
        self._by_code = {c.code: c for c in sorted(categories, key=lambda c: c.code)}
        self._children: dict[str | None, list[Category]] = {}
        for c in self._by_code.values():
            self._children.setdefault(c.parent_code, []).append(c)
        # Computed once for suggest(): each item's cues with their weights, the English name's content words.
        keywords = {c.code: {k.lower() for k in c.keywords} for c in self.items()}
        shared_by = Counter(k for ks in keywords.values() for k in ks)
        self._cues = {code: [(_Cue.parse(k), _Cue.parse(k).length / shared_by[k]) for k in sorted(ks)]
                      for code, ks in keywords.items()}
        for c in self.items():
            self._cues[c.code] += [(cue, cue.length) for cue in (_Cue.parse(c.name_zh), _Cue.parse(c.name_en))]
        self._en_name_words = {c.code: set(_words(c.name_en)) - _EN_STOPWORDS for c in self.items()}
        self._zh_vocabulary = sorted({cue.zh[0] for cues in self._cues.values() for cue, _ in cues
                                      if len(cue.zh) == 1 and not cue.en})
        # Character pairs and English words of each item's terms, for descriptions no keyword quite matches.
        self._fragments = {c.code: _fragments(" ".join((c.name_zh, c.name_en) + c.keywords).replace("+", " "))
                           for c in self.items()}
        fragment_items = Counter(f for fs in self._fragments.values() for f in fs)
        self._fragment_weight = {f: _FRAGMENT_WEIGHT / n for f, n in fragment_items.items()}
        # Longest first, so a longer miswriting is not half-corrected by a shorter one.
        self._spelling = sorted(((w.lower(), r.lower()) for w, r in (spelling or {}).items()),
                                key=lambda pair: -len(pair[0]))

    @classmethod
    def from_json(cls, data: Mapping) -> Taxonomy:
        """The shape of taxonomy.json: majors -> subs -> items."""
        categories = []
        for major in data["majors"]:
            categories.append(Category(code=major["code"], level=1, name_zh=major["name_zh"], name_en=major["name_en"]))
            for sub in major["subs"]:
                categories.append(Category(code=sub["code"], level=2, parent_code=major["code"],
                                           name_zh=sub["name_zh"], name_en=sub["name_en"]))
                categories += [Category(code=item["code"], level=3, parent_code=sub["code"],
                                        name_zh=item["name_zh"], name_en=item["name_en"],
                                        department_code=item["department"], sla_hours=item["sla_hours"],
                                        priority=item["priority"], keywords_zh=tuple(item["keywords_zh"]),
                                        keywords_en=tuple(item["keywords_en"]))
                               for item in sub["items"]]
        return cls(categories, data.get("spelling"))

    # Tree access

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self):
        return iter(self._by_code.values())

    def get(self, code: str) -> Category | None:
        return self._by_code.get(code)

    def majors(self) -> list[Category]:
        return list(self._children.get(None, []))

    def children(self, code: str) -> list[Category]:
        return list(self._children.get(code, []))

    def items(self) -> list[Category]:
        return [c for c in self._by_code.values() if c.level == 3]

    def path(self, code: str) -> list[Category]:
        """Major, sub-category and item (as far as `code` goes), e.g. for a breadcrumb."""
        out = []
        node = self._by_code.get(code)
        while node is not None:
            out.append(node)
            node = self._by_code.get(node.parent_code) if node.parent_code else None
        return out[::-1]

    # Search and suggestion

    def search(self, query: str, level: int | None = 3, limit: int = 20) -> list[Category]:
        """Categories matching every word of `query`, in Chinese or English, best first.

        Per word: exact name or keyword 3, name contains it 2, a keyword contains it 1.
        """
        terms = query.lower().split()
        if not terms:
            return []
        scored = []
        for c in self._by_code.values():
            if level is not None and c.level != level:
                continue
            names = (c.name_zh.lower(), c.name_en.lower())
            keywords = [k.lower() for k in c.keywords]
            total = 0
            for term in terms:
                if term in names or term in keywords:
                    score = 3
                elif any(term in n for n in names):
                    score = 2
                elif any(term in k for k in keywords):
                    score = 1
                else:
                    break
                total += score
            else:
                scored.append((total, c))
        scored.sort(key=lambda s: (-s[0], s[1].code))
        return [c for _, c in scored[:limit]]

    def suggest(self, description: str, limit: int = 5) -> list[tuple[Category, float]]:
        """Items whose keywords occur in a free-text description, with a score, best first.

        Each keyword (and each name) found counts its length: Chinese in characters,
        found as a substring unless only inside a longer known term (in "垃圾桶坏了",
        "垃圾" does not count, "垃圾桶" does); English two per word, found as whole
        words, plus one for each word of the English name found alone. A keyword
        "a+b" needs all its parts, anywhere in the text ("电梯+困": 有人困在电梯里).
        A keyword that several items share is split between them, so a shared word
        ("噪音", "电梯") leaves the decision to the words that tell the items apart.
        Common miswritings are read as meant first (`spelling` in taxonomy.json).
        On equal evidence the more urgent item comes first.
        """
        text = self._normalise(description)
        words = _words(text)
        found = self._chinese_terms(text)
        fragments = _fragments(text)
        scored = []
        for c in self.items():
            score = sum(weight for cue, weight in self._cues[c.code] if cue.matches(text, words, found))
            score += len(self._en_name_words[c.code].intersection(words))
            score += sum(self._fragment_weight[f] for f in self._fragments[c.code] & fragments)
            if score >= _MIN_SCORE:
                scored.append((c, round(score, 3)))
        scored.sort(key=lambda s: (-s[1], s[0].priority, s[0].code))
        return scored[:limit]

    def _normalise(self, description: str) -> str:
        text = unicodedata.normalize("NFKC", description).lower()
        for wrong, right in self._spelling:
            text = text.replace(wrong, right)
        return text

    def _chinese_terms(self, text: str) -> set[str]:
        """Known Chinese terms in `text`, except those only found inside a longer known term there."""
        spans = [(m.start(), m.start() + len(term), term) for term in self._zh_vocabulary if term in text
                 for m in re.finditer(re.escape(term), text)]
        return {term for start, end, term in spans
                if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans)}


def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    return Taxonomy.from_json(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The shipped taxonomy, loaded once."""
    return load_taxonomy()


def suggest_category(description: str, limit: int = 5) -> list[tuple[Category, float]]:
    """Suggested items for a resident's description, from the shipped taxonomy."""
    return default_taxonomy().suggest(description, limit)
