"""Reading a JSON request body: the one parser of REST, Auth and Storage bodies.

Checked before parsing: the nesting depth (brackets outside strings, counted in C
by `re` and `itertools`), so a body of ten thousand `[` never reaches the
recursive parser. Checked after: no lone UTF-16 surrogate (`"\\ud800"` parses in
Python but can be neither stored nor sent on), and numbers Python cannot read
(more than 4300 digits) are invalid JSON. Each service turns `JsonBodyError`
into its own error shape. The byte size is limits.py's, enforced while streaming.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


class JsonBodyError(ValueError):
    """The body is not JSON the gateway accepts; `message` says why, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in `raw` (strings skipped)."""
    if b"[" not in raw and b"{" not in raw:
        return 0
    brackets = _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def parse_json(raw: bytes, *, max_depth: int) -> Any:
    """`raw` parsed, or JsonBodyError. An empty body is the caller's to interpret (not checked here)."""
    if raw.count(b"[") + raw.count(b"{") > max_depth and nesting_depth(raw) > max_depth:
        raise JsonBodyError(f"JSON is nested more than {max_depth} levels deep")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise JsonBodyError(f"Could not parse request body as JSON: {exc}") from None
    if b"\\u" in raw:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonBodyError("JSON text contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)") from None
    return value
