"""Meter readings in: CSV through COPY (and the CLI), the bulk RPC, REST upsert; idempotent on (meter, time)."""

from __future__ import annotations

import io

import psycopg
import pytest
from postgrest.exceptions import APIError

from backend.care.ingest import import_csv, post_readings
from backend.cli import main as cityloop
from tests.backend.care_support import make_subject
from tests.backend.core_support import GRIDS, ensure_demo_city


@pytest.fixture(scope="module")
def subject(db) -> dict:
    ensure_demo_city(db)
    return make_subject(db, GRIDS[1])


def count(db, meter: str) -> int:
    return db.execute("select count(*) from public.meter_readings where meter_id = %s", (meter,)).fetchone()[0]


def test_csv_import_keeps_good_rows_reports_bad_lines_and_is_idempotent(stack, subject):
    w, g = subject["meters"]["water"], subject["meters"]["gas"]
    text = "\n".join([
        "meter_id,read_at,value",
        f"{w},2026-11-01T08:00:00+08:00,12.5",       # line 2
        f"{w},2026-11-01T09:00:00+08:00,not-a-number",  # line 3: bad value
        f"{w},2026-11-01 10:00:00,3",                # line 4: no time zone
        f"{g},2026-11-01T08:00:00Z,0.2",             # line 5
        "NO-SUCH-METER,2026-11-01T08:00:00Z,1",      # line 6: unknown meter
        f"{w},2026-11-01T11:00:00+08:00,-1",          # line 7: negative
        f"{w},yesterday,1",                           # line 8: not a time
        f"{w},2026-11-01T08:00:00+08:00,12.5",       # line 9: repeats line 2
        "",
    ])
    with psycopg.connect(stack.database_url) as conn:
        first = import_csv(conn, io.StringIO(text))
    assert [b.line for b in first.bad] == [3, 4, 6, 7, 8]
    assert "number" in first.bad[0].reason and "time zone" in first.bad[1].reason
    assert "unknown meter" in first.bad[2].reason
    assert first.summary() == {"rows": 8, "inserted": 2, "duplicates": 1, "bad": 5}
    with psycopg.connect(stack.database_url) as conn:
        again = import_csv(conn, io.StringIO(text))
    assert again.inserted == 0 and again.duplicates == 3
    with stack_db(stack) as db:
        assert count(db, w) == 1 and count(db, g) == 1


def stack_db(stack):
    return psycopg.connect(stack.database_url, autocommit=True)


def test_a_header_without_the_needed_columns_is_refused(stack):
    with psycopg.connect(stack.database_url) as conn, pytest.raises(ValueError, match="meter_id"):
        import_csv(conn, io.StringIO("meter,time,value\nx,2026-11-01T08:00:00Z,1\n"))


def test_cli_imports_a_file_and_reports_bad_lines(stack, subject, tmp_path, monkeypatch, capsys, db):
    e = subject["meters"]["electricity"]
    path = tmp_path / "readings.csv"
    path.write_text("read_at,value,meter_id\n"
                    f"2026-11-02T08:00:00+08:00,0.4,{e}\n"
                    f"2026-11-02T09:00:00+08:00,abc,{e}\n", encoding="utf-8")
    monkeypatch.setenv("SUPABASE_URL", stack.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", stack.service_key)
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    assert cityloop(["care", "import", str(path)]) == 2  # some lines were bad
    out = capsys.readouterr()
    assert '"inserted": 1' in out.out and "line 3: value is not a number" in out.err
    assert cityloop(["care", "import", str(path)]) == 2
    assert '"inserted": 0' in capsys.readouterr().out
    assert count(db, e) == 1
    assert cityloop(["care", "import", str(tmp_path / "missing.csv")]) == 1


def test_bulk_rpc_is_idempotent_and_counts_unknown_meters(service, subject, db):
    w = subject["meters"]["water"]
    rows = [{"meter_id": w, "read_at": f"2026-11-03T{h:02d}:00:00+08:00", "value": h} for h in range(24)]
    rows.append({"meter_id": "NO-SUCH-METER", "read_at": "2026-11-03T00:00:00Z", "value": 1})
    assert post_readings(service, rows, batch=10) == {"received": 25, "inserted": 24, "duplicates": 0,
                                                      "unknown_meter": 1}
    assert post_readings(service, rows)["inserted"] == 0
    with pytest.raises(APIError) as err:
        service.rpc("ingest_meter_readings", {"readings": [{"meter_id": w, "read_at": None, "value": 1}]}).execute()
    assert err.value.code == "PT400"
    assert db.execute("select count(*) from public.meter_readings where meter_id = %s and read_at >= '2026-11-02T16:00Z'"
                      " and read_at < '2026-11-03T16:00Z'", (w,)).fetchone()[0] == 24


def test_rest_bulk_upsert_ignores_repeats(service, subject, db):
    g = subject["meters"]["gas"]
    rows = [{"meter_id": g, "read_at": f"2026-11-04T{h:02d}:00:00+08:00", "value": 0.1} for h in range(5)]
    table = service.table("meter_readings")
    table.upsert(rows, on_conflict="meter_id,read_at", ignore_duplicates=True).execute()
    changed = [{**r, "value": 9.0} for r in rows] + [{"meter_id": g, "read_at": "2026-11-04T05:00:00+08:00",
                                                      "value": 0.2}]
    table.upsert(changed, on_conflict="meter_id,read_at", ignore_duplicates=True).execute()
    values = [v for (v,) in db.execute("select value from public.meter_readings where meter_id = %s"
                                       " and read_at >= '2026-11-04T00:00+08:00' and read_at < '2026-11-05T00:00+08:00' order by read_at", (g,)).fetchall()]
    assert len(values) == 6 and values[:5] == pytest.approx([0.1] * 5)


def test_only_the_service_role_writes_readings(make_user, subject):
    worker = make_user(app_metadata={"role": "grid_worker"})
    w = subject["meters"]["water"]
    with pytest.raises(APIError):
        worker.client.table("meter_readings").insert({"meter_id": w, "read_at": "2026-11-05T00:00:00Z",
                                                      "value": 1}).execute()
    with pytest.raises(APIError) as err:
        worker.client.rpc("ingest_meter_readings", {"readings": []}).execute()
    assert err.value.code in ("42501", "PT403")


def test_two_imports_on_one_connection(stack, subject, db):
    w = subject["meters"]["water"]
    text = f"meter_id,read_at,value\n{w},2026-11-06T08:00:00+08:00,1\n{w},2026-11-06T08:00:00+08:00,1\n"
    with psycopg.connect(stack.database_url) as conn:
        first = import_csv(conn, io.StringIO(text))  # the key repeats inside the file: the slow path
        second = import_csv(conn, io.StringIO(text))
    assert (first.inserted, first.duplicates, second.inserted, second.duplicates) == (1, 1, 0, 2)
