"""Suggesting taxonomy items from a resident's description: weighted keywords, and what labelled descriptions teach.

Why this shape: the report form asks on every keystroke, offline, in Chinese,
English or both at once, so the suggester is plain data (the keywords in
taxonomy.json, the same the database has, and the residents' descriptions in
assets/taxonomy/descriptions.csv) and indexes built once. Chinese has no
spaces: Chinese terms match as substrings; English phrases match as whole words.
A keyword "a+b" needs all its parts anywhere in the text. bench/category_suggest.py
measures accuracy on the held-out tests/data/category_descriptions.csv and the time
per call (docs/category-suggestion.md).

Evidence, strongest first:
- a keyword or an item's name: its length (Chinese characters; two per English
  word), split evenly between the items that share the keyword;
- a Chinese term of three or more characters with one or two characters inside it
  ("楼道灯" in "楼道里的灯"): _GAPPED_SHARE of that;
- a word of the English name found alone: one;
- a character pair or English word shared with the item's terms: _FRAGMENT_WEIGHT,
  split between the items that have it, so it only orders items keywords leave level;
- what residents' labelled descriptions teach (shared/category_model.py): the item's
  probability given the text's features, times _LEARNT_WEIGHT. Without evidence of the
  kinds above it counts alone only when the model is sure and the text has enough
  content it has seen (_LEARNT_ALONE_*), so chatter gets no suggestion. It finds items
  in the words of the next resident, which keywords written for the last ones miss.
Politeness and chatter (_CHATTER) are dropped before anything is looked for.
On equal evidence the more urgent item (lower priority number) comes first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from shared.category_model import DescriptionModel, Example

if TYPE_CHECKING:
    from shared.taxonomy import Category

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")  # hyphens split: "load-bearing" is "load bearing"
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_EN_WORD_WEIGHT = 2  # an English word weighs about as much as a two-character Chinese keyword
_EN_STOPWORDS = frozenset("a an and at by for from in into it its no not of on onto or out the to up with without"
                          .split())
# A character pair or word shared with an item's terms counts this much, split among the items that
# have it: well below one keyword, so it orders items only where keywords say little or nothing.
_FRAGMENT_WEIGHT = 0.5
# A Chinese term of three or more characters with one or two characters inside it ("楼道灯" in
# "楼道里的灯", "电梯坏了" in "电梯又坏了") counts this share of its weight: residents add particles.
_GAPPED_SHARE = 0.75
_GAP_STOPS = frozenset(" \t\n,.!?;:，。！？；：、")  # a gap never spans these
# Residents' politeness and chatter, dropped before anything is looked for: their characters and
# pairs ("请问", "麻烦", "处理") are shared with item terms and would count as weak evidence.
_CHATTER = ("你好", "您好", "请问一下", "请问", "麻烦你们", "麻烦您", "麻烦", "尽快处理", "尽快", "处理一下",
            "帮忙看看", "谢谢你们", "谢谢", "急急急", "有没有人管", "有人管吗", "管一管", "管管")
_EN_CHATTER = re.compile(r"\b(?:hi|hello|please|pls|plz|thanks|thank you|sorry to bother)\b")
# Less is at most one stray character pair ("今天天气不错" shares "气不" with "暖气不热"): no suggestion.
_MIN_SCORE = 0.75
# The learnt probability (0..1) counts up to this: a sure one as much as a four-character keyword.
# Chosen by cross-validation on the dev descriptions only (bench/category_suggest.py).
_LEARNT_WEIGHT = 4.0
# An item the keywords did not name is suggested on learnt evidence alone from this probability up.
_LEARNT_FLOOR = 0.05
# A text with no keyword evidence at all ("楼上把墙拆了改成大开间") still gets the learnt suggestions
# when the model is sure enough and the text has enough content it has seen (character pairs, English
# words): residents' words that no keyword has. Chatter ("今天天气不错") stays below both (cross-validated
# on the dev descriptions, bench/category_suggest.py --cross-validate).
_LEARNT_ALONE_FLOOR = 0.4
_LEARNT_ALONE_FEATURES = 2


def _stem(word: str) -> str:
    """A light stem, the same for keywords and text: "flooding", "flooded", "floods" are "flood"."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for ending in ("ing", "ed"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            word = word[:-len(ending)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def words(text: str) -> list[str]:
    """Lower-case English words, lightly stemmed (_stem)."""
    return [_stem(w) for w in _WORD.findall(text.lower())]


