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

    .venv/bin/python bench/realtime_fanout.py [--clients 200] [--grids 20] [--inserts 1000] [--rate 0]
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
  using (grid_id = (((select auth.jwt()) -> 'app_metadata' ->> 'grid_id'))::integer);
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
    from supabase import AsyncClientOptions, acreate_client

    received: list[tuple[int, int, int, float]] = []  # (client, row id, row grid, receipt time); client = n * grids + grid

    async def one(n: int, grid: int, token: str):
        client = await acreate_client(config["url"], config["anon_key"],
                                      options=AsyncClientOptions(auto_refresh_token=False, persist_session=False))
        await client.realtime.set_auth(token)
        states = []
        channel = client.channel(f"grid-{grid}-{uuid.uuid4().hex[:6]}")
        channel.on_postgres_changes(
            "INSERT", schema="bench", table="grid_rows",
            callback=lambda p, c=n: received.append((c, p["data"]["record"]["id"], p["data"]["record"]["grid_id"], time.time())))
        await channel.subscribe(lambda state, error: states.append(state.value))
        if states[-1:] != ["SUBSCRIBED"]:
            raise RuntimeError(f"subscription failed: {states}")
        return client

    clients = []
    for start in range(0, len(config["tokens"]), 20):
        clients += await asyncio.gather(*(one(start + k, g, t) for k, (g, t) in enumerate(config["tokens"][start:start + 20])))
    print("READY", flush=True)
    cpu = time.process_time()
    await _collect_until_done(received, config["expected"])
    Path(config["out"]).write_text(json.dumps({"received": received, "cpu_s": time.process_time() - cpu}))
    for client in clients:
        await client.realtime.close()


async def run_raw_listeners(config: dict) -> None:
    import psycopg

    received: list[tuple[int, int, int, float]] = []

    async def listen(grid: int) -> None:
        async with await psycopg.AsyncConnection.connect(config["database_url"], autocommit=True) as conn:
            await conn.execute("listen cityloop_realtime")
            ready.append(grid)
            async for note in conn.notifies():
                change = json.loads(note.payload)
                record = change.get("record") or {}
                if change.get("table") == "grid_rows" and record.get("grid_id") == grid:
                    received.append((grid, record["id"], grid, time.time()))

    ready: list[int] = []
    tasks = [asyncio.create_task(listen(g)) for g in range(config["grids"])]
    while len(ready) < config["grids"]:
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    cpu = time.process_time()
    await _collect_until_done(received, config["expected"])
    Path(config["out"]).write_text(json.dumps({"received": received, "cpu_s": time.process_time() - cpu}))
    for task in tasks:
        task.cancel()


# --- the parent: stack, inserts, figures ------------------------------------------
def insert_rows(database_url: str, n: int, grids: int, rate: float, tag: str) -> dict[int, tuple[int, float]]:
    """id -> (grid, commit time). One transaction per row."""
    import psycopg

    committed: dict[int, tuple[int, float]] = {}
    interval = 1.0 / rate if rate > 0 else 0.0
    with psycopg.connect(database_url, autocommit=True) as conn:
        start = time.perf_counter()
        for i in range(n):
            if interval:
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            grid = i % grids
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


def run_phase(role: str, config: dict, database_url: str, args, home: Path, gateway_pid: int | None) -> dict:
    out = home / f"{role}.json"
    cfg = home / f"{role}-config.json"
    cfg.write_text(json.dumps({**config, "out": str(out)}))
    proc = subprocess.Popen([sys.executable, __file__, "--role", role, "--config", str(cfg)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if line.strip() != "READY":
        proc.kill()
        raise RuntimeError(f"{role} did not start: {line!r}")
    started, gateway_cpu = time.perf_counter(), cpu_seconds(gateway_pid)
    committed = insert_rows(database_url, args.inserts, args.grids, args.rate, role)
    insert_s = time.perf_counter() - started
    proc.stdin.write("DONE\n")
    proc.stdin.flush()
    proc.wait(timeout=120)
    result = json.loads(out.read_text())
    return {"committed": committed, "received": result["received"], "insert_s": insert_s,
            "subscriber_cpu_s": result["cpu_s"], "gateway_cpu_s": cpu_seconds(gateway_pid) - gateway_cpu}


def figures(committed: dict, received: list, per_grid: int, grids: int) -> dict:
    expected = len(committed) * per_grid
    wrong = sum(1 for client, _, row_grid, _ in received if client % grids != row_grid)
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
    ap.add_argument("--role", choices=["clients", "raw"], help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role:
        config = json.loads(Path(args.config).read_text())
        asyncio.run(run_gateway_clients(config) if args.role == "clients" else run_raw_listeners(config))
        return 0
    if args.clients % args.grids:
        ap.error("--clients must be a multiple of --grids")

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
        tokens = []
        for i in range(args.clients):
            grid = i % args.grids
            tokens.append((grid, stack.secrets.sign({
                "iss": f"{env['SUPABASE_URL']}/auth/v1", "sub": str(uuid.uuid4()), "aud": "authenticated",
                "exp": now + 3600, "iat": now, "email": f"bench{i}@bench.cityloop.local", "phone": "",
                "app_metadata": {"provider": "email", "providers": ["email"], "grid_id": grid}, "user_metadata": {},
                "role": "authenticated", "aal": "aal1", "amr": [{"method": "password", "timestamp": now}],
                "session_id": str(uuid.uuid4()), "is_anonymous": False})))
        per_grid = args.clients // args.grids

        pid = stack.gateway_pid()
        raw_run = run_phase("raw", {"database_url": env["DATABASE_URL"], "grids": args.grids, "expected": args.inserts},
                            env["DATABASE_URL"], args, home, pid)
        raw = figures(raw_run["committed"], raw_run["received"], 1, args.grids)
        gw_run = run_phase("clients", {"url": env["SUPABASE_URL"], "anon_key": env["SUPABASE_ANON_KEY"], "tokens": tokens,
                                       "expected": args.inserts * per_grid}, env["DATABASE_URL"], args, home, pid)
        gw = figures(gw_run["committed"], gw_run["received"], per_grid, args.grids)

        rate = f"{args.rate:.0f}/s" if args.rate else f"unpaced, {args.inserts / gw_run['insert_s']:.0f}/s"
        print(f"Realtime fan-out: {args.clients} subscribers in {args.grids} grids, RLS per subscriber, "
              f"{args.inserts} inserts ({rate})")
        print(f"{'':40}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'expected':>10}{'received':>10}{'wrong':>7}")
        for name, f in (("raw LISTEN/NOTIFY, 20 conns, no RLS", raw), ("gateway -> supabase-py, RLS", gw)):
            print(f"{name:40}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['p99']:>9.1f}{f['max']:>9.1f}"
                  f"{f['expected']:>10}{f['received']:>10}{f['wrong']:>7}")
        print(f"deliveries that must not have happened: {gw['wrong']}   missing: {gw['expected'] - gw['distinct']}   "
              f"duplicates: {gw['received'] - gw['distinct']}")
        print(f"ratio gateway / raw NOTIFY: p50 {gw['p50'] / raw['p50']:.1f}x, p95 {gw['p95'] / raw['p95']:.1f}x")
        print(f"CPU seconds during the gateway phase: gateway {gw_run['gateway_cpu_s']:.1f}, "
              f"subscriber process {gw_run['subscriber_cpu_s']:.1f} (on {os.cpu_count()} cores)")
        ok = gw["wrong"] == 0 and gw["distinct"] == gw["expected"]
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
