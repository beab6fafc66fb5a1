"""From an HTTP request to what it asks: query string, Prefer, Range and Accept headers.

Only syntax here (`QueryParams` is names and strings); `plan.py` resolves it against the schema cache."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.requests import Request

from . import parser as p
from .errors import ApiError, parse_error

OBJECT_MEDIA = "application/vnd.pgrst.object+json"
_RANGE_RE = re.compile(r"^\s*(?:items\s*=\s*)?(\d+)-(\d*)\s*$")

Filter = p.Condition | p.Logic


@dataclass
class EmbedParams:
    """Filters, order and paging that apply inside one embedded resource (`rel.col=...`)."""

    filters: list[Filter] = field(default_factory=list)
    order: list[p.OrderTerm] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    existence: list[bool] = field(default_factory=list)  # rel=is.null -> False, rel=not.is.null -> True


@dataclass
class QueryParams:
    """The query string (and Range header) parsed, names not yet checked."""

    select: list[p.SelectItem]
    filters: list[Filter] = field(default_factory=list)
    order: list[p.OrderTerm] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    embeds: dict[str, EmbedParams] = field(default_factory=dict)


@dataclass
class Prefer:
    return_: str = "minimal"
    count: str | None = None
    resolution: str | None = None
    missing_default: bool = False
    max_affected: int | None = None
    raw: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, request: Request, default_return: str) -> "Prefer":
        prefs = cls(return_=default_return)
        for header in request.headers.getlist("prefer"):
            for token in header.split(","):
                key, _, value = token.strip().partition("=")
                key, value = key.strip().lower(), value.strip()
                prefs.raw.append(f"{key}={value}" if value else key)
                if key == "return" and value in ("minimal", "representation", "headers-only"):
                    prefs.return_ = value
                elif key == "count" and value in ("exact", "planned", "estimated"):
                    prefs.count = value
                elif key == "resolution" and value in ("merge-duplicates", "ignore-duplicates"):
                    prefs.resolution = value
                elif key == "missing" and value == "default":
                    prefs.missing_default = True
                elif key == "max-affected":
                    try:
                        prefs.max_affected = int(value)
                    except ValueError:
                        raise parse_error(f"max-affected must be a number, got {value!r}") from None
        return prefs

    @property
    def representation(self) -> bool:
        return self.return_ == "representation"


@dataclass
class Accept:
    single: bool = False
    csv: bool = False
    strip_nulls: bool = False

    @classmethod
    def parse(cls, request: Request) -> "Accept":
        header = request.headers.get("accept", "*/*") or "*/*"
        out = cls()
        for media in header.split(","):
            main, *params = [x.strip() for x in media.split(";")]
            main = main.lower()
            if "nulls=stripped" in params:
                out.strip_nulls = True
            if main in (OBJECT_MEDIA, "application/vnd.pgrst.object"):
                out.single = True
                return out
            if main == "text/csv":
                out.csv = True
                return out
            if main in ("application/json", "*/*", "application/*", "application/vnd.pgrst.array+json", ""):
                return out
        raise ApiError(406, "PGRST107", f"None of these media types are available: {header}")


def query_params(request: Request, *, skip: set[str] = frozenset()) -> QueryParams:
    """Query string -> QueryParams. `skip` holds keys consumed elsewhere (RPC arguments)."""
    q = request.query_params
    plan = QueryParams(select=p.parse_select(q.get("select")))
    embed_names = _embed_keys(plan.select)
    for key, value in q.multi_items():
        if key in skip or key in ("select", "columns", "on_conflict", "apikey"):
            continue
        if key == "order":
            plan.order = p.parse_order(value)
        elif key == "limit":
            plan.limit = _min(plan.limit, p.parse_int("limit", value))
        elif key == "offset":
            plan.offset = p.parse_int("offset", value)
        elif key in ("or", "and", "not.or", "not.and"):
            plan.filters.append(p.parse_logic(key, value))
        else:
            prefix, rest = _split_embed_key(key, embed_names)
            if prefix is not None:
                opts = plan.embeds.setdefault(prefix, EmbedParams())
                _embed_param(opts, rest, value)
            elif key in embed_names:
                opts = plan.embeds.setdefault(key, EmbedParams())
                if value == "is.null":
                    opts.existence.append(False)
                elif value == "not.is.null":
                    opts.existence.append(True)
                else:
                    raise parse_error(f"an embedded resource can only be filtered with is.null or not.is.null: {key}")
            else:
                plan.filters.append(p.parse_condition(key, value))
    _apply_range_header(request, plan)
    return plan


def _embed_param(opts: EmbedParams, rest: str, value: str) -> None:
    if rest == "order":
        opts.order = p.parse_order(value)
    elif rest == "limit":
        opts.limit = p.parse_int("limit", value)
    elif rest == "offset":
        opts.offset = p.parse_int("offset", value)
    elif rest in ("or", "and", "not.or", "not.and"):
        opts.filters.append(p.parse_logic(rest, value))
    else:
        opts.filters.append(p.parse_condition(rest, value))


def _embed_keys(items: list[p.SelectItem], path: str = "") -> set[str]:
    keys: set[str] = set()
    for item in items:
        if isinstance(item, p.SelectEmbed):
            key = path + (item.alias or item.name)
            keys.add(key)
            if item.alias:
                keys.add(path + item.name)
            keys |= _embed_keys(item.items, key + ".")
    return keys


def _split_embed_key(key: str, embed_names: set[str]) -> tuple[str | None, str]:
    """`rel.col` -> ('rel', 'col') when `rel` is embedded; the longest embedded prefix wins."""
    best = None
    for name in embed_names:
        if key.startswith(name + ".") and (best is None or len(name) > len(best)):
            best = name
    if best is None:
        return None, key
    return best, key[len(best) + 1:]


def _min(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)


def _apply_range_header(request: Request, plan: QueryParams) -> None:
    header = request.headers.get("range")
    if not header or request.method not in ("GET", "HEAD"):
        return
    unit = request.headers.get("range-unit", "items")
    if unit != "items":
        return
    m = _RANGE_RE.match(header)
    if not m:
        raise ApiError(416, "PGRST103", "Requested range not satisfiable", f"could not parse Range header {header!r}")
    # More digits than a bigint holds is bad input (400), not a range to intersect.
    if len(m.group(1)) > 19 or len(m.group(2)) > 19 or int(m.group(1)) > p.MAX_INT or int(m.group(2) or 0) > p.MAX_INT:
        raise ApiError(400, "PGRST103", "Requested range not satisfiable",
                       f"the Range header's numbers must be at most {p.MAX_INT}")
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else None
    if end is not None and end < start:
        raise ApiError(416, "PGRST103", "Requested range not satisfiable", "the range's end is before its start")
    # Intersect with limit/offset from the query string, as PostgREST does.
    plan.offset = max(plan.offset, start)
    if end is not None:
        plan.limit = _min(plan.limit, end - start + 1)
