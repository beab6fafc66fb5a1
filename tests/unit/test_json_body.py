"""The gateway's one JSON reader (backend/local_supabase/gateway/json_body.py), without a server."""

from __future__ import annotations

import pytest

from backend.local_supabase.gateway.json_body import JsonBodyError, nesting_depth, parse_json


@pytest.mark.parametrize(("raw", "depth"), [
    (b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4), (b'["[[[[", "\\"[["]', 1), (b"[" * 500 + b"]" * 500, 500),
])
def test_nesting_depth_counts_brackets_outside_strings(raw, depth) -> None:
    assert nesting_depth(raw) == depth


def test_too_deep_is_refused_before_parsing() -> None:
    with pytest.raises(JsonBodyError, match="nested more than 64"):
        parse_json(b"[" * 100_000 + b"]" * 100_000, max_depth=64)
    assert parse_json(b"[" * 64 + b"]" * 64, max_depth=64) is not None


@pytest.mark.parametrize("raw", [b'"\\ud800"', b'{"a": ["\\udfff"]}', b'{"\\ud800": 1}', b'"\\ude00\\ud83d"'])
def test_a_lone_surrogate_is_refused(raw) -> None:
    with pytest.raises(JsonBodyError, match="surrogate"):
        parse_json(raw, max_depth=64)


def test_a_surrogate_pair_and_plain_text_are_fine() -> None:
    assert parse_json(b'["\\ud83d\\ude00", "\\\\ud800"]', max_depth=64) == ["😀", "\\ud800"]


@pytest.mark.parametrize("raw", [b"9" * 5000, b"{", b"\xff", b"[1,]", b"NaNx"])
def test_what_python_cannot_read_is_refused(raw) -> None:
    with pytest.raises(JsonBodyError):
        parse_json(raw, max_depth=64)
