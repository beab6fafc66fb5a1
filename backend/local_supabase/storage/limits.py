"""A bucket's limits as upstream parses and applies them: file_size_limit and allowed_mime_types."""

from __future__ import annotations

import re

from . import errors

_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$", re.IGNORECASE)
_UNITS = {"gb": 10**9, "mb": 10**6, "kb": 1000, "b": 1}
_TOKEN = r"[a-z0-9!#$&^_.+\-]+"
# type/subtype (or type/*) with optional `; name=value` parameters, value a token or a quoted string.
_MIME_PATTERN = re.compile(
    rf"^({_TOKEN})/({_TOKEN}|\*)((?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\]|\\.)*\"))*)\s*$",
    re.IGNORECASE,
)
MIME_MAX = 1000


def file_size_limit(value: object, global_max: int) -> int | None:
    """A bucket's file_size_limit from a number of bytes or a string like "20MB"; above the global limit refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise errors.invalid_request("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B")
    if isinstance(value, str):
        match = _SIZE.match(value.strip())
        if not match:
            raise errors.invalid_request("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B")
        value = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise errors.invalid_request("file_size_limit must be a number of bytes (0 or more) or a size like 20MB")
    if value > global_max:
        raise errors.entity_too_large()
    return value


def allowed_mime_types(value: object) -> list[str] | None:
    """Normalised restrictions (lower-case base types, no parameters, no duplicates), as upstream stores them."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise errors.invalid_request("allowed_mime_types must be a list of MIME types")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise errors.invalid_mime_type(str(item))
        if not item.strip():
            continue  # upstream filters empty entries out
        if len(item) > MIME_MAX:
            raise errors.invalid_mime_type(item[:50])
        match = _MIME_PATTERN.match(item.strip())
        if not match or match.group(1) == "*":
            raise errors.invalid_mime_type(item)
        base = f"{match.group(1)}/{match.group(2)}".lower()
        if base not in out:
            out.append(base)
    return out


def essence(mime_type: str) -> str:
    """`Text/Plain; charset=UTF-8` -> `text/plain`."""
    return mime_type.split(";", 1)[0].strip().lower()


def check_mime_type(mime_type: str, allowed: list[str] | None) -> None:
    """Refuse (415) a content type a bucket does not allow; `type/*` allows every subtype."""
    if not allowed:
        return
    base = essence(mime_type)
    kind, _, sub = base.partition("/")
    if not kind or not sub:
        raise errors.invalid_mime_type(mime_type)
    for rule in allowed:
        rule_kind, _, rule_sub = essence(rule).partition("/")
        if rule_kind == kind and rule_sub in ("*", sub):
            return
    raise errors.invalid_mime_type(mime_type)


def upload_limit(bucket_limit: int | None, global_max: int) -> int:
    return global_max if bucket_limit is None else min(bucket_limit, global_max)
