"""Payments: 1,000 bills paid by 50 concurrent citizens, 10% of submissions sent twice, zero double charges.

Starts its own local stack (temporary state folder, free ports), creates `--users` citizens
(admin API), imports `--payments` bills spread over one water account per citizen (the import
RPC) and links each account. Then each citizen pays its bills one after another, the full path
over HTTP, as the app and the provider do it:

  POST /rest/v1/rpc/create_payment          (idempotency key)
  POST /functions/v1/payments-checkout      (the sandbox order; the payment becomes pending)
  POST /sandbox-pay/checkout/{ref}/pay      (the payer pays; the sandbox sends the signed
                                             notification, the backend settles and marks the bill paid)

`--duplicates` (default 10%) of the submissions are sent twice at the same moment with the same
idempotency key, as a double tap or a retry after a timeout would. Afterwards it counts, in SQL,
payments per bill and net charges per bill: a duplicate charge is any bill charged more than once.

Baseline, same run and same users: a plain REST insert (`POST /rest/v1/<bench table>` with RLS,
no triggers) 1,000 times by the same concurrent citizens. Prints payments/s, p50/p95/p99 of
one full payment, the baseline's rate and p95, the ratios, and the duplicate charges (must be 0).

    .venv/bin/python bench/payments.py [--payments 1000] [--users 50] [--duplicates 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid

import httpx

from _stack import temporary_stack

BASELINE_SQL = """
create schema if not exists bench;
grant usage on schema bench to authenticated;
create table bench.receipts (id bigint generated always as identity primary key,
  owner_id uuid not null default auth.uid(), amount_fen integer not null, created_at timestamptz not null default now());
alter table bench.receipts enable row level security;
create policy "Owners insert their own rows" on bench.receipts for insert to authenticated with check (owner_id = auth.uid());
grant insert on bench.receipts to authenticated;
notify pgrst, 'reload schema';
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


RETRIES = {"count": 0}


async def post(http: httpx.AsyncClient, *args, **kwargs) -> httpx.Response:
    """Every step is idempotent, so a dropped connection is retried as the app does (same key)."""
    for attempt in range(4):
        try:
            return await http.post(*args, **kwargs)
        except httpx.TransportError:
            if attempt == 3:
                raise
            RETRIES["count"] += 1
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


async def pay_one(http: httpx.AsyncClient, url: str, headers: dict, bill_id: str, key: str) -> float:
    t0 = time.perf_counter()
    r = await post(http, f"{url}/rest/v1/rpc/create_payment", json={"bill": bill_id, "idempotency_key": key},
                   headers=headers)
    r.raise_for_status()
    payment = r.json()
    r = await post(http, f"{url}/functions/v1/payments-checkout", json={"payment_id": payment["id"]}, headers=headers)
    r.raise_for_status()
    ref = r.json()["payment"]["provider_ref"]
    r = await post(http, f"{url}/sandbox-pay/checkout/{ref}/pay")
    if r.status_code not in (200, 303):
        raise RuntimeError(f"sandbox answered {r.status_code}")
    return time.perf_counter() - t0


