"""The one tokenizer of PostgREST's query grammar (select lists, filters, logic trees, order terms).

Every quote-aware scan of the parser is a walk over these tokens, so a double quote,
a backslash escape or a parenthesis means the same thing in every parameter. The
grammar follows PostgREST's `ApiRequest/QueryParams.hs`: a quoted value is `"..."`
with `\\` escaping the next character; `,` `(` `)` `.` `:` `!` `{` `}` separate;
`->` `->>` (JSON paths), `::` (casts) and `...` (spreads) are one token each.
Everything else is a word; blanks separate words and are kept only inside a name or a value,
which the parser takes from the request text between its first and last token (`raw`).

Filter values at the top level (`col=eq.<value>`) are free text and are not tokenized;
inside `or=(...)`, `in.(...)` and arrays they are, as in PostgREST.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple, Sequence

from .errors import ApiError

QUOTED = "quoted"
WORD = "word"

# Order matters: the longer symbols first. A word never holds `->` (a lone `-` or `>` is fine);
# a `"` that the first branch cannot close is matched alone, as an error.
_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|\.\.\.|->>|->|::|[(),.:!{}]|(?:[^\s"(),.:!{}\-]|-(?!>))+|"', re.DOTALL)
# Text without any of these is one word (most column names and operators): no scan needed.
_SPECIAL_RE = re.compile(r'[\s"(),.:!{}]|->')
# Each symbol's kind is the symbol itself, this very string object: comparisons stop at identity.
_SYMBOLS = {s: s for s in ("...", "->>", "->", "::", "(", ")", ",", ".", ":", "!", "{", "}")}
_CLOSING = {"(": ")", "{": "}"}


class Token(NamedTuple):
    kind: str  # QUOTED, WORD, or the symbol itself: "(", ")", ",", ".", ":", "::", "!", "->", "->>", "...", "{", "}"
    text: str  # as written in the request
    start: int  # offset in the tokenized text
    end: int

    @property
    def value(self) -> str:
        """A quoted token's content with escapes resolved (`"a \\"b\\""` -> `a "b"`); other tokens as written."""
        if self.kind != QUOTED:
            return self.text
        body = self.text[1:-1]
        return _unescape(body) if "\\" in body else body


_new = tuple.__new__  # builds a Token without NamedTuple's keyword-argument wrapper (the hot path)


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


def syntax_error(text: str, problem: str, position: int) -> ApiError:
    """PGRST100 naming the place: `details` says what is wrong and at which character (0-based)."""
    return ApiError(400, "PGRST100", f'"failed to parse" {text!r}', f"{problem} at position {position}")


# Requests repeat their select lists, orders, keys and operators: the tokens of short texts are kept
# (they are immutable). A bounded cache, and long texts are not kept, so no request can grow it.
CACHED_TEXT_CHARS = 512


def tokenize(text: str) -> tuple[Token, ...]:
    if len(text) <= CACHED_TEXT_CHARS:
        return _tokenize_cached(text)
    return _tokenize(text)


def _tokenize(text: str) -> tuple[Token, ...]:
    if not _SPECIAL_RE.search(text):
        return (_new(Token, (WORD, text, 0, len(text))),) if text else ()
    tokens: list[Token] = []
    append = tokens.append
    for m in _TOKEN_RE.finditer(text):
        s, start = m.group(), m.start()
        kind = _SYMBOLS.get(s)
        if kind is None:
            if s[0] != '"':
                kind = WORD
            elif len(s) > 1:
                kind = QUOTED
            else:
                raise syntax_error(text, "unterminated double quote", start)
        append(_new(Token, (kind, s, start, start + len(s))))
    return tuple(tokens)


_tokenize_cached = functools.lru_cache(maxsize=2048)(_tokenize)


def clear_cache() -> None:
    _tokenize_cached.cache_clear()


def split(text: str, tokens: Sequence[Token], sep: str = ",", *, braces: bool = False) -> list[Sequence[Token]]:
    """Split on `sep` outside parentheses (and `{...}` arrays when `braces`); checks they balance."""
    parts: list[Sequence[Token]] = []
    current: list[Token] = []
    opened: list[Token] = []  # the open brackets, innermost last
    for tok in tokens:
        kind = tok[0]
        if kind is WORD or kind is QUOTED:
            current.append(tok)
            continue
        if kind == "(" or (braces and kind == "{"):
            opened.append(tok)
        elif kind == ")" or (braces and kind == "}"):
            if not opened or _CLOSING[opened[-1].kind] != kind:
                raise syntax_error(text, f'unexpected "{kind}"', tok.start)
            opened.pop()
        elif kind == sep and not opened:
            parts.append(current)
            current = []
            continue
        current.append(tok)
    if opened:
        what = "parenthesis" if opened[-1].kind == "(" else "brace"
        raise syntax_error(text, f"unclosed {what}", opened[-1].start)
    parts.append(current)
    return parts


def raw(text: str, tokens: Sequence[Token]) -> str:
    """The request text the tokens came from."""
    return text[tokens[0].start:tokens[-1].end] if tokens else ""


def name_of(text: str, tokens: Sequence[Token]) -> str:
    """A name as the grammar reads it: one quoted token unescaped, else the text as written."""
    if len(tokens) == 1 and tokens[0].kind == QUOTED:
        return tokens[0].value
    return raw(text, tokens).strip()


def find(tokens: Sequence[Token], *kinds: str, start: int = 0) -> int:
    """Index of the first token of one of `kinds` outside parentheses, or -1."""
    depth = 0
    for i in range(start, len(tokens)):
        kind = tokens[i].kind
        if depth == 0 and kind in kinds:
            return i
        if kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
    return -1
