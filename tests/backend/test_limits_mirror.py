"""shared/limits.py mirrors private.limits: the SQL decides, the apps word their messages with the same numbers."""

from __future__ import annotations

from shared.limits import LIMITS, Limit


def test_the_python_mirror_matches_the_database(stack, db) -> None:
    rows = db.execute("select name, value, per from private.limits").fetchall()
    assert {name: Limit(value, per) for name, value, per in rows} == LIMITS
