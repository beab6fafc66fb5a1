"""`/object/list` (folders and files one level below a prefix) and `/object/list-v2` (cursor pages).

Both run as the caller, so a listing only shows the objects (and the folders
made of them) that the caller's SELECT policies let them see, as upstream's
SECURITY INVOKER search functions. Sort columns and directions come from fixed
sets; every value is a bound parameter.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import errors, paths, shapes
from .context import Row, StorageContext, fetch_all

_V1_COLUMNS = {"name", "updated_at", "created_at", "last_accessed_at"}
_V2_COLUMNS = {"name", "updated_at", "created_at"}
MAX_LIMIT = 10000
MAX_LIMIT_V2 = 1000

# Rows whose name starts with prefix+search (case-insensitive, as upstream), cut at the next "/":
# a cut row is a folder (one entry per folder, no id), an uncut one a file.
_V1_ENTRIES = """
with matched as (
  select substr(name, %(start)s) as rest, id, updated_at, created_at, last_accessed_at, metadata
  from storage.objects
  where bucket_id = %(bucket)s and starts_with(lower(name), lower(%(match)s))
), entries as (
  select split_part(rest, '/', 1) as name, null::uuid as id, null::timestamptz as updated_at,
         null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata
  from matched where strpos(rest, '/') > 0 group by 1
  union all
  select rest, id, updated_at, created_at, last_accessed_at, metadata
  from matched where strpos(rest, '/') = 0
)
select name, id, updated_at, created_at, last_accessed_at, metadata from entries
"""


async def list_objects(request: Request) -> Response:
    bucket = paths.bucket_id(request.path_params["bucket"])
    ctx = StorageContext(request)
    data = await ctx.json()
    prefix = data.get("prefix")
    if not isinstance(prefix, str):
        raise errors.invalid_request("body must have required property 'prefix'")
    search = data.get("search") or ""
    if not isinstance(search, str):
        raise errors.invalid_request("search must be a string")
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # a prefix is always a folder
    column, order = _sort(data.get("sortBy"), _V1_COLUMNS)
    if column == "name":
        # Folders sort as their name plus "/", as upstream's name-ordered scan meets them.
        order_by = (f"(case when id is null then lower(name) || '/' else lower(name) end) collate \"C\" {order}")
    else:
        order_by = f"(id is null) desc, (case when id is null then name end) {order}, {column} {order}, name"
    params = {
        "bucket": bucket, "start": len(prefix) + 1, "match": prefix + search,
        "limit": _bounded(data.get("limit"), "limit", 100, 1, MAX_LIMIT),
        "offset": _bounded(data.get("offset"), "offset", 0, 0, None),
    }
    async with ctx.as_caller() as conn:
        rows = await fetch_all(conn, _V1_ENTRIES + f" order by {order_by} limit %(limit)s offset %(offset)s", params)
    return JSONResponse([_entry(r) for r in rows])


async def list_objects_v2(request: Request) -> Response:
    bucket = paths.bucket_id(request.path_params["bucket"])
    ctx = StorageContext(request)
    data = await ctx.json()
    prefix = data.get("prefix") or ""
    if not isinstance(prefix, str):
        raise errors.invalid_request("prefix must be a string")
    delimiter = bool(data.get("with_delimiter"))
    column, order = _sort(data.get("sortBy"), _V2_COLUMNS)
    if delimiter and column != "name":
        raise errors.invalid_request("with_delimiter lists folders, which sort by name only")
    limit = _bounded(data.get("limit"), "limit", MAX_LIMIT_V2, 1, MAX_LIMIT_V2)
    cursor = _decode_cursor(data.get("cursor"))
    base = prefix[: prefix.rfind("/") + 1]
    params: dict[str, Any] = {"bucket": bucket, "prefix": prefix, "base": base, "start": len(base) + 1,
                              "limit": limit + 1, "cursor": cursor}
    compare = ">" if order == "asc" else "<"
    if delimiter:
        statement = _V2_FOLDERS
        where = f"(%(cursor)s::text is null or name collate \"C\" {compare} %(cursor)s)"
        order_by = f"name collate \"C\" {order}"
    elif column == "name":
        statement = _V2_FLAT
        where = f"(%(cursor)s::text is null or name collate \"C\" {compare} %(cursor)s)"
        order_by = f"name collate \"C\" {order}"
    else:
        statement = _V2_FLAT
        stamp, _, name = (cursor or "").partition("|")
        params.update(stamp=stamp or None, after=name)
        where = (f"(%(stamp)s::text is null or ({column}, name collate \"C\")"
                 f" {compare} (%(stamp)s::timestamptz, %(after)s collate \"C\"))")
        order_by = f"{column} {order}, name collate \"C\" {order}"
    async with ctx.as_caller() as conn:
        rows = await fetch_all(conn, f"{statement} select * from entries where {where} order by {order_by}"
                                     " limit %(limit)s", params)
    has_next = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_next:
        last = rows[-1]
        raw = last["name"] if column == "name" else f"{shapes.iso(last[column])}|{last['name']}"
        next_cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    folders = [{"key": r["key"], "name": r["name"]} for r in rows if r["id"] is None]
    objects = [{**_entry(r), "key": r["key"]} for r in rows if r["id"] is not None]
    return JSONResponse({"hasNext": has_next, "nextCursor": next_cursor, "folders": folders, "objects": objects})


_V2_FLAT = """
with entries as (
  select name, name as key, id, updated_at, created_at, last_accessed_at, metadata
  from storage.objects where bucket_id = %(bucket)s and starts_with(name, %(prefix)s)
)"""

# One level below the prefix's folder: folders are named by their full path with a trailing "/".
_V2_FOLDERS = """
with matched as (
  select name, substr(name, %(start)s) as tail, id, updated_at, created_at, last_accessed_at, metadata
  from storage.objects where bucket_id = %(bucket)s and starts_with(name, %(prefix)s)
), entries as (
  select %(base)s || split_part(tail, '/', 1) || '/' as name, split_part(tail, '/', 1) as key, null::uuid as id,
         null::timestamptz as updated_at, null::timestamptz as created_at, null::timestamptz as last_accessed_at,
         null::jsonb as metadata
  from matched where strpos(tail, '/') > 0 group by 1, 2
  union all
  select name, tail, id, updated_at, created_at, last_accessed_at, metadata from matched where strpos(tail, '/') = 0
)"""


def _entry(row: Row) -> Row:
    return {
        "name": row["name"], "id": str(row["id"]) if row["id"] is not None else None,
        "updated_at": shapes.iso(row["updated_at"]), "created_at": shapes.iso(row["created_at"]),
        "last_accessed_at": shapes.iso(row["last_accessed_at"]), "metadata": row["metadata"],
    }


def _sort(value: object, columns: set[str]) -> tuple[str, str]:
    value = value if isinstance(value, dict) else {}
    column = value.get("column") or "name"
    order = str(value.get("order") or "asc").lower()
    if column not in columns or order not in ("asc", "desc"):
        raise errors.invalid_request(f"sortBy.column must be one of {', '.join(sorted(columns))};"
                                     " sortBy.order asc or desc")
    return column, order


def _bounded(value: object, name: str, default: int, low: int, high: int | None) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise errors.invalid_parameter(name, f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise errors.invalid_parameter(name, f"{name} must be an integer") from None
    if number < low:
        raise errors.invalid_parameter(name, f"{name} must be >= {low}")
    return min(number, high) if high is not None else number


def _decode_cursor(value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise errors.invalid_parameter("cursor")
    try:
        return base64.b64decode(value.encode(), altchars=b"-_", validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_parameter("cursor", "cursor is not one this server gave out") from None
