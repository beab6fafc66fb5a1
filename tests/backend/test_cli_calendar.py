"""`cityloop calendar load` through the real command against the suite's stack: an admin's CSV makes a
provisional year official; a bad file or a year the package does not know is refused, nothing loaded."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def calendar_load(stack, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SUPABASE_URL=stack.url, SUPABASE_SERVICE_ROLE_KEY=stack.service_key)
    return subprocess.run([sys.executable, "-m", "backend.cli", "calendar", "load", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def day(db, d: dt.date) -> tuple:
    return db.execute("select is_working_day, provisional, name from private.calendar_day(%s)", (d,)).fetchone()


def test_an_official_year_is_loaded_from_a_csv(stack, db, tmp_path) -> None:
    csv = tmp_path / "2035.csv"
    csv.write_text("day,is_working_day,name\n2035-02-07,0,春节 Spring Festival\n2035-02-10,1,春节 Spring Festival\n",
                   encoding="utf-8")
    assert day(db, dt.date(2035, 2, 7)) == (True, True, None)
    done = calendar_load(stack, "--year", "2035", "--file", str(csv), "--source", "国务院办公厅通知 2034")
    assert done.returncode == 0, done.stderr
    assert "loaded 2 days of 2035" in done.stdout
    assert day(db, dt.date(2035, 2, 7)) == (False, False, "春节 Spring Festival")
    assert day(db, dt.date(2035, 2, 10)) == (True, False, "春节 Spring Festival")  # a Saturday worked
    assert db.execute("select source from public.calendar_years where year = 2035").fetchone() == ("国务院办公厅通知 2034",)


def test_a_bad_file_or_an_unknown_year_loads_nothing(stack, db, tmp_path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("day,is_working_day,name\n2036-13-01,0,x\n", encoding="utf-8")
    done = calendar_load(stack, "--year", "2036", "--file", str(csv))
    assert done.returncode == 2 and "line 2" in done.stderr and "Traceback" not in done.stderr
    csv.write_text("day,is_working_day,name\n2036-01-01,0,\n", encoding="utf-8")  # a holiday without a name
    done = calendar_load(stack, "--year", "2036", "--file", str(csv))
    assert done.returncode == 2 and "holidays named" in done.stderr and "Traceback" not in done.stderr
    done = calendar_load(stack, "--year", "2036")  # the package knows up to 2026 only
    assert done.returncode == 2 and "--file" in done.stderr and "Traceback" not in done.stderr
    assert db.execute("select count(*) from public.calendar_years where year = 2036").fetchone()[0] == 0
