"""Dispatch: reports filed through the REST API by concurrent citizens, with and without dispatch.

Starts its own local stack (temporary state folder, free ports; demo city and accounts
from seed.sql: 8 grids, 4 grid workers on duty, the environment department's staff),
creates `--citizens` citizens (admin API) and signs them in, then files `--reports`
reports split among them, `POST /rest/v1/reports` with each citizen's JWT, at points
spread over the demo district and with categories drawn from every taxonomy item
(so both routing paths of a covered grid are taken: a grid worker for city_mgmt items, a
department queue for the rest; every grid has a worker on duty). The clients run in
`--processes` processes, each with one asyncio task per citizen, so the client is not
the bottleneck. Twice:

1. dispatch on: the BEFORE trigger routes (grid, street, department, due time) and the
   AFTER trigger creates the task, two case_events rows and the notifications;
2. baseline: the same inserts with both triggers disabled (`alter table ... disable
   trigger`, in this throw-away stack only): the bare insert.

Per insert it measures the request round trip (client) and the server-side insert work
(two extra triggers that fire first and last on the row, with clock_timestamp(): route,
RLS check, the row, dispatch and Realtime's change capture; not parsing or commit).
Prints p50/p95/p99 and reports/s for both, the ratios, and the dispatch work (server-side,
on minus off); the aim is p95 of the dispatch work under 50 ms.

    .venv/bin/python bench/dispatch.py [--reports 10000] [--citizens 20] [--processes 2] [--gateway-workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor

from _stack import lift_report_quotas, temporary_stack

# The demo district (seed.sql): lon 117.19-117.22, lat 39.11-39.13, tiled by 8 grids.
LON, LAT = (117.1901, 117.2199), (39.1101, 39.1299)

TIMING_SQL = """
drop schema if exists bench cascade;
create schema bench;
create unlogged table bench.insert_timing (
  report_id uuid primary key,
  started timestamptz not null,
  finished timestamptz not null
);
create function bench.mark_start() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform set_config('bench.t0', clock_timestamp()::text, true);
  return new;
end $$;
create function bench.mark_end() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into bench.insert_timing values (new.id, current_setting('bench.t0')::timestamptz, clock_timestamp());
  return null;
end $$;
-- Triggers of one kind fire in name order: this one before reports_route, that one after everything.
create trigger a_bench_start before insert on public.reports for each row execute function bench.mark_start();
create trigger zz_bench_end after insert on public.reports for each row execute function bench.mark_end();
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def _file_reports(url: str, anon: str, jobs: list[tuple[str, list[dict]]]) -> dict:
    import httpx

    latencies: list[float] = []
    failures: list[str] = []

    async def citizen(client: httpx.AsyncClient, token: str, rows: list[dict]) -> None:
        headers = {"apikey": anon, "Authorization": f"Bearer {token}", "Prefer": "return=minimal"}
        for row in rows:
            t0 = time.perf_counter()
            r = await client.post(f"{url}/rest/v1/reports", json=row, headers=headers)
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 201:
                failures.append(f"{r.status_code} {r.text[:200]}")

    limits = httpx.Limits(max_connections=len(jobs) + 2, max_keepalive_connections=len(jobs) + 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start = time.time()
        await asyncio.gather(*(citizen(client, token, rows) for token, rows in jobs))
        end = time.time()
    return {"latencies": latencies, "failures": failures, "start": start, "end": end}


def file_reports(url: str, anon: str, jobs: list[tuple[str, list[dict]]]) -> dict:
    """One client process: one asyncio task per citizen, each filing its reports one after another."""
    return asyncio.run(_file_reports(url, anon, jobs))


def make_rows(n: int, categories: list[str], rng: random.Random) -> list[dict]:
    return [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "category_code": rng.choice(categories),
             "description": f"基准测试上报 bench report {i}", "lat": round(rng.uniform(*LAT), 6),
             "lon": round(rng.uniform(*LON), 6), "source": "citizen_app"} for i in range(n)]


def run_phase(pool: ProcessPoolExecutor, url: str, anon: str, tokens: list[str], rows: list[dict],
              processes: int) -> dict:
    per_citizen = [rows[i::len(tokens)] for i in range(len(tokens))]
    jobs = list(zip(tokens, per_citizen))
    chunks = [jobs[i::processes] for i in range(processes)]
    results = list(pool.map(file_reports, [url] * processes, [anon] * processes, chunks))
    latencies = [x for r in results for x in r["latencies"]]
    failures = [x for r in results for x in r["failures"]]
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"latencies": latencies, "failures": failures, "wall": wall, "rps": len(latencies) / wall}


