"""The calendar seed migration is what `cityloop calendar seed` writes from the pinned chinese-calendar,
and the admin's CSV reader refuses what it cannot read."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.admin.calendar import SEED_MIGRATION, CalendarError, Day, package_days, read_days_file, seed_sql


def test_the_committed_seed_is_the_generated_one() -> None:
    assert SEED_MIGRATION.read_text(encoding="utf-8") == seed_sql(), "run `cityloop calendar seed` and commit"


def test_the_package_lists_holidays_and_weekend_working_days_only() -> None:
    days = {d.day: d for d in package_days(2026)}
    assert days[dt.date(2026, 10, 1)] == Day(dt.date(2026, 10, 1), False, "National Day")
    assert days[dt.date(2026, 9, 20)].is_working_day and dt.date(2026, 9, 20).isoweekday() == 7
    assert all(d.is_working_day == (d.day.isoweekday() >= 6) for d in days.values() if d.is_working_day)
    with pytest.raises(CalendarError, match="--file"):
        package_days(2099)


def test_the_csv_reader(tmp_path) -> None:
    f = tmp_path / "y.csv"
    f.write_text("\ufeffday,is_working_day,name\n2030-10-01,否,国庆节\n2030-10-12,是,\n", encoding="utf-8")
    assert read_days_file(f, 2030) == [Day(dt.date(2030, 10, 1), False, "国庆节"), Day(dt.date(2030, 10, 12), True, None)]
    for body, match in (("day,is_working_day\n2031-01-01,0\n", "not in 2030"), ("day,is_working_day\n", "no day"),
                        ("day,is_working_day\n2030-01-01,maybe\n", "line 2")):
        f.write_text(body, encoding="utf-8")
        with pytest.raises(CalendarError, match=match):
            read_days_file(f, 2030)
