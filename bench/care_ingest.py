"""Meter ingestion speed: `cityloop care import` (checked COPY + insert on conflict) against a raw
COPY of the same file into an unindexed table (the floor), plus the service-role API paths.

    .venv/bin/python bench/care_ingest.py [--meters 1000] [--hours 1000]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stack import temporary_stack  # noqa: E402


def make_csv(meters: list[str], hours: int) -> str:
    start = datetime(2026, 9, 1, tzinfo=timezone(timedelta(hours=8)))
    stamps = [(start + timedelta(hours=h)).isoformat() for h in range(hours)]
    out = io.StringIO()
    out.write("meter_id,read_at,value\n")
    for i, m in enumerate(meters):
        out.write("".join(f"{m},{ts},{(i * 7 + h * 13) % 50 / 10}\n" for h, ts in enumerate(stamps)))
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--hours", type=int, default=1000)
    ap.add_argument("--api-rows", type=int, default=50_000)
    args = ap.parse_args()
    import psycopg
    from supabase import create_client

    from backend.care.ingest import import_csv, post_readings

    with temporary_stack() as stack:
        env = stack.env()
        meters = [f"B{i:05d}-W" for i in range(args.meters)]
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            sid = db.execute("insert into public.care_subjects (name, grid_id, consent_at) values"
                             " ('bench', '00000000-0000-4000-a000-000000000031', current_date) returning id").fetchone()[0]
            with db.cursor().copy("copy public.meters (id, subject_id, kind) from stdin") as cp:
                for m in meters:
                    cp.write_row((m, sid, "water"))
        text = make_csv(meters, args.hours)
        n = args.meters * args.hours
        print(f"{n:,} readings, {len(text) / 1e6:.1f} MB of CSV")

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            db.execute("create unlogged table public.bench_raw (meter_id text, read_at timestamptz, value real)")
            t0 = time.perf_counter()
            with db.cursor().copy("copy public.bench_raw from stdin (format csv, header true)") as cp:
                cp.write(text)
            raw = time.perf_counter() - t0
            db.execute("drop table public.bench_raw")
        print(f"baseline raw COPY, no checks, no index: {raw:6.2f} s  {n / raw:12,.0f} readings/s")

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            t0 = time.perf_counter()
            first = import_csv(conn, io.StringIO(text))
            imp = time.perf_counter() - t0
        print(f"care import (checked, PK, meter check):    {imp:6.2f} s  {n / imp:12,.0f} readings/s"
              f"  = {raw / imp:.2f}x of raw COPY speed   {first.summary()}")
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            t0 = time.perf_counter()
            again = import_csv(conn, io.StringIO(text))
            rep = time.perf_counter() - t0
        print(f"same file again (all duplicates):          {rep:6.2f} s  {n / rep:12,.0f} readings/s   {again.summary()}")

        service = create_client(env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"])
        start = datetime(2027, 1, 1, tzinfo=timezone.utc)
        per_meter = max(1, args.api_rows // len(meters))
        rows = [{"meter_id": m, "read_at": (start + timedelta(hours=h)).isoformat(), "value": 1.0}
                for m in meters for h in range(per_meter)]
        t0 = time.perf_counter()
        res = post_readings(service, rows, batch=5000)
        api = time.perf_counter() - t0
        print(f"API rpc/ingest_meter_readings, batches of 5000: {len(rows) / api:10,.0f} readings/s  {res}")
        later = [{**r, "read_at": (start + timedelta(days=400, hours=i % 5000)).isoformat()}
                 for i, r in enumerate(rows)]
        t0 = time.perf_counter()
        for i in range(0, len(later), 5000):
            service.table("meter_readings").upsert(later[i:i + 5000], on_conflict="meter_id,read_at",
                                                   ignore_duplicates=True, returning="minimal").execute()
        rest = time.perf_counter() - t0
        print(f"API REST upsert on_conflict, batches of 5000:   {len(rows) / rest:10,.0f} readings/s")


if __name__ == "__main__":
    main()