def server_side(conn, ids: list[str]) -> list[float]:
    rows = conn.execute("select extract(epoch from finished - started) from bench.insert_timing"
                        " where report_id = any(%s::uuid[])", (ids,)).fetchall()
    return [float(r[0]) for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10_000, help="reports per phase (default 10000)")
    ap.add_argument("--citizens", type=int, default=20)
    ap.add_argument("--processes", type=int, default=2, help="client processes")
    ap.add_argument("--gateway-workers", type=int, default=1, help="CITYLOOP_WORKERS for the stack")
    ap.add_argument("--warmup", type=int, default=200, help="reports filed before each phase, not measured")
    ap.add_argument("--seed", type=int, default=20261121)
    args = ap.parse_args()

    import psycopg
    from supabase import ClientOptions, create_client

    os.environ["CITYLOOP_WORKERS"] = str(args.gateway_workers)
    rng = random.Random(args.seed)
    with temporary_stack("public") as stack, ProcessPoolExecutor(args.processes) as pool:
        env = stack.env()
        url, anon = env["SUPABASE_URL"], env["SUPABASE_ANON_KEY"]
        options = ClientOptions(auto_refresh_token=False, persist_session=False)
        service = create_client(url, env["SUPABASE_SERVICE_ROLE_KEY"], options=options)
        tokens = []
        for i in range(args.citizens):
            email, password = f"citizen{i}@bench.cityloop.local", f"bench-password-{i}"
            service.auth.admin.create_user({"email": email, "password": password, "email_confirm": True,
                                            "app_metadata": {"role": "citizen"}})
            client = create_client(url, anon, options=options)
            session = client.auth.sign_in_with_password({"email": email, "password": password}).session
            tokens.append(session.access_token)

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(TIMING_SQL)
            lift_report_quotas(conn)
            categories = [r[0] for r in
                          conn.execute("select code from public.categories where level = 3 order by code")]
            on_duty = conn.execute("select count(*) from public.worker_duty where on_duty").fetchone()[0]

            phases = {}
            for name, dispatch in (("dispatch on", True), ("baseline: dispatch off", False)):
                action = "enable" if dispatch else "disable"
                for trigger in ("reports_route", "reports_dispatch"):
                    conn.execute(f"alter table public.reports {action} trigger {trigger}")
                run_phase(pool, url, anon, tokens, make_rows(args.warmup, categories, rng), args.processes)
                rows = make_rows(args.reports, categories, rng)
                result = run_phase(pool, url, anon, tokens, rows, args.processes)
                result["server"] = server_side(conn, [r["id"] for r in rows])
                phases[name] = result
                if dispatch:
                    routed = conn.execute(
                        "select count(*) filter (where r.status = 'dispatched'),"
                        " count(*) filter (where t.queue = 'worker'), count(*) filter (where t.queue = 'department'),"
                        " count(*) filter (where t.queue = 'supervisor'),"
                        " (select count(*) from public.case_events e where e.report_id = any(%s::uuid[]))"
                        " from public.reports r left join public.tasks t on t.report_id = r.id"
                        " where r.id = any(%s::uuid[])", ([r["id"] for r in rows],) * 2).fetchone()
            conn.execute("alter table public.reports enable trigger reports_route")
            conn.execute("alter table public.reports enable trigger reports_dispatch")

    on, off = phases["dispatch on"], phases["baseline: dispatch off"]
    print(f"Reports filed through POST /rest/v1/reports (RLS on, citizen JWTs): {args.reports} per phase, "
          f"{args.citizens} citizens in {args.processes} client processes, {args.gateway_workers} gateway worker(s), "
          f"{os.cpu_count()} CPUs; demo city: 8 grids, {on_duty} workers on duty, {len(categories)} items")
    print(f"dispatch on: {routed[0]} dispatched (worker {routed[1]}, department {routed[2]}, supervisor {routed[3]}),"
          f" {routed[4]} case_events")
    header = f"{'':26}{'reports/s':>10}" + "".join(f"{c:>9}" for c in ("rt p50", "rt p95", "rt p99", "srv p50",
                                                                     "srv p95", "srv p99")) + f"{'errors':>8}"
    print(header + "   (ms; rt = request round trip, srv = server-side insert work)")
    for name, r in phases.items():
        rt, srv = r["latencies"], r["server"]
        print(f"{name:26}{r['rps']:>10.0f}{percentile(rt, .5) * 1e3:>9.2f}{percentile(rt, .95) * 1e3:>9.2f}"
              f"{percentile(rt, .99) * 1e3:>9.2f}{percentile(srv, .5) * 1e3:>9.2f}{percentile(srv, .95) * 1e3:>9.2f}"
              f"{percentile(srv, .99) * 1e3:>9.2f}{len(r['failures']):>8}")
    print(f"ratio on / off: reports/s {on['rps'] / off['rps']:.2f}, round-trip p50 "
          f"{percentile(on['latencies'], .5) / percentile(off['latencies'], .5):.2f}, p95 "
          f"{percentile(on['latencies'], .95) / percentile(off['latencies'], .95):.2f}")
    work50 = (percentile(on["server"], .5) - percentile(off["server"], .5)) * 1e3
    work95 = (percentile(on["server"], .95) - percentile(off["server"], .95)) * 1e3
    print(f"dispatch work (server-side, on minus off): p50 {work50:.2f} ms, p95 {work95:.2f} ms; "
          f"server-side p95 with dispatch {percentile(on['server'], .95) * 1e3:.2f} ms "
          f"({'within' if percentile(on['server'], .95) < 0.050 else 'ABOVE'} the 50 ms aim)")
    for name, r in phases.items():
        if r["failures"]:
            print(f"{name}: {len(r['failures'])} failed, e.g. {r['failures'][0]}")
    return 0 if not on["failures"] and not off["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
