"""Parse PostgREST's query language: select lists, filters, logic trees, ordering.

The result is a small syntax tree of names and strings, read off the tokens of
`tokens.py`. Nothing here knows the schema or SQL: `plan.py` checks every name
against the schema cache, `builder.py` renders the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, Union

from .errors import ApiError, parse_error
from .tokens import QUOTED, WORD, Token, find, name_of, raw, split, tokenize

OPERATORS = {
    "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "is", "isdistinct",
    "in", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj", "fts", "plfts", "phfts", "wfts",
}
# Operators taking a modifier in parentheses: like(any), fts(english)...
QUANTIFIABLE = {"eq", "like", "ilike", "gt", "gte", "lt", "lte", "match", "imatch"}
FTS = {"fts", "plfts", "phfts", "wfts"}
# Nesting limits for embeds and logic trees: deeper requests are refused with a 400
# instead of exhausting Python's recursion limit while parsing or building SQL.
MAX_DEPTH = 32
# A select or order list longer than this is refused with a 400: PostgreSQL's target lists hold at most
# 1664 entries (MaxTupleAttributeNumber, error 54011), sort keys included, and the builder adds its own.
MAX_LIST_ITEMS = 1000
# LIMIT, OFFSET and ranges are bigints in SQL.
MAX_INT = 2**63 - 1


@dataclass(frozen=True)
class Field:
    """A column, optionally followed by a JSON path: `data->a->>b` is Field('data', (('->','a'),('->>','b')))."""

    name: str
    json_path: tuple[tuple[str, str], ...] = ()

    @property
    def default_alias(self) -> str:
        if self.json_path:
            key = self.json_path[-1][1]
            return key
        return self.name


@dataclass(frozen=True)
class SelectColumn:
    field: Field
    alias: str | None = None
    cast: str | None = None


@dataclass
class SelectEmbed:
    name: str
    alias: str | None = None
    hint: str | None = None
    inner: bool = False
    items: list["SelectItem"] = field(default_factory=list)


@dataclass(frozen=True)
class SelectStar:
    pass


SelectItem = Union[SelectColumn, SelectEmbed, SelectStar]


@dataclass(frozen=True)
class Condition:
    field: Field
    operator: str
    value: str
    negated: bool = False
    modifier: str | None = None  # any / all for quantified ops, the text search config for fts


@dataclass
class Logic:
    operator: str  # "and" | "or"
    children: list[Union["Logic", Condition]]
    negated: bool = False


@dataclass(frozen=True)
class OrderTerm:
    field: Field
    descending: bool = False
    nulls: str | None = None  # "first" | "last"
    relation: str | None = None  # order by a to-one embed's column: rel(col)


# ---------------------------------------------------------------- fields

def _check_name(name: str, what: str = "name") -> str:
    if not name or "\x00" in name:
        raise parse_error(f"empty or invalid {what}")
    return name


def parse_field(text: str) -> Field:
    """`col`, `"quoted col"`, `data->key->>0`."""
    return _field(text, tokenize(text))


def _field(text: str, toks: Sequence[Token]) -> Field:
    if len(toks) == 1 and toks[0].kind == WORD:  # a plain column name, the usual case
        return Field(_check_name(toks[0].text, "column name"))
    pieces: list[list[Token]] = [[]]
    arrows: list[str] = []
    for tok in toks:
        if tok.kind in ("->", "->>"):
            arrows.append(tok.kind)
            pieces.append([])
        else:
            pieces[-1].append(tok)
    path = []
    for arrow, piece in zip(arrows, pieces[1:]):
        key = _path_part(text, piece)
        if key == "":
            raise parse_error(f"empty JSON key in {text!r}")
        path.append((arrow, key))
    return Field(_check_name(_path_part(text, pieces[0]), "column name"), tuple(path))


def _path_part(text: str, piece: Sequence[Token]) -> str:
    if piece and piece[0].kind == QUOTED:
        if len(piece) > 1:
            raise parse_error(f"failed to parse JSON path in {text!r}")
        return piece[0].value
    return raw(text, piece)


# ---------------------------------------------------------------- select

def parse_select(text: str | None) -> list[SelectItem]:
    if text is None or text == "*" or text.strip() == "":
        return [SelectStar()]
    return _select_list(text, tokenize(text), 0)


def _select_list(text: str, toks: Sequence[Token], depth: int) -> list[SelectItem]:
    if depth > MAX_DEPTH:
        raise parse_error(f"embedded resources are nested more than {MAX_DEPTH} levels deep")
    parts = split(text, toks)
    _check_list_length("select", len(parts))
    items: list[SelectItem] = []
    for part in parts:
        if not part:
            raise parse_error(f'"failed to parse select parameter ({text})"', "empty item in select")
        items.append(_select_item(text, part, depth))
    return items


def _select_item(text: str, toks: Sequence[Token], depth: int) -> SelectItem:
    if len(toks) == 1 and toks[0].text == "*":
        return SelectStar()
    if toks[0].kind == "...":
        raise parse_error("spread embedding (...) is not supported by the local stack")
    alias = None
    # alias:rest - the first `:` before any `(`; a `::` first means a cast, not an alias.
    mark = find(toks, "(", ":", "::")
    if mark >= 0 and toks[mark].kind == ":":
        alias = _check_name(name_of(text, toks[:mark]), "alias")
        toks = toks[mark + 1:]
        if not toks:
            raise parse_error("empty or invalid column name")
    if toks[-1].kind == ")" and toks[0].kind != QUOTED and find(toks, "(") >= 0:
        return _embed(text, toks, alias, depth)
    cast = None
    casts = [i for i, tok in enumerate(toks) if tok.kind == "::"]
    if casts:
        cast = raw(text, toks[casts[-1] + 1:])
        if not cast:
            raise parse_error("empty cast in select")
        toks = toks[:casts[-1]]
    return SelectColumn(_field(text, toks), alias, cast)


def _embed(text: str, toks: Sequence[Token], alias: str | None, depth: int) -> SelectEmbed:
    """`name!hint!inner(items)`."""
    open_at = find(toks, "(")
    head, inner = toks[:open_at], toks[open_at + 1:-1]
    parts = split(text, head, "!")
    name = name_of(text, parts[0])
    hint = None
    inner_join = False
    for part in parts[1:]:
        word = name_of(text, part)
        if word == "inner":
            inner_join = True
        elif word == "left":
            inner_join = False
        elif word:
            hint = word
    if name.endswith(")") or name == "":
        raise parse_error(f"failed to parse select item {raw(text, toks)!r}")
    if name in ("count", "sum", "avg", "min", "max"):
        raise ApiError(400, "PGRST123", "Use of aggregate functions is not allowed")
    items = _select_list(text, inner, depth + 1) if inner else [SelectStar()]
    return SelectEmbed(_check_name(name, "relation"), alias, hint, inner_join, items)


# ---------------------------------------------------------------- filters

def parse_condition(field_text: str, value: str) -> Condition:
    """`col` + `not.in.(1,2)`: the value after the operator is free text, taken as written."""
    return _condition(parse_field(field_text), value)


def _condition(f: Field, value: str) -> Condition:
    negated = False
    if value.startswith("not."):
        negated, value = True, value[4:]
    op, dot, rest = value.partition(".")
    if not dot:
        raise parse_error(f'"failed to parse filter ({value})"', f"unexpected end of input in {value!r}")
    modifier = None
    toks = tokenize(op) if "(" in op else ()
    if len(toks) >= 3 and toks[0].kind == WORD and toks[1].kind == "(" and toks[-1].kind == ")":
        op, modifier = toks[0].text, raw(op, toks[2:-1])
        if op not in QUANTIFIABLE and op not in FTS:
            raise parse_error(f"operator {op} takes no modifier")
        if op in QUANTIFIABLE and modifier not in ("any", "all"):
            raise parse_error(f"modifier must be any or all, got {modifier!r}")
        if op in FTS and not modifier:
            raise parse_error("empty text search configuration")
    if op not in OPERATORS:
        raise parse_error(f'"failed to parse filter ({value})"', f"unknown operator {op!r}")
    return Condition(f, op, rest, negated, modifier)


def parse_logic(key: str, value: str) -> Logic:
    """`or=(a.eq.1,and(b.gt.2,c.is.null))`, `not.and=(...)`."""
    negated = False
    if key.startswith("not."):
        negated, key = True, key[4:]
    if key not in ("and", "or"):
        raise parse_error(f"unknown logic operator {key!r}")
    toks = tokenize(value)
    if not (value.startswith("(") and value.endswith(")") and toks[-1].kind == ")"):
        raise parse_error(f'"failed to parse logic tree ({value})"', "expected a parenthesised list")
    return Logic(key, _logic_items(value, toks[1:-1]), negated)


def _logic_items(text: str, toks: Sequence[Token], depth: int = 0) -> list[Union[Logic, Condition]]:
    if depth > MAX_DEPTH:
        raise parse_error(f"logic tree nested more than {MAX_DEPTH} levels deep")
    children: list[Union[Logic, Condition]] = []
    # Values may be PostgreSQL arrays with commas inside: `or=(tags.cs.{a,b},id.eq.1)`.
    for part in split(text, toks, braces=True):
        if not part:
            raise parse_error("empty condition in logic tree")
        probe = part
        negated = _is_not(text, probe)
        if negated:
            probe = probe[2:]
        if (len(probe) >= 3 and probe[0].kind == WORD and probe[0].text in ("and", "or")
                and probe[1].kind == "(" and probe[1].start == probe[0].end and probe[-1].kind == ")"):
            children.append(Logic(probe[0].text, _logic_items(text, probe[2:-1], depth + 1), negated))
        else:
            children.append(_logic_condition(text, part))
    return children


def _is_not(text: str, toks: Sequence[Token]) -> bool:
    """The tokens start with `not.` (written together)."""
    return (len(toks) >= 2 and toks[0].kind == WORD and toks[0].text == "not"
            and toks[1].kind == "." and toks[1].start == toks[0].end)


def _logic_condition(text: str, toks: Sequence[Token]) -> Condition:
    # field.op.value, where the field may be quoted and may carry a JSON path.
    dot = _first_dot(toks, 0)
    if dot < 0:
        raise parse_error(f"failed to parse condition {raw(text, toks)!r}")
    return _condition(_field(text, toks[:dot]), _logic_value(text, toks[dot + 1:]))


def _first_dot(toks: Sequence[Token], start: int) -> int:
    for i in range(start, len(toks)):
        if toks[i][0] == ".":
            return i
    return -1


def _logic_value(text: str, toks: Sequence[Token]) -> str:
    """`[not.]op.operand`, the operand unquoted when it is one quoted value (to hold commas or parentheses)."""
    start = 2 if _is_not(text, toks) else 0  # one negation at most; `_condition` refuses a second
    dot = _first_dot(toks, start)
    operand = toks[dot + 1:] if dot >= 0 else []
    if len(operand) == 1 and operand[0].kind == QUOTED:
        return text[toks[0].start:toks[dot].end] + operand[0].value
    return raw(text, toks)


def parse_list(value: str) -> list[str | None]:
    """`(a,"b,c",null)` for the `in` operator."""
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error(f'"failed to parse filter (in.{value})"', "in expects a parenthesised list")
    toks = tokenize(value)
    if toks[-1].kind != ")":
        raise parse_error(f'"failed to parse filter (in.{value})"', "in expects a parenthesised list")
    body = toks[1:-1]
    if not body:
        return []
    return [name_of(value, item) for item in split(value, body)]


def parse_array(value: str) -> list[str | None]:
    """`{a,"b c",NULL}` (PostgreSQL array literal, as supabase-py sends `like(any)`) or `(a,b)`."""
    if not ((value.startswith("{") and value.endswith("}")) or (value.startswith("(") and value.endswith(")"))):
        raise parse_error(f"expected a list like {{a,b}}, got {value!r}")
    toks = tokenize(value)
    if toks[-1].kind not in ("}", ")"):
        raise parse_error(f"expected a list like {{a,b}}, got {value!r}")
    body = toks[1:-1]
    if not body:
        return []
    items: list[str | None] = []
    for item in split(value, body):
        text = name_of(value, item)
        items.append(None if text.upper() == "NULL" and not (len(item) == 1 and item[0].kind == QUOTED) else text)
    return items


# ---------------------------------------------------------------- order

def _check_list_length(name: str, count: int) -> None:
    if count > MAX_LIST_ITEMS:
        raise parse_error(f"{name} has {count} items; at most {MAX_LIST_ITEMS} are allowed")


def parse_order(text: str) -> list[OrderTerm]:
    terms = []
    parts = split(text, tokenize(text))
    _check_list_length("order", len(parts))
    for toks in parts:
        if not toks:
            raise parse_error(f'"failed to parse order ({text})"')
        relation = None
        open_at = find(toks, "(")
        if open_at >= 0 and toks[0].kind != QUOTED:  # rel(col).desc
            close = next(i for i in range(open_at, len(toks)) if toks[i].kind == ")")
            relation, toks = raw(text, toks[:open_at]), toks[open_at + 1:close] + toks[close + 1:]
        if any(tok.kind == "..." for tok in toks):
            raise parse_error(f'"failed to parse order ({text})"', "unexpected ...")
        pieces = split(text, toks, ".")
        f = _field(text, pieces[0])
        desc, nulls = False, None
        for piece in pieces[1:]:
            mod = raw(text, piece)
            if mod == "asc":
                desc = False
            elif mod == "desc":
                desc = True
            elif mod == "nullsfirst":
                nulls = "first"
            elif mod == "nullslast":
                nulls = "last"
            else:
                raise parse_error(f'"failed to parse order ({text})"', f"unknown modifier {mod!r}")
        terms.append(OrderTerm(f, desc, nulls, relation))
    return terms


def parse_int(name: str, value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise parse_error(f'"failed to parse {name} parameter ({value})"') from None
    if n < 0:
        raise parse_error(f"{name} must not be negative")
    if n > MAX_INT:
        raise parse_error(f"{name} must be at most {MAX_INT}")
    return n


def parse_columns(text: str) -> list[str]:
    """`?columns=a,"b c"` and `?on_conflict=`."""
    return [name_of(text, part) for part in split(text, tokenize(text)) if part]
