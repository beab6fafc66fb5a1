"""Meter readings into the database: a CSV file through COPY, or a batch through the API.

CSV columns (header required, any order): `meter_id,read_at,value`; `read_at` is ISO 8601
with a time zone (`2026-11-21T08:00:00+08:00` or `...Z`), `value` the use during the interval
ending at `read_at`. Each line is checked here; the good ones are streamed with COPY into a
temporary table and inserted once per (meter_id, read_at) (readings already there are left
alone), so importing the same file twice adds nothing. Bad lines (and lines of meters the database does not know)
are reported by line number; the good lines of the same file are kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable

import psycopg

REQUIRED = ("meter_id", "read_at", "value")
MAX_METER_ID = 64
MAX_VALUE = 1e7  # the table's check
COPY_CHUNK = 1 << 20  # bytes handed to COPY at a time
MAX_REPORTED = 1000  # bad lines listed one by one; the count is always complete

_COPY = "copy pg_temp.care_incoming (line, meter_id, read_at, value) from stdin"
_CREATE = ("create temporary table if not exists care_incoming"
           " (line bigint, meter_id text, read_at timestamptz, value real) on commit drop")
# The fast path: an anti-join, then a plain insert (ON CONFLICT's speculative insertion costs
# about twice as much per row). A key repeated inside the file, or written by someone else
# meanwhile, makes it fail; the slow path below then does the same with ON CONFLICT.
_INSERT_NEW = """
insert into public.meter_readings (meter_id, read_at, value)
select i.meter_id, i.read_at, i.value from pg_temp.care_incoming i
where exists (select 1 from public.meters m where m.id = i.meter_id)
  and not exists (select 1 from public.meter_readings r where r.meter_id = i.meter_id and r.read_at = i.read_at)
"""
_INSERT_ON_CONFLICT = """
insert into public.meter_readings (meter_id, read_at, value)
select i.meter_id, i.read_at, i.value from pg_temp.care_incoming i
where exists (select 1 from public.meters m where m.id = i.meter_id)
on conflict (meter_id, read_at) do nothing
"""
_UNKNOWN = """
select i.line, i.meter_id from pg_temp.care_incoming i
where not exists (select 1 from public.meters m where m.id = i.meter_id)
order by i.line
"""


@dataclass
class BadLine:
    line: int
    reason: str


@dataclass
class ImportResult:
    rows: int = 0  # data lines read
    inserted: int = 0
    duplicates: int = 0  # good lines already in the database (or repeated in the file)
    bad: list[BadLine] = field(default_factory=list)
    bad_count: int = 0

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "inserted": self.inserted, "duplicates": self.duplicates,
                "bad": self.bad_count}


_BAD_ID_CHARS = frozenset("\t\\\n\r")


def _check(row: list[str], cols: tuple[int, int, int], times: dict[str, str]) -> tuple[str, str, str] | str:
    """The row's (meter_id, read_at, value) ready for COPY's text format, or why it is bad.

    `times` caches checked timestamps: a file repeats the same few times for every meter."""
    try:
        meter, read_at, value = row[cols[0]].strip(), row[cols[1]].strip(), row[cols[2]].strip()
    except IndexError:
        return "missing columns"
    if not meter or len(meter) > MAX_METER_ID or not _BAD_ID_CHARS.isdisjoint(meter):
        return "meter_id must be 1-64 characters without tabs or backslashes"
    when = times.get(read_at)
    if when is None:
        try:
            parsed = datetime.fromisoformat(read_at)
        except ValueError:
            return f"read_at is not an ISO 8601 time: {read_at[:40]!r}"
        if parsed.tzinfo is None:
            return "read_at needs a time zone (for example +08:00 or Z)"
        when = times[read_at] = parsed.isoformat()
    try:
        number = float(value)
    except ValueError:
        return f"value is not a number: {value[:40]!r}"
    if not (0 <= number < MAX_VALUE):  # also false for NaN
        return "value must be a number >= 0"
    return meter, when, value


def _columns(header: list[str]) -> tuple[int, int, int]:
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValueError(f"the CSV header lacks {', '.join(missing)} (needs {', '.join(REQUIRED)})")
    return names.index("meter_id"), names.index("read_at"), names.index("value")


def import_csv(conn: psycopg.Connection, source: str | Path | IO[str]) -> ImportResult:
    """Import one CSV file (path or open text file) in one transaction; returns what happened."""
    if isinstance(source, (str, Path)):
        with open(source, newline="", encoding="utf-8") as fh:
            return import_csv(conn, fh)
    result = ImportResult()
    reader = csv.reader(source)
    try:
        cols = _columns(next(reader))
    except StopIteration:
        raise ValueError("the CSV file is empty (needs a header: meter_id,read_at,value)") from None

    def bad(line: int, reason: str) -> None:
        result.bad_count += 1
        if len(result.bad) < MAX_REPORTED:
            result.bad.append(BadLine(line, reason))

    times: dict[str, str] = {}
    with conn.transaction(), conn.cursor() as cur:
        # Room for the temporary table in memory (only settable before the session's first one).
        cur.execute("select set_config('temp_buffers', '256MB', true)"
                    " where not exists (select 1 from pg_class where relpersistence = 't' and relname = 'care_incoming'"
                    " and pg_table_is_visible(oid))")
        cur.execute(_CREATE)
        with cur.copy(_COPY) as copy:
            buf = io.StringIO()
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                result.rows += 1
                checked = _check(row, cols, times)
                if isinstance(checked, str):
                    bad(line, checked)
                    continue
                buf.write(f"{line}\t{checked[0]}\t{checked[1]}\t{checked[2]}\n")
                if buf.tell() >= COPY_CHUNK:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        for line, meter in cur.execute(_UNKNOWN).fetchall():
            bad(line, f"unknown meter {meter!r}")
        cur.execute("analyze pg_temp.care_incoming")  # a temporary table has no statistics otherwise
        try:
            with conn.transaction():  # a savepoint: the slow path starts from a clean state
                result.inserted = cur.execute(_INSERT_NEW).rowcount
        except psycopg.errors.UniqueViolation:
            result.inserted = cur.execute(_INSERT_ON_CONFLICT).rowcount
    result.bad.sort(key=lambda b: b.line)
    result.duplicates = result.rows - result.bad_count - result.inserted
    return result


def post_readings(client: Any, readings: Iterable[dict[str, Any]], batch: int = 5000) -> dict[str, int]:
    """Send readings through the API with a service-role supabase client (`rpc/ingest_meter_readings`),
    in batches; returns the summed counts. Each batch is all-or-nothing on bad rows (PT400)."""
    totals = {"received": 0, "inserted": 0, "duplicates": 0, "unknown_meter": 0}
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        answer = client.rpc("ingest_meter_readings", {"readings": chunk}).execute().data
        for key in totals:
            totals[key] += int(answer[key])
        chunk.clear()

    for reading in readings:
        chunk.append(reading)
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    return totals
