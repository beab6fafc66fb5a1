"""Snap and report: from "submit" with a 12-megapixel photo to the dispatched report, through CityClient.

Starts its own local stack (temporary state folder, free ports, demo city from seed.sql),
creates one citizen (admin API) and signs in with `CityClient` (async supabase-py),
generates a phone-like 4000x3000 JPEG (bench/media.py: gradients, blotches, sensor
grain, EXIF orientation; ~4 MB), then runs `--runs` rounds, each of:

  submit + photo : `CityClient.reports.submit_report(report, [photo])`: prepare the photo
                   (shared.media: decode, upright, resize, strip, re-encode + thumbnail),
                   upload both to Storage, insert the report (routing and dispatch
                   triggers); the answer must be `dispatched`. This is the figure.
  prepare        : `prepare_photo(photo)` alone (CPU, in this process).
  upload         : the two prepared files uploaded to Storage alone.
  submit, no photo (baseline): `submit_report(report)`: the insert and dispatch alone.

The three parts are measured in the same rounds as the whole, so their medians give the
photo pipeline's share. Prints p50/p95 per line, the shares, the ratio to the baseline,
and whether p95 of the whole stays under the 500 ms aim.

    .venv/bin/python bench/report_submit.py [--runs 50] [--warmup 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid

from _stack import lift_report_quotas, temporary_stack
from media import photo_like_jpeg

from shared.client import PHOTO_BUCKET, CityClient
from shared.media import prepare_photo
from shared.models import ReportCreate, ReportStatus

AIM_P95 = 0.500
POINT = (39.125, 117.19375)  # inside the demo city's first grid


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def new_report(category: str, i: int) -> ReportCreate:
    return ReportCreate(category_code=category, description=f"井盖破损 broken manhole cover (bench {i})",
                        lat=POINT[0], lon=POINT[1], address="示范区 bench")


async def upload_prepared(client: CityClient, uid: str, photo) -> None:
    bucket = client.supabase.storage.from_(PHOTO_BUCKET)
    folder = f"{uid}/{uuid.uuid4()}"
    await bucket.upload(f"{folder}/{photo.file_name}", photo.data, {"content-type": photo.content_type})
    await bucket.upload(f"{folder}/{photo.thumbnail_file_name}", photo.thumbnail, {"content-type": photo.content_type})


async def measure(url: str, anon: str, email: str, password: str, category: str, photo_bytes: bytes,
                  runs: int, warmup: int) -> dict[str, list[float]]:
    client = await CityClient.connect(url=url, key=anon)
    await client.auth.sign_in(email, password)
    uid = str((await client.auth.current_user()).id)
    times: dict[str, list[float]] = {"submit + photo": [], "prepare": [], "upload": [], "submit, no photo": []}
    try:
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            report = await client.reports.submit_report(new_report(category, i), [photo_bytes])
            whole = time.perf_counter() - t0
            if report.status is not ReportStatus.DISPATCHED or len(report.photos) != 1:
                raise SystemExit(f"run {i}: not dispatched with its photo: {report.status} {report.photos}")

            t0 = time.perf_counter()
            prepared = prepare_photo(photo_bytes)
            prepare = time.perf_counter() - t0

            t0 = time.perf_counter()
            await upload_prepared(client, uid, prepared)
            upload = time.perf_counter() - t0

            t0 = time.perf_counter()
            bare = await client.reports.submit_report(new_report(category, i))
            baseline = time.perf_counter() - t0
            if bare.status is not ReportStatus.DISPATCHED:
                raise SystemExit(f"run {i}: baseline report not dispatched: {bare.status}")

            if i >= warmup:
                for name, value in zip(times, (whole, prepare, upload, baseline)):
                    times[name].append(value)
    finally:
        await client.aclose()
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=3, help="rounds run first and not counted")
    args = ap.parse_args()

    import psycopg
    from supabase import ClientOptions, create_client

    photo_bytes = photo_like_jpeg()
    prepared = prepare_photo(photo_bytes)
    with temporary_stack("public") as stack:
        env = stack.env()
        url, anon = env["SUPABASE_URL"], env["SUPABASE_ANON_KEY"]
        service = create_client(url, env["SUPABASE_SERVICE_ROLE_KEY"],
                                options=ClientOptions(auto_refresh_token=False, persist_session=False))
        email, password = "snap@bench.cityloop.local", "bench-password-snap"
        service.auth.admin.create_user({"email": email, "password": password, "email_confirm": True,
                                        "app_metadata": {"role": "citizen"}})
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            lift_report_quotas(conn)
            # A city-management item: in a covered grid it goes straight to the grid's on-duty worker.
            category = conn.execute("select code from public.categories where level = 3"
                                    " and department_code = 'city_mgmt' order by code limit 1").fetchone()[0]
        times = asyncio.run(measure(url, anon, email, password, category, photo_bytes, args.runs, args.warmup))

    print(f"Snap and report through CityClient (async supabase-py) against a local stack, {os.cpu_count()} CPUs; "
          f"{args.runs} rounds after {args.warmup} warm-up")
    print(f"photo: 4000x3000 JPEG, {len(photo_bytes) / 1e6:.2f} MB in; prepared {prepared.width}x{prepared.height} "
          f"{len(prepared.data) / 1e3:.0f} kB + thumbnail {len(prepared.thumbnail) / 1e3:.0f} kB; "
          "every report dispatched")
    print(f"{'':34}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for name, values in times.items():
        label = name + ("   (baseline)" if name == "submit, no photo" else "")
        print(f"{label:34}{percentile(values, .5) * 1e3:>9.1f}{percentile(values, .95) * 1e3:>9.1f}"
              f"{statistics.fmean(values) * 1e3:>9.1f}")
    whole = percentile(times["submit + photo"], .5)
    parts = {name: percentile(times[name], .5) for name in ("prepare", "upload", "submit, no photo")}
    print("share of the p50 whole (" + f"{whole * 1e3:.1f} ms): " + ", ".join(
        f"{name} {value / whole:.0%}" for name, value in parts.items())
        + f"; unaccounted {1 - sum(parts.values()) / whole:+.0%}")
    ratio50 = whole / parts["submit, no photo"]
    ratio95 = percentile(times["submit + photo"], .95) / percentile(times["submit, no photo"], .95)
    print(f"ratio with photo / without: p50 {ratio50:.1f}x, p95 {ratio95:.1f}x")
    p95 = percentile(times["submit + photo"], .95)
    print(f"p95 submit + photo {p95 * 1e3:.1f} ms: {'within' if p95 < AIM_P95 else 'ABOVE'} the 500 ms aim")
    return 0


if __name__ == "__main__":
    sys.exit(main())