def _contains_phrase(text_words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(tuple(text_words[i:i + n]) == phrase for i in range(len(text_words) - n + 1))


def _found_with_gap(text: str, term: str) -> bool:
    """`term` in `text` with one or two characters (no punctuation) after its first two or more."""
    for i in range(2, len(term)):
        head, tail = term[:i], term[i:]
        start = text.find(head)
        while start >= 0:
            after = start + len(head)
            for gap in (1, 2):
                if not _GAP_STOPS.intersection(text[after:after + gap]) and text.startswith(tail, after + gap):
                    return True
            start = text.find(head, start + 1)
    return False


def features(text: str) -> list[str]:
    """Chinese characters and character pairs, and English content words, with repeats: what is learnt."""
    out: list[str] = []
    for run in _HAN_RUN.findall(text):
        out += list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
    return out + [w for w in words(text) if w not in _EN_STOPWORDS]


def _fragments(text: str) -> set[str]:
    """Overlapping pairs of Chinese characters and English content words: the evidence below keywords."""
    pairs = {run[i:i + 2] for run in _HAN_RUN.findall(text) for i in range(len(run) - 1)}
    return pairs | (set(words(text)) - _EN_STOPWORDS)


@dataclass(frozen=True)
class Cue:
    """One keyword or name as the suggester looks for it: Chinese terms and English phrases, all required."""

    zh: tuple[str, ...]
    en: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, keyword: str) -> Cue:
        parts = [p.strip() for p in keyword.lower().split("+") if p.strip()]
        return cls(zh=tuple(p for p in parts if not p.isascii()),
                   en=tuple(tuple(words(p)) for p in parts if p.isascii() and words(p)))

    @property
    def length(self) -> int:
        return sum(len(t) for t in self.zh) + _EN_WORD_WEIGHT * sum(len(p) for p in self.en)

    @property
    def is_single_term(self) -> bool:
        return len(self.zh) == 1 and not self.en

    def matches(self, text: str, text_words: list[str], found: set[str]) -> bool:
        """`found`: the Chinese terms in the text that are not only part of a longer known term."""
        if self.is_single_term:
            return self.zh[0] in found  # alone, a term must not only be part of a longer one
        return (all(t in text for t in self.zh) and all(_contains_phrase(text_words, p) for p in self.en)
                and bool(self.zh or self.en))


_Entry = tuple[str, Cue, float]  # item code, cue, weight


