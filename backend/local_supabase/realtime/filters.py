"""postgres_changes filters: `column=op.value`, several joined by commas (AND), each negatable with `not.`.

Operators as upstream Realtime accepts them: eq neq lt lte gt gte in like ilike is
match imatch isdistinct. Values are read as the column's type (from the catalog)
at join time, so `id=eq.abc` on a bigint column is refused then, not ignored later.
Comparisons follow SQL: anything compared with NULL is unknown, and unknown never matches.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .catalog import TableMeta

OPERATORS = frozenset({"eq", "neq", "lt", "lte", "gt", "gte", "in", "like", "ilike", "is", "match", "imatch", "isdistinct"})


class FilterError(ValueError):
    pass


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("t", "true", "y", "yes", "on", "1"):
        return True
    if low in ("f", "false", "n", "no", "off", "0"):
        return False
    raise ValueError(text)


def _timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip())
    # Naive and aware values cannot be compared in Python; PostgreSQL would read a naive one in UTC here.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


_PARSERS: dict[str, Callable[[str], Any]] = {
    **{t: int for t in ("int2", "int4", "int8", "oid")},
    **{t: float for t in ("float4", "float8")},
    "numeric": Decimal,
    "bool": _bool,
    "uuid": uuid.UUID,
    "timestamptz": _timestamp,
    "timestamp": _timestamp,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
}


def _coerce(typname: str, value: Any) -> Any:
    """A filter string or a record value (JSON) as a comparable Python value of the column's type."""
    if value is None:
        return None
    parse = _PARSERS.get(typname)
    if parse is None:
        return value if isinstance(value, str) else _json_text(value)
    if typname == "numeric" and isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, bool) and typname == "bool":
        return value
    if isinstance(value, (int, float)) and parse in (int, float):
        return value
    return parse(str(value))


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _like(pattern: str, flags: int) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), flags | re.DOTALL)


@dataclass(frozen=True)
class Condition:
    column: str
    typname: str
    op: str
    negate: bool
    value: Any  # coerced value, a tuple for `in`, a compiled pattern, or the `is` keyword

    def test(self, record: dict[str, Any]) -> bool:
        result = self._raw(record)
        if result is None:
            return False
        return not result if self.negate else result

    def _raw(self, record: dict[str, Any]) -> bool | None:
        try:
            actual = _coerce(self.typname, record.get(self.column))
        except (ValueError, TypeError, InvalidOperation):
            return None
        op = self.op
        if op == "is":
            return {"null": actual is None, "not_null": actual is not None,
                    "true": actual is True, "false": actual is False, "unknown": actual is None}[self.value]
        if op == "isdistinct":
            return actual != self.value
        if actual is None:
            return None
        if op == "in":
            return actual in self.value
        if op in ("like", "ilike", "match", "imatch"):
            text = actual if isinstance(actual, str) else str(record.get(self.column))
            found = self.value.fullmatch(text) if op in ("like", "ilike") else self.value.search(text)
            return found is not None
        if self.value is None:
            return None
        try:
            return {"eq": actual == self.value, "neq": actual != self.value, "lt": actual < self.value,
                    "lte": actual <= self.value, "gt": actual > self.value, "gte": actual >= self.value}[op]
        except TypeError:
            return None


@dataclass(frozen=True)
class Filter:
    conditions: tuple[Condition, ...]

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(c.column for c in self.conditions)

    def test(self, record: dict[str, Any] | None) -> bool:
        return record is not None and all(c.test(record) for c in self.conditions)


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses and double quotes: `a=in.(1,2),b=eq.x` is two conditions."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _in_values(text: str) -> list[str]:
    if not (text.startswith("(") and text.endswith(")")):
        raise FilterError(f"`in` needs a list in parentheses, e.g. in.(1,2): {text!r}")
    values = []
    for part in _split(text[1:-1]):
        part = part.strip()
        if len(part) >= 2 and part[0] == part[-1] == '"':
            part = part[1:-1]
        values.append(part)
    return values


def _condition(text: str, table: TableMeta) -> Condition:
    column, sep, rest = text.partition("=")
    column = column.strip()
    if not sep or not column:
        raise FilterError(f"filter must look like column=operator.value: {text!r}")
    col = table.by_name.get(column)
    if col is None:
        raise FilterError(f'column "{column}" does not exist in {table.schema}.{table.name}')
    negate = rest.startswith("not.")
    if negate:
        rest = rest[4:]
    op, dot, raw = rest.partition(".")
    if op not in OPERATORS or not dot:
        raise FilterError(f"unknown filter operator {op!r}; use one of {', '.join(sorted(OPERATORS))}")
    try:
        if op == "is":
            keyword = raw.strip().lower()
            if keyword not in ("null", "not_null", "true", "false", "unknown"):
                raise FilterError(f"`is` takes null, true, false or unknown: {raw!r}")
            value: Any = keyword
        elif op == "in":
            value = tuple(_coerce(col.typname, v) for v in _in_values(raw))
        elif op in ("like", "ilike"):
            value = _like(raw, re.IGNORECASE if op == "ilike" else 0)
        elif op in ("match", "imatch"):
            value = re.compile(raw, re.IGNORECASE if op == "imatch" else 0)
        else:
            value = None if raw.lower() == "null" and op == "isdistinct" else _coerce(col.typname, raw)
    except FilterError:
        raise
    except (ValueError, TypeError, InvalidOperation, re.error):
        raise FilterError(f'invalid input for type {col.typname} in filter on "{column}": {raw!r}') from None
    return Condition(column, col.typname, op, negate, value)


def parse_filter(text: str, table: TableMeta) -> Filter:
    if not isinstance(text, str) or not text.strip():
        raise FilterError("filter must be a non-empty string")
    return Filter(tuple(_condition(part, table) for part in _split(text)))
