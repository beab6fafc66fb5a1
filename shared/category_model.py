"""What residents' own descriptions teach the suggester: a naive Bayes model over their words.

Why: keywords alone fit the descriptions they were written for and miss the next
resident's words (the bench showed 0.95 on the tuned set, 0.77 on descriptions
written later). Each item's known words (name and keywords) and the labelled
residents' descriptions in assets/taxonomy/descriptions.csv are pooled into one
bag of features per item: Chinese characters and character pairs, English content
words (category_suggest.features). `posterior` says how likely each item is
given a text's features. The labelled set's held-out rows (tests/data) are never
learnt from, so the bench measures what generalises.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Callable, Iterable, Mapping

Example = tuple[str, str]  # description, item code
Featurise = Callable[[str], list[str]]  # a normalised text's features, with repeats

# Laplace smoothing: small, so a feature seen with an item weighs much more than one never seen with it.
_SMOOTHING = 0.01
# Naive Bayes counts every feature as independent evidence, so its posteriors are far too sure; the log
# probabilities are divided by this before normalising, which leaves runners-up a say (cross-validated
# on the learnt-from descriptions: better top-1 and top-3 than 1 or 4).
_TEMPERATURE = 2.0


class DescriptionModel:
    """Multinomial naive Bayes over items; counts are kept sparse, so a text costs its features, not 239 items."""

    def __init__(self, known_words: Mapping[str, str], examples: Iterable[Example], featurise: Featurise):
        """`known_words`: each item code's name and keywords as one normalised text; `examples` normalised too."""
        self._featurise = featurise
        counts: dict[str, Counter[str]] = {code: Counter(featurise(text)) for code, text in known_words.items()}
        for text, code in examples:
            if code in counts:
                counts[code].update(featurise(text))
        vocabulary = {f for c in counts.values() for f in c}
        size = len(vocabulary)
        # log P(f | item) = log(count + a) - log(total + a * V): the denominator per item, the numerator's
        # excess over an unseen feature's log(a) per (feature, item) pair that was seen.
        # An unseen feature's log P(f | item), per item: what every known feature of a text starts from.
        self._log_unseen = {code: math.log(_SMOOTHING) - math.log(sum(c.values()) + _SMOOTHING * size)
                            for code, c in counts.items()}
        self._seen: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for code, c in counts.items():
            for f, n in c.items():
                self._seen[f].append((code, math.log(n + _SMOOTHING) - math.log(_SMOOTHING)))

    def knows(self, feature: str) -> bool:
        """Whether `feature` was seen with any item (in its known words or a description)."""
        return feature in self._seen

    def posterior(self, text: str) -> dict[str, float]:
        """P(item | text) for every item (uniform prior); {} when no feature of the text was ever seen."""
        known = Counter(f for f in self._featurise(text) if f in self._seen)
        if not known:
            return {}
        n = sum(known.values())
        log_p = {code: n * unseen for code, unseen in self._log_unseen.items()}
        for f, repeats in known.items():  # a repeated feature once, times its repeats: the keystroke path
            for code, excess in self._seen[f]:
                log_p[code] += repeats * excess
        top = max(log_p.values())
        weights = {code: math.exp((v - top) / _TEMPERATURE) for code, v in log_p.items()}
        total = sum(weights.values())
        return {code: w / total for code, w in weights.items()}
