"""Realtime fan-out: 200 subscribers in 20 grids, RLS deciding who sees each insert, vs. raw LISTEN/NOTIFY.

Starts its own local stack (temporary state folder, free ports), creates
`bench.grid_rows` with the policy "Users see rows of their grid" (the grid comes
from the token's app_metadata, as the service role would set it), adds it to
publication `supabase_realtime`, then runs two phases with the same inserts:

1. baseline: raw LISTEN/NOTIFY, no RLS. 20 psycopg connections (one per grid) listen
   on the capture trigger's channel and keep their grid's rows: the floor that the
   trigger and NOTIFY alone cost.
2. gateway: 200 supabase-py async clients (10 per grid), each subscribed to every
   INSERT on the table without a filter, so the gateway checks each insert against
   each subscriber's RLS and sends it only where the policy allows.

Each phase inserts `--inserts` rows spread round-robin over the grids, one
transaction each, at `--rate` per second (0: as fast as one connection can). Latency
is receipt time minus the insert's commit time (the moment its COMMIT returned), both
`time.time()` on this machine; subscribers run in a separate process from the inserter.

Prints latency p50/p95/p99, deliveries expected vs. received, deliveries that must
not have happened (a row of another grid: must be 0) and the ratio to the baseline.

City scale (`--city`): 1,000 workers in 1,000 grids plus 20 city-brain screens (`--brain`,
subscribers whose token says role admin: the policy shows them every grid), at a sustained
1 insert/s with a burst of 20/s for 3 s every 30 s (`--pattern city`). The gateway phase
runs twice with the same inserts: every worker subscribed to the whole table (each change
checked against each subscriber's RLS), then each worker subscribed with the filter
`grid_id=eq.<grid>` (the filter is matched first; RLS is checked only where it matches), as
Supabase advises at scale. Subscribers speak to /realtime/v1 with realtime-py directly
(the client supabase-py wraps), so one process holds a thousand sockets.

    .venv/bin/python bench/realtime_fanout.py [--clients 200] [--grids 20] [--inserts 1000] [--rate 0]
    .venv/bin/python bench/realtime_fanout.py --city   # = --clients 1000 --grids 1000 --brain 20 --pattern city --inserts 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from _stack import temporary_stack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RAW_LISTENERS = 20  # connections of the raw baseline
SETUP_SQL = """
drop schema if exists bench cascade;
create schema bench;
grant usage on schema bench to anon, authenticated, service_role;
create table bench.grid_rows (
  id bigint generated always as identity primary key,
  grid_id integer not null,
  title text not null,
  created_at timestamptz not null default now()
);
create index on bench.grid_rows (grid_id);
alter table bench.grid_rows enable row level security;
create policy "Users see rows of their grid" on bench.grid_rows for select to authenticated
  using (grid_id = (((select auth.jwt()) -> 'app_metadata' ->> 'grid_id'))::integer
         or ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');
grant select on bench.grid_rows to authenticated;
alter publication supabase_realtime add table bench.grid_rows;
"""



# --- subscriber processes --------------------------------------------------------
async def _collect_until_done(received: list, expected: int, idle_s: float = 3.0, limit_s: float = 60.0) -> None:
    """Wait for the parent's DONE line, then until everything arrived or nothing more comes."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    deadline, last_count, last_change = time.monotonic() + limit_s, -1, time.monotonic()
    while len(received) < expected and time.monotonic() < deadline:
        if len(received) != last_count:
            last_count, last_change = len(received), time.monotonic()
        elif time.monotonic() - last_change > idle_s:
            break
        await asyncio.sleep(0.05)


async def run_gateway_clients(config: dict) -> None:
    from realtime import AsyncRealtimeClient

    received: list[tuple[int, int, int, float]] = []  # (client, row id, row grid, receipt time)
    url = config["url"].replace("http", "ws", 1) + "/realtime/v1"

    async def one(n: int, grid: int | None, token: str):
        client = AsyncRealtimeClient(url, config["anon_key"], auto_reconnect=False)
        await client.connect()
        await client.set_auth(token)
        states = []
        channel = client.channel(f"grid-{grid}-{uuid.uuid4().hex[:6]}")
        where = {"filter": f"grid_id=eq.{grid}"} if config.get("filtered") and grid is not None else {}
        channel.on_postgres_changes(
            "INSERT", schema="bench", table="grid_rows",
            callback=lambda p, c=n: received.append((c, p["data"]["record"]["id"], p["data"]["record"]["grid_id"], time.time())),
            **where)
        await channel.subscribe(lambda state, error: states.append(state.value))
        for _ in range(200):
            if states:
                break
            await asyncio.sleep(0.05)
        if states[-1:] != ["SUBSCRIBED"]:
            raise RuntimeError(f"subscription failed: {states}")
        return client

    clients = []
    subscribers = config["tokens"]
    began = time.monotonic()
    for start in range(0, len(subscribers), 20):
        clients += await asyncio.gather(*(one(start + k, g, t) for k, (g, t) in enumerate(subscribers[start:start + 20])))
        if len(clients) % 200 == 0 or len(clients) == len(subscribers):
            print(f"  {len(clients)} of {len(subscribers)} subscribed in {time.monotonic() - began:.0f} s",
                  file=sys.stderr, flush=True)
    print("READY", flush=True)
    cpu = time.process_time()
    await _collect_until_done(received, config["expected"])
    Path(config["out"]).write_text(json.dumps({"received": received, "cpu_s": time.process_time() - cpu}))
    for client in clients:
        await client.close()


async def run_raw_listeners(config: dict) -> None:
    """At most `RAW_LISTENERS` connections (a thousand would pass PostgreSQL's max_connections);
    listener k keeps the rows of grids g with g % listeners == k, so each row is kept once."""
    import psycopg

    received: list[tuple[int, int, int, float]] = []
    listeners = min(config["grids"], RAW_LISTENERS)

    async def listen(k: int) -> None:
        async with await psycopg.AsyncConnection.connect(config["database_url"], autocommit=True) as conn:
            await conn.execute("listen cityloop_realtime")
            ready.append(k)
            async for note in conn.notifies():
                change = json.loads(note.payload)
                record = change.get("record") or {}
                grid = record.get("grid_id")
                if change.get("table") == "grid_rows" and grid is not None and grid % listeners == k:
                    received.append((grid, record["id"], grid, time.time()))

    ready: list[int] = []
    tasks = [asyncio.create_task(listen(k)) for k in range(listeners)]
    while len(ready) < listeners:
        failed = [t for t in tasks if t.done()]
        if failed:
            raise RuntimeError(f"a listener could not start: {failed[0].exception()!r}")
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    cpu = time.process_time()
    await _collect_until_done(received, config["expected"])
    Path(config["out"]).write_text(json.dumps({"received": received, "cpu_s": time.process_time() - cpu}))
    for task in tasks:
        task.cancel()


# --- the parent: stack, inserts, figures ------------------------------------------
def schedule(n: int, rate: float, pattern: str) -> list[float]:
    """Seconds after the start at which each insert is due (empty: as fast as possible)."""
    if pattern == "city":  # 1/s sustained, 20/s for 3 s every 30 s
        times, t = [], 0.0
        while len(times) < n:
            in_burst = (t % 30.0) < 3.0
            times.append(t)
            t += 1 / 20 if in_burst else 1.0
        return times
    return [i / rate for i in range(n)] if rate > 0 else []


def insert_rows(database_url: str, n: int, grids: int, rate: float, tag: str,
                pattern: str = "") -> dict[int, tuple[int, float]]:
    """id -> (grid, commit time). One transaction per row, at the times `schedule` gives."""
    import psycopg

    committed: dict[int, tuple[int, float]] = {}
    due = schedule(n, rate, pattern)
    spread = max(1, grids // max(1, min(n, grids)))  # with more grids than rows, rows land on grids far apart
    with psycopg.connect(database_url, autocommit=True) as conn:
        start = time.perf_counter()
        for i in range(n):
            if due:
                delay = start + due[i] - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            grid = (i * spread) % grids
            row_id = conn.execute("insert into bench.grid_rows (grid_id, title) values (%s, %s) returning id",
                                  (grid, f"{tag} {i}")).fetchone()[0]
            committed[row_id] = (grid, time.time())
    return committed


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(role: str, config: dict, database_url: str, args, home: Path, gateway_pid: int | None,
              name: str | None = None) -> dict:
    out = home / f"{name or role}.json"
    cfg = home / f"{name or role}-config.json"
    cfg.write_text(json.dumps({**config, "out": str(out)}))
    proc = subprocess.Popen([sys.executable, __file__, "--role", role, "--config", str(cfg)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if line.strip() != "READY":
        proc.kill()
        raise RuntimeError(f"{role} did not start: {line!r}")
    started, gateway_cpu = time.perf_counter(), cpu_seconds(gateway_pid)
    committed = insert_rows(database_url, args.inserts, args.grids, args.rate, role, args.pattern)
    insert_s = time.perf_counter() - started
    proc.stdin.write("DONE\n")
    proc.stdin.flush()
    proc.wait(timeout=300)
    result = json.loads(out.read_text())
    return {"committed": committed, "received": result["received"], "insert_s": insert_s,
            "subscriber_cpu_s": result["cpu_s"], "gateway_cpu_s": cpu_seconds(gateway_pid) - gateway_cpu}


def figures(committed: dict, received: list, per_grid: int, grids: int, workers: int | None = None,
            brain: int = 0) -> dict:
    """Workers are clients 0..workers-1 (client % grids is its grid); brain screens follow and see every row."""
    workers = len(committed) and (workers if workers is not None else per_grid * grids)
    expected = len(committed) * (per_grid + brain)
    wrong = sum(1 for client, _, row_grid, _ in received if client < workers and client % grids != row_grid)
    latencies = sorted(t - committed[row_id][1] for _, row_id, _, t in received if row_id in committed)
    seen = {(g, r) for g, r, _, _ in received}

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")

    return {"expected": expected, "received": len(received), "distinct": len(seen), "wrong": wrong,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": latencies[-1] * 1000 if latencies else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--grids", type=int, default=20)
    ap.add_argument("--inserts", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=0, help="inserts per second; 0 = as fast as possible")
    ap.add_argument("--brain", type=int, default=0, help="city-brain subscribers that see every grid")
    ap.add_argument("--pattern", choices=["", "city"], default="", help="city: 1/s with bursts of 20/s")
    ap.add_argument("--city", action="store_true", help="1,000 workers in 1,000 grids, 20 brain screens, city pace")
    ap.add_argument("--role", choices=["clients", "raw"], help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role:
        config = json.loads(Path(args.config).read_text())
        asyncio.run(run_gateway_clients(config) if args.role == "clients" else run_raw_listeners(config))
        return 0
    if args.city:
        args.clients, args.grids, args.brain, args.pattern = 1000, 1000, 20, "city"
        if args.inserts == 1000:
            args.inserts = 300
    if args.clients % args.grids:
        ap.error("--clients must be a multiple of --grids")
    # A thousand sockets come from this one address; the gateway's per-address cap protects a real city.
    os.environ.setdefault("CITYLOOP_MAX_CONNECTIONS_PER_ADDRESS", str(args.clients + args.brain + 100))

    import psycopg

    with temporary_stack() as stack:
        home = stack.settings.home
        env = stack.env()
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(SETUP_SQL)
            conn.execute("notify pgrst, 'reload schema'")
        time.sleep(0.5)
        # Tokens as /auth/v1 issues them (the policy reads only app_metadata, so no accounts are needed).
        now = int(time.time())

        def token(i: int, meta: dict) -> str:
            return stack.secrets.sign({
                "iss": f"{env['SUPABASE_URL']}/auth/v1", "sub": str(uuid.uuid4()), "aud": "authenticated",
                "exp": now + 3600, "iat": now, "email": f"bench{i}@bench.cityloop.local", "phone": "",
                "app_metadata": {"provider": "email", "providers": ["email"], **meta}, "user_metadata": {},
                "role": "authenticated", "aal": "aal1", "amr": [{"method": "password", "timestamp": now}],
                "session_id": str(uuid.uuid4()), "is_anonymous": False})

        tokens = [(i % args.grids, token(i, {"grid_id": i % args.grids})) for i in range(args.clients)]
        tokens += [(None, token(args.clients + b, {"role": "admin"})) for b in range(args.brain)]
        per_grid = args.clients // args.grids

        pid = stack.gateway_pid()
        raw_run = run_phase("raw", {"database_url": env["DATABASE_URL"], "grids": args.grids,
                                    "expected": args.inserts}, env["DATABASE_URL"], args, home, pid)
        raw = figures(raw_run["committed"], raw_run["received"], 1, args.grids, workers=10 ** 9)
        phases = [("unfiltered", False)] + ([("filtered", True)] if args.city or args.brain else [])
        results = {}
        for name, filtered in phases:
            run = run_phase("clients", {"url": env["SUPABASE_URL"], "anon_key": env["SUPABASE_ANON_KEY"],
                                        "tokens": tokens, "filtered": filtered,
                                        "expected": args.inserts * (per_grid + args.brain)},
                            env["DATABASE_URL"], args, home, pid, name=name)
            results[name] = (run, figures(run["committed"], run["received"], per_grid, args.grids,
                                          workers=args.clients, brain=args.brain))

        pace = ("1/s with bursts of 20/s" if args.pattern == "city" else
                f"{args.rate:.0f}/s" if args.rate else
                f"unpaced, {args.inserts / results['unfiltered'][0]['insert_s']:.0f}/s")
        print(f"Realtime fan-out: {args.clients} subscribers in {args.grids} grids"
              f"{f' + {args.brain} city-brain screens' if args.brain else ''}, RLS per subscriber, "
              f"{args.inserts} inserts ({pace})")
        print(f"{'':44}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'expected':>10}{'received':>10}{'wrong':>7}")
        rows = [(f"raw LISTEN/NOTIFY, {min(args.grids, RAW_LISTENERS)} conns, no RLS", raw)]
        rows += [(f"gateway, {name} subscriptions", f) for name, (_, f) in results.items()]
        for label, f in rows:
            print(f"{label:44}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['p99']:>9.1f}{f['max']:>9.1f}"
                  f"{f['expected']:>10}{f['received']:>10}{f['wrong']:>7}")
        ok = True
        for name, (run, f) in results.items():
            print(f"{name}: deliveries that must not have happened: {f['wrong']}   missing: {f['expected'] - f['distinct']}"
                  f"   duplicates: {f['received'] - f['distinct']}   ratio to raw NOTIFY: p50 {f['p50'] / raw['p50']:.1f}x,"
                  f" p95 {f['p95'] / raw['p95']:.1f}x   CPU s: gateway {run['gateway_cpu_s']:.1f},"
                  f" subscribers {run['subscriber_cpu_s']:.1f}")
            ok = ok and f["wrong"] == 0 and f["distinct"] == f["expected"]
        if "filtered" in results:
            u, fl = results["unfiltered"][1], results["filtered"][1]
            print(f"filtered / unfiltered: p95 {fl['p95'] / u['p95']:.2f}x, gateway CPU "
                  f"{results['filtered'][0]['gateway_cpu_s'] / max(results['unfiltered'][0]['gateway_cpu_s'], 1e-9):.2f}x")
        print(f"(on {os.cpu_count()} cores; load average at the end: {os.getloadavg()[0]:.1f})")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