async def payments_phase(url: str, anon: str, users: list[tuple[str, list[str]]], dup_rate: float,
                         rng: random.Random) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    duplicates = 0

    async def citizen(http: httpx.AsyncClient, token: str, bills: list[str]) -> None:
        nonlocal duplicates
        headers = {"apikey": anon, "Authorization": f"Bearer {token}"}
        for bill_id in bills:
            key = uuid.uuid4().hex
            times = 2 if rng.random() < dup_rate else 1
            duplicates += times - 1
            results = await asyncio.gather(*(pay_one(http, url, headers, bill_id, key) for _ in range(times)),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    failures.append(repr(result)[:200])
                else:
                    latencies.append(result)

    limits = httpx.Limits(max_connections=2 * len(users) + 4, max_keepalive_connections=2 * len(users) + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(citizen(http, token, bills) for token, bills in users))
        wall = time.perf_counter() - start
    return {"latencies": latencies, "failures": failures, "wall": wall, "duplicates": duplicates}


async def baseline_phase(url: str, anon: str, tokens: list[str], total: int) -> dict:
    latencies: list[float] = []
    per_user = total // len(tokens)

    async def citizen(http: httpx.AsyncClient, token: str) -> None:
        headers = {"apikey": anon, "Authorization": f"Bearer {token}", "Content-Profile": "bench",
                   "Prefer": "return=minimal"}
        for i in range(per_user):
            t0 = time.perf_counter()
            r = await http.post(f"{url}/rest/v1/receipts", json={"amount_fen": 100 + i}, headers=headers)
            r.raise_for_status()
            latencies.append(time.perf_counter() - t0)

    limits = httpx.Limits(max_connections=len(tokens) + 4, max_keepalive_connections=len(tokens) + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(citizen(http, t) for t in tokens))
        wall = time.perf_counter() - start
    return {"latencies": latencies, "wall": wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--payments", type=int, default=1000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duplicates", type=float, default=0.10, help="share of submissions sent twice")
    ap.add_argument("--seed", type=int, default=20261121)
    args = ap.parse_args()

    import os

    import psycopg
    from supabase import ClientOptions, create_client

    os.environ["CITYLOOP_PAYMENTS_INTERVAL"] = "0"  # no reconciliation pass in the middle of the measurement
    rng = random.Random(args.seed)
    with temporary_stack("public,bench") as stack:
        env = stack.env()
        url, anon = env["SUPABASE_URL"], env["SUPABASE_ANON_KEY"]
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            db.execute(BASELINE_SQL)
        options = ClientOptions(auto_refresh_token=False, persist_session=False)
        service = create_client(url, env["SUPABASE_SERVICE_ROLE_KEY"], options=options)
        per_user = args.payments // args.users
        users: list[tuple[str, list[str]]] = []
        for i in range(args.users):
            email, password = f"payer{i}@bench.cityloop.local", f"bench-password-{i}"
            service.auth.admin.create_user({"email": email, "password": password, "email_confirm": True,
                                            "app_metadata": {"role": "citizen"}})
            client = create_client(url, anon, options=options)
            token = client.auth.sign_in_with_password({"email": email, "password": password}).session.access_token
            account_no = f"B{i:06d}"
            rows = [{"provider": "city_water", "kind": "water", "account_no": account_no, "holder_name": f"用户{i}",
                     "address": "基准路 1 号", "period": f"{2000 + m // 12}-{m % 12 + 1:02d}",
                     "amount_fen": rng.randint(500, 30000), "due_date": "2026-12-31"} for m in range(per_user)]
            service.rpc("import_bills", {"rows": rows}).execute()
            client.rpc("link_utility_account", {"kind": "water", "provider": "city_water", "account_no": account_no,
                                                "holder_name": f"用户{i}"}).execute()
            bills = [b["id"] for b in client.table("bills").select("id").execute().data]
            users.append((token, bills))

        base = asyncio.run(baseline_phase(url, anon, [t for t, _ in users], args.payments))
        pay = asyncio.run(payments_phase(url, anon, users, args.duplicates, rng))

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            bills_paid = db.execute("select count(*) from public.bills where status = 'paid'").fetchone()[0]
            payments = db.execute("select count(*) from public.payments").fetchone()[0]
            extra_payments = db.execute("""select coalesce(sum(n - 1), 0) from (select count(*) n from public.payments
                                           group by bill_id) x""").fetchone()[0]
            double_charges = db.execute("""select count(*) from (select bill_id from public.payment_ledger group by bill_id
                having sum(case kind when 'charge' then 1 else -1 end) > 1) x""").fetchone()[0]

    total_bills = per_user * args.users
    rate = total_bills / pay["wall"]
    base_rate = len(base["latencies"]) / base["wall"]
    print(f"payments: {total_bills} bills by {args.users} concurrent users, {pay['duplicates']} duplicate submissions"
          f" ({len(pay['latencies'])} full paths, {len(pay['failures'])} failed, {RETRIES['count']} dropped connections"
          " retried with the same key)")
    print(f"  payments/s          {rate:8.1f}   (wall {pay['wall']:.1f} s)")
    print(f"  full payment        p50 {ms(percentile(pay['latencies'], .5))}  p95 {ms(percentile(pay['latencies'], .95))}"
          f"  p99 {ms(percentile(pay['latencies'], .99))}   (create -> checkout -> sandbox pay -> signed notification -> settled)")
    print(f"baseline: plain REST insert with RLS, {len(base['latencies'])} rows by the same users")
    print(f"  inserts/s           {base_rate:8.1f}   p95 {ms(percentile(base['latencies'], .95))}")
    print(f"ratio: payments/s vs inserts/s = {rate / base_rate:.3f}; p95 full payment / p95 insert ="
          f" {percentile(pay['latencies'], .95) / percentile(base['latencies'], .95):.1f}x")
    print(f"bills paid {bills_paid}/{total_bills}; payments rows {payments} (extra per bill: {extra_payments});"
          f" duplicate charges: {double_charges}")
    if pay["failures"]:
        print("first failures:", *pay["failures"][:3], sep="\n  ")
    return 0 if double_charges == 0 and extra_payments == 0 and bills_paid == total_bills else 1


if __name__ == "__main__":
    sys.exit(main())
