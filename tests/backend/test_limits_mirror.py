"""shared/limits.py mirrors private.limits: the SQL decides, the apps word their messages with the same numbers."""

from __future__ import annotations

from shared.limits import LIMITS, Limit


def test_the_python_mirror_matches_the_database(stack, db) -> None:
    rows = db.execute("select name, value, per from private.limits").fetchall()
    assert {name: Limit(value, per) for name, value, per in rows} == LIMITS


# ---------------------------------------------------------------- check constraints and status lists

import re  # noqa: E402

from shared import limits  # noqa: E402
from shared.models import ACTIVE_TASK_STATUSES  # noqa: E402


def checks(db, table: str, column: str) -> list[str]:
    """The definitions of the `check` constraints on one column, as PostgreSQL prints them."""
    return [r[0] for r in db.execute(
        "select pg_get_constraintdef(c.oid) from pg_constraint c"
        " join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)"
        " where c.conrelid = %s::regclass and c.contype = 'c' and a.attname = %s", (table, column)).fetchall()]


def only(found: list[str]) -> str:
    assert len(found) == 1, found
    return found[0]


def test_photo_counts_are_the_checks_of_the_three_photo_columns(stack, db) -> None:
    for table, column in (("public.reports", "photos"), ("public.reports", "resolution_photos"),
                          ("public.case_events", "photos")):
        definition = only(checks(db, table, column))
        assert re.fullmatch(rf"CHECK \(\(cardinality\({column}\) <= (\d+)\)\)", definition), definition
        assert int(re.search(r"<= (\d+)", definition).group(1)) == limits.MAX_PHOTOS, (table, column)


def test_text_lengths_are_the_checks(stack, db) -> None:
    for column, most in (("description", limits.MAX_DESCRIPTION), ("landmark", limits.LANDMARK_MAX_LENGTH)):
        definition = only(checks(db, "public.reports", column))
        bounds = re.fullmatch(rf"CHECK \(\(\(length\({column}\) >= 1\) AND \(length\({column}\) <= (\d+)\)\)\)",
                              definition)
        assert bounds and int(bounds.group(1)) == most, definition


def test_the_phone_pattern_is_the_check_of_resident_phone(stack, db) -> None:
    definition = only([c for c in checks(db, "public.reports", "resident_phone") if " ~ " in c])
    pattern = re.fullmatch(r"CHECK \(\(resident_phone ~ '(.*)'::text\)\)", definition)
    assert pattern and pattern.group(1) == limits.PHONE_PATTERN, definition
    assert limits.PHONE_MAX_LENGTH == int(re.search(r"\{\d+,(\d+)\}", pattern.group(1)).group(1))
    # The same answers as the database for what people type (the forms send it stripped).
    for typed in ("13800001234", "+86 138-0000-1234", " 138 0000 1234 ", "abc", "", "1" * 40, "138\n0000"):
        sent = typed.strip()
        assert db.execute("select %s ~ %s", (sent, pattern.group(1))).fetchone()[0] == limits.is_phone(typed), typed


def test_active_task_statuses_are_the_sql_lists(stack, db) -> None:
    python = sorted(s.value for s in ACTIVE_TASK_STATUSES)
    predicate = db.execute("select pg_get_expr(i.indpred, i.indrelid) from pg_index i"
                           " where i.indexrelid = 'public.tasks_one_active_per_report'::regclass").fetchone()[0]
    assert sorted(re.findall(r"'([a-z_]+)'::task_status", predicate)) == python, predicate
    # Every list of task statuses typed in a function (they name 'open', which no report status is).
    sources = [r[0] for r in db.execute(
        "select p.prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname in ('public', 'private') and p.prosrc like '%%''open''%%'").fetchall()]
    lists = [re.findall(r"'([a-z_]+)'", m) for src in sources
             for m in re.findall(r"status in \(([^)]*'open'[^)]*)\)", src)]
    assert lists and all(sorted(found) == python for found in lists), lists
