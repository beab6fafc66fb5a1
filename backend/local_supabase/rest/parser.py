"""Parse PostgREST's query language: select lists, filters, logic trees, ordering.

The result is a small syntax tree of names and strings. Nothing here knows SQL;
`builder.py` checks every name against the schema cache before using it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .errors import ApiError, parse_error

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


# ---------------------------------------------------------------- helpers

def split_top(text: str, sep: str = ",", *, braces: bool = False) -> list[str]:
    """Split on `sep` outside parentheses and double quotes (and `{...}` arrays when `braces`)."""
    parts: list[str] = []
    depth = 0
    brace_depth = 0
    quoted = False
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            buf.append(ch)
            if ch == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            buf.append(ch)
        elif ch == "(":
            depth += 1
            buf.append(ch)
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise parse_error(f'"failed to parse": unexpected ")" in {text!r}')
            buf.append(ch)
        elif braces and ch in "{}":
            brace_depth += 1 if ch == "{" else -1
            if brace_depth < 0:
                raise parse_error(f'"failed to parse": unexpected "}}" in {text!r}')
            buf.append(ch)
        elif ch == sep and depth == 0 and brace_depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if quoted:
        raise parse_error(f"unterminated double quote in {text!r}")
    if depth != 0:
        raise parse_error(f"unbalanced parentheses in {text!r}")
    if brace_depth != 0:
        raise parse_error(f"unbalanced braces in {text!r}")
    parts.append("".join(buf))
    return parts


def unquote(token: str) -> str:
    """`"a \\"b\\""` -> `a "b"`; bare tokens are returned unchanged."""
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        body = token[1:-1]
        out = []
        i = 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 2
            else:
                out.append(body[i])
                i += 1
        return "".join(out)
    return token


def _check_name(name: str, what: str = "name") -> str:
    if not name or "\x00" in name:
        raise parse_error(f"empty or invalid {what}")
    return name


def parse_field(text: str) -> Field:
    """`col`, `"quoted col"`, `data->key->>0`."""
    text = text.strip()
    if text.startswith('"'):
        end = _closing_quote(text, 0)
        name = unquote(text[: end + 1])
        rest = text[end + 1:]
    else:
        idx = text.find("->")
        name, rest = (text, "") if idx < 0 else (text[:idx], text[idx:])
    path = []
    while rest:
        if rest.startswith("->>"):
            op, rest = "->>", rest[3:]
        elif rest.startswith("->"):
            op, rest = "->", rest[2:]
        else:
            raise parse_error(f"failed to parse JSON path in {text!r}")
        if rest.startswith('"'):
            end = _closing_quote(rest, 0)
            key, rest = unquote(rest[: end + 1]), rest[end + 1:]
        else:
            idx = rest.find("->")
            key, rest = (rest, "") if idx < 0 else (rest[:idx], rest[idx:])
        if key == "":
            raise parse_error(f"empty JSON key in {text!r}")
        path.append((op, key))
    return Field(_check_name(name, "column name"), tuple(path))


def _closing_quote(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    raise parse_error(f"unterminated double quote in {text!r}")


# ---------------------------------------------------------------- select

def parse_select(text: str | None, depth: int = 0) -> list[SelectItem]:
    if depth > MAX_DEPTH:
        raise parse_error(f"embedded resources are nested more than {MAX_DEPTH} levels deep")
    if text is None or text.strip() == "":
        return [SelectStar()]
    items: list[SelectItem] = []
    raws = split_top(text)
    _check_list_length("select", len(raws))
    for raw in raws:
        raw = raw.strip()
        if raw == "":
            raise parse_error(f'"failed to parse select parameter ({text})"', "empty item in select")
        items.append(_parse_select_item(raw, depth))
    return items


def _parse_select_item(raw: str, depth: int) -> SelectItem:
    if raw == "*":
        return SelectStar()
    if raw.startswith("..."):
        raise parse_error("spread embedding (...) is not supported by the local stack")
    alias = None
    # alias:rest — the colon must be outside quotes and not part of "::".
    colon = _alias_colon(raw[:_first_unquoted(raw, "(")])
    if colon is not None:
        alias, raw = unquote(raw[:colon].strip()), raw[colon + 1:].strip()
        _check_name(alias, "alias")
    if raw.endswith(")") and "(" in raw and not raw.startswith('"'):
        open_idx = raw.index("(")
        head, inner = raw[:open_idx], raw[open_idx + 1: -1]
        parts = head.split("!")
        name = unquote(parts[0].strip())
        hint = None
        inner_join = False
        for p in parts[1:]:
            p = p.strip()
            if p == "inner":
                inner_join = True
            elif p == "left":
                inner_join = False
            elif p:
                hint = unquote(p)
        if name.endswith(")") or name == "":
            raise parse_error(f"failed to parse select item {raw!r}")
        if name in ("count", "sum", "avg", "min", "max"):
            raise ApiError(400, "PGRST123", "Use of aggregate functions is not allowed")
        items = parse_select(inner, depth + 1) if inner.strip() else [SelectStar()]
        return SelectEmbed(_check_name(name, "relation"), alias, hint, inner_join, items)
    cast = None
    at = _last_unquoted_cast(raw)
    if at is not None:
        raw, cast = raw[:at], raw[at + 2:].strip()
        if not cast:
            raise parse_error("empty cast in select")
    return SelectColumn(parse_field(raw), alias, cast)


def _last_unquoted_cast(text: str) -> int | None:
    """Index of the last `::` outside double quotes (`"a::b"::text` casts the column `a::b`)."""
    quoted, found, i = False, None, 0
    while i < len(text):
        if text[i] == "\\" and quoted:
            i += 2
            continue
        if text[i] == '"':
            quoted = not quoted
        elif text.startswith("::", i) and not quoted:
            found = i
            i += 1
        i += 1
    return found


def _first_unquoted(text: str, ch: str) -> int:
    """Index of the first `ch` outside double quotes, or len(text)."""
    quoted = False
    for i, c in enumerate(text):
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            return i
    return len(text)


def _alias_colon(text: str) -> int | None:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            if text[i + 1: i + 2] == ":" or text[i - 1: i] == ":":
                return None
            return i
    return None


# ---------------------------------------------------------------- filters

def parse_condition(field_text: str, value: str) -> Condition:
    """`col` + `not.in.(1,2)`."""
    f = parse_field(field_text)
    negated = False
    if value.startswith("not."):
        negated, value = True, value[4:]
    op, dot, rest = value.partition(".")
    if not dot:
        raise parse_error(f'"failed to parse filter ({value})"', f"unexpected end of input in {value!r}")
    modifier = None
    if "(" in op and op.endswith(")"):
        op, modifier = op[: op.index("(")], op[op.index("(") + 1: -1]
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
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error(f'"failed to parse logic tree ({value})"', "expected a parenthesised list")
    return Logic(key, _parse_logic_items(value[1:-1]), negated)


def _parse_logic_items(body: str, depth: int = 0) -> list[Union[Logic, Condition]]:
    if depth > MAX_DEPTH:
        raise parse_error(f"logic tree nested more than {MAX_DEPTH} levels deep")
    children: list[Union[Logic, Condition]] = []
    # Values may be PostgreSQL arrays with commas inside: `or=(tags.cs.{a,b},id.eq.1)`.
    for raw in split_top(body, braces=True):
        raw = raw.strip()
        if not raw:
            raise parse_error("empty condition in logic tree")
        neg = False
        probe = raw
        if probe.startswith("not."):
            neg, probe = True, probe[4:]
        for op in ("and", "or"):
            if probe.startswith(op + "(") and probe.endswith(")"):
                children.append(Logic(op, _parse_logic_items(probe[len(op) + 1: -1], depth + 1), neg))
                break
        else:
            children.append(_parse_logic_condition(raw))
    return children


def _parse_logic_condition(raw: str) -> Condition:
    # field.op.value, where field may be quoted and may carry a JSON path.
    if raw.startswith('"'):
        end = _closing_quote(raw, 0)
        j = raw.find(".", end)
        if j < 0:
            raise parse_error(f"failed to parse condition {raw!r}")
        field_text, value = raw[:j], raw[j + 1:]
    else:
        field_text, dot, value = raw.partition(".")
        if not dot:
            raise parse_error(f"failed to parse condition {raw!r}")
    value = _unquote_value(value)
    return parse_condition(field_text, value)


def _unquote_value(value: str) -> str:
    """In logic trees the value may be double-quoted to hold commas or parentheses."""
    if value.startswith("not."):  # one negation at most; `parse_condition` refuses a second
        return "not." + _unquote_operand(value[4:])
    return _unquote_operand(value)


def _unquote_operand(value: str) -> str:
    op, dot, rest = value.partition(".")
    if dot and rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
        return f"{op}.{unquote(rest)}"
    return value


def parse_list(value: str) -> list[str | None]:
    """`(a,"b,c",null)` for the `in` operator."""
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error(f'"failed to parse filter (in.{value})"', "in expects a parenthesised list")
    body = value[1:-1]
    if body.strip() == "":
        return []
    out: list[str | None] = []
    for item in split_top(body):
        item = item.strip()
        out.append(unquote(item) if item.startswith('"') else item)
    return out


# ---------------------------------------------------------------- order

def _check_list_length(name: str, count: int) -> None:
    if count > MAX_LIST_ITEMS:
        raise parse_error(f"{name} has {count} items; at most {MAX_LIST_ITEMS} are allowed")


def parse_order(text: str) -> list[OrderTerm]:
    terms = []
    raws = split_top(text)
    _check_list_length("order", len(raws))
    for raw in raws:
        raw = raw.strip()
        if not raw:
            raise parse_error(f'"failed to parse order ({text})"')
        relation = None
        if "(" in raw and not raw.startswith('"'):
            rel, _, rest = raw.partition("(")
            col, close, suffix = rest.partition(")")
            if not close:
                raise parse_error(f"failed to parse order term {raw!r}")
            relation, raw = rel, col + suffix
        parts = _split_order_modifiers(raw)
        f = parse_field(parts[0])
        desc, nulls = False, None
        for mod in parts[1:]:
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


def _split_order_modifiers(raw: str) -> list[str]:
    if raw.startswith('"'):
        end = _closing_quote(raw, 0)
        head, tail = raw[: end + 1], raw[end + 1:]
        # a JSON path may follow the quoted name
        j = tail.find(".")
        if j < 0:
            return [head + tail]
        return [head + tail[:j]] + [m for m in tail[j + 1:].split(".")]
    parts = raw.split(".")
    return parts


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
    return [unquote(c.strip()) for c in split_top(text) if c.strip()]