class Suggester:
    """Indexes over the items' keywords and names, built once; `suggest` only looks up what the text holds."""

    def __init__(self, items: Iterable[Category], spelling: Mapping[str, str] | None = None,
                 examples: Iterable[Example] = ()):
        """`examples`: residents' descriptions with the item they are about, learnt from."""
        self._items = {c.code: c for c in items}
        keywords = {code: {k.lower() for k in c.keywords} for code, c in self._items.items()}
        shared_by = Counter(k for ks in keywords.values() for k in ks)
        entries: list[_Entry] = [(code, Cue.parse(k), Cue.parse(k).length / shared_by[k])
                                 for code, ks in keywords.items() for k in sorted(ks)]
        for code, c in self._items.items():
            entries += [(code, cue, cue.length) for cue in (Cue.parse(c.name_zh), Cue.parse(c.name_en))]
        # Each cue filed under one part that must be present: a Chinese term (looked for in the
        # text) or an English phrase's first word (looked up among the text's words).
        self._by_term: dict[str, list[_Entry]] = defaultdict(list)
        self._by_word: dict[str, list[_Entry]] = defaultdict(list)
        for code, cue, weight in entries:
            if cue.zh:
                self._by_term[cue.zh[0]].append((code, cue, weight))
            elif cue.en:
                self._by_word[cue.en[0][0]].append((code, cue, weight))
        self._zh_vocabulary = sorted({cue.zh[0] for _, cue, _ in entries if cue.is_single_term})
        self._single_terms = frozenset(self._zh_vocabulary)
        # Longer single terms also looked for with a gap, filed under their first two characters.
        self._gapped: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
        for code, cue, weight in entries:
            term = cue.zh[0] if cue.is_single_term else ""
            if len(term) >= 3:
                self._gapped[term[:2]].append((code, term, weight * _GAPPED_SHARE))
        # Every Chinese term looked for, filed under its first character: a text is scanned for the terms
        # that start with one of its characters, not for all of them (the keystroke path).
        self._terms_by_first: dict[str, list[str]] = defaultdict(list)
        for term in set(self._by_term) | set(self._gapped) | set(self._zh_vocabulary):
            self._terms_by_first[term[0]].append(term)
        self._name_words: dict[str, list[str]] = defaultdict(list)
        for code, c in self._items.items():
            for w in set(words(c.name_en)) - _EN_STOPWORDS:
                self._name_words[w].append(code)
        fragments = {code: _fragments(" ".join((c.name_zh, c.name_en) + c.keywords).replace("+", " "))
                     for code, c in self._items.items()}
        self._by_fragment: dict[str, list[str]] = defaultdict(list)
        for code, fs in fragments.items():
            for f in fs:
                self._by_fragment[f].append(code)
        # Longest first, so a longer miswriting is not half-corrected by a shorter one.
        self._spelling = sorted(((w.lower(), r.lower()) for w, r in (spelling or {}).items()),
                                key=lambda pair: -len(pair[0]))
        known_words = {code: self._normalise(" ".join((c.name_zh, c.name_en) + c.keywords).replace("+", " "))
                       for code, c in self._items.items()}
        self._model = DescriptionModel(known_words, [(self._normalise(t), code) for t, code in examples],
                                       features)

    def suggest(self, description: str, limit: int = 5) -> list[tuple[Category, float]]:
        text = self._normalise(description)
        text_words = words(text)
        word_set = set(text_words)
        present = self._terms_in(text)
        found = self._chinese_terms(text, present)
        scores: dict[str, float] = defaultdict(float)
        candidates = [e for term in present for e in self._by_term.get(term, ())]
        candidates += [e for w in word_set for e in self._by_word.get(w, ())]
        for code, cue, weight in candidates:
            if cue.matches(text, text_words, found):
                scores[code] += weight
        for head in present:
            for code, term, weight in self._gapped.get(head, ()):
                if term not in text and _found_with_gap(text, term):
                    scores[code] += weight
        for w in word_set:
            for code in self._name_words.get(w, ()):
                scores[code] += 1
        for f in _fragments(text):
            codes = self._by_fragment.get(f, ())
            for code in codes:
                scores[code] += _FRAGMENT_WEIGHT / len(codes)
        scores = {code: s for code, s in scores.items() if s >= _MIN_SCORE}
        posterior = self._model.posterior(text) if scores or self._has_learnt_content(text) else {}
        if not scores and max(posterior.values(), default=0.0) < _LEARNT_ALONE_FLOOR:
            posterior = {}
        for code, p in posterior.items():
            if code in scores or p >= _LEARNT_FLOOR:
                scores[code] = scores.get(code, 0.0) + _LEARNT_WEIGHT * p
        ranked = sorted(((self._items[code], round(s, 3)) for code, s in scores.items()),
                        key=lambda pair: (-pair[1], pair[0].priority, pair[0].code))
        return ranked[:limit]

    def _has_learnt_content(self, text: str) -> bool:
        return sum(self._model.knows(f) for f in _fragments(text)) >= _LEARNT_ALONE_FEATURES

    def _normalise(self, description: str) -> str:
        text = unicodedata.normalize("NFKC", description).lower()
        for wrong, right in self._spelling:
            text = text.replace(wrong, right)
        for chatter in _CHATTER:
            text = text.replace(chatter, "")
        return _EN_CHATTER.sub(" ", text)

    def _terms_in(self, text: str) -> list[str]:
        """The Chinese terms looked for (cues' first terms, gapped heads, single terms) that occur in `text`."""
        # Sorted, so scores are summed in the same order in every process (set order follows the hash seed).
        return sorted({term for ch in set(text) for term in self._terms_by_first.get(ch, ()) if term in text})

    def _chinese_terms(self, text: str, present: list[str]) -> set[str]:
        """Known Chinese terms in `text`, except those only found inside a longer known term there."""
        spans = [(m.start(), m.start() + len(term), term) for term in present if term in self._single_terms
                 for m in re.finditer(re.escape(term), text)]
        return {term for start, end, term in spans
                if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans)}
