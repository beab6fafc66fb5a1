"""The 9 / 38 / 239 taxonomy of governance matters: tree access, search, and suggestion from a description.

The data is assets/taxonomy/taxonomy.json, the same file the categories migrations
come from (assets/taxonomy/make_migration.py), so the apps work offline and agree
with the database.
Suggestion from a description is shared/category_suggest.py, built on first use.
"""

from __future__ import annotations

import csv
import json
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Literal, Mapping, get_args

from pydantic import BaseModel, ConfigDict, Field

from shared.category_model import Example
from shared.category_suggest import Suggester
from shared.fonts import ASSETS_DIR

TAXONOMY_PATH = ASSETS_DIR / "taxonomy" / "taxonomy.json"
# Residents' descriptions labelled with their item, learnt from by the suggester (columns text, code, lang).
# The held-out ones, never learnt from, are tests/data/category_descriptions.csv.
DESCRIPTIONS_PATH = ASSETS_DIR / "taxonomy" / "descriptions.csv"

# The codes of public.departments (migration 20261121000100_departments.sql).
DepartmentCode = Literal["city_mgmt", "environment", "water", "public_security", "market",
                         "health", "civil_affairs", "housing", "transport"]
DEPARTMENT_CODES: tuple[str, ...] = get_args(DepartmentCode)

CODE_PATTERN = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{3})?)?$"


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


class Taxonomy:
    """The whole tree, in code order."""

    def __init__(self, categories: Iterable[Category], spelling: Mapping[str, str] | None = None,
                 examples: Iterable[Example] = ()):
        self._by_code = {c.code: c for c in sorted(categories, key=lambda c: c.code)}
        self._children: dict[str | None, list[Category]] = {}
        for c in self._by_code.values():
            self._children.setdefault(c.parent_code, []).append(c)
        self._spelling = dict(spelling or {})
        self._examples = tuple(examples)

    @classmethod
    def from_json(cls, data: Mapping, examples: Iterable[Example] = ()) -> Taxonomy:
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
        return cls(categories, data.get("spelling"), examples)

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

    @property
    def spelling(self) -> dict[str, str]:
        """Common miswritings and what they mean, read as meant before suggesting."""
        return dict(self._spelling)

    def suggest(self, description: str, limit: int = 5) -> list[tuple[Category, float]]:
        """Items whose keywords occur in a free-text description, with a score, best first.

        How evidence is weighed: shared/category_suggest.py. On equal evidence the more urgent item comes first.
        """
        return self._suggester.suggest(description, limit)

    def prepare_suggestions(self) -> None:
        """Build the suggestion indexes now (0.1-0.4 s), e.g. in a worker thread before the first keystroke."""
        self._suggester  # noqa: B018 (the property builds and keeps them)

    @cached_property
    def _suggester(self) -> Suggester:
        # Built on first use, not when the tree is loaded: views that only show the tree never pay for it.
        return Suggester(self.items(), self._spelling, self._examples)


def load_examples(path: Path = DESCRIPTIONS_PATH) -> list[Example]:
    """(description, item code) pairs from a labelled CSV such as DESCRIPTIONS_PATH."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], row["code"]) for row in csv.DictReader(f)]


def load_taxonomy(path: Path = TAXONOMY_PATH, descriptions: Path | None = DESCRIPTIONS_PATH) -> Taxonomy:
    """The tree from `path`; the suggester learns from `descriptions` (None: keywords only)."""
    examples = load_examples(descriptions) if descriptions is not None else []
    return Taxonomy.from_json(json.loads(path.read_text(encoding="utf-8")), examples)


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The shipped taxonomy, loaded once."""
    return load_taxonomy()


def suggest_category(description: str, limit: int = 5) -> list[tuple[Category, float]]:
    """Suggested items for a resident's description, from the shipped taxonomy."""
    return default_taxonomy().suggest(description, limit)
