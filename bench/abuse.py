"""A legitimate resident under attack: her p95 while each attack runs, against the same run quiet.

Starts its own local stack (temporary state folder, free ports, demo city). A resident
files reports and raises (then cancels) an SOS in a steady loop through the real HTTP
API; each attack below runs beside her for `--seconds`, from its own loopback source
addresses (127.0.0.2 and up, so per-address limits see a different client, as they
would on a network). Every loop is bounded in count and time and sends only to the
stack on 127.0.0.1.

  oversized bodies : 5 anonymous 100 MB bodies streamed to /rest/v1 and /auth/v1
  slow headers     : up to 2,000 sockets that send half a request header and wait
  slow-query filter: 16 anonymous clients sending a 2.7 KB `match` regex filter
  broadcast flood  : 60 KB broadcast frames to a topic with 100 subscribers
                     (permessage-deflate), as anon and as a signed-in user
  sign-in guessing : wrong passwords for the resident's own account and for others

For each: the resident's p95 for one cycle (report + SOS raise + cancel) quiet and during
the attack, their ratio (target <= 2x), her failures, what the attacker was answered, and
the gateway's peak memory. Each attack runs in a process of its own, so its CPU work is the
machine's load, not a delay in the resident's own loop. A cycle counts as failed when any of her requests fails, so a
denial of service shows as failures, not as a good p95.

    .venv/bin/python bench/abuse.py [--seconds 10] [--only slow-headers,...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import psutil
import websockets

from _stack import temporary_stack

from backend.local_supabase.config import Settings

POINT = (39.125, 117.19375)  # inside the demo city's first grid
TARGET_RATIO = 2.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@dataclass
class Api:
    url: str
    anon: str
    service: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"apikey": self.anon, "Authorization": f"Bearer {token or self.anon}"}

    def client(self, source: str = "127.0.0.1", **kw) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=kw.pop("timeout", 30),
                                 transport=httpx.AsyncHTTPTransport(local_address=source), **kw)


@dataclass
class Resident:
    """Many accounts take turns, so the hourly report quota never throttles the measurement."""
    tokens: list[str]
    turn: int = 0

    def next_token(self) -> str:
        self.turn += 1
        return self.tokens[self.turn % len(self.tokens)]


async def make_user(api: Api, email: str, password: str, role: str | None = None) -> str:
    async with api.client() as c:
        admin = {"apikey": api.service, "Authorization": f"Bearer {api.service}"}
        body = {"email": email, "password": password, "email_confirm": True}
        if role:
            body["app_metadata"] = {"role": role}
        r = await c.post("/auth/v1/admin/users", json=body, headers=admin)
        r.raise_for_status()
        r = await c.post("/auth/v1/token?grant_type=password", json={"email": email, "password": password},
                         headers=api.headers())
        r.raise_for_status()
        return r.json()["access_token"]


async def resident_cycle(api: Api, c: httpx.AsyncClient, token: str, i: int) -> None:
    """One report, one SOS raised and cancelled: what a resident must always be able to do."""
    h = api.headers(token) | {"Prefer": "return=minimal"}
    r = await c.post("/rest/v1/reports", headers=h, json={
        "id": str(uuid.uuid4()), "category_code": "01.01.001", "description": f"垃圾满溢 bench {i}",
        "lat": POINT[0], "lon": POINT[1]})
    r.raise_for_status()
    r = await c.post("/rest/v1/rpc/raise_sos", headers=api.headers(token),
                     json={"lat": POINT[0], "lon": POINT[1], "note": "bench"})
    r.raise_for_status()
    alert = r.json()["id"]
    r = await c.post("/rest/v1/rpc/cancel_sos", headers=api.headers(token),
                     json={"alert_id": alert, "reason": "bench"})
    r.raise_for_status()


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)


async def measure_resident(api: Api, resident: Resident, seconds: float, pause: float = 0.2) -> Run:
    run = Run()
    deadline = time.monotonic() + seconds
    i = 0
    async with api.client(timeout=60) as c:
        while time.monotonic() < deadline and i < 500:
            i += 1
            t = time.perf_counter()
            try:
                await resident_cycle(api, c, resident.next_token(), i)
                run.latencies.append(time.perf_counter() - t)
            except Exception as exc:  # a failed cycle is the figure here, not an error of the bench
                run.failures[type(exc).__name__ if not isinstance(exc, httpx.HTTPStatusError)
                             else f"HTTP {exc.response.status_code}"] += 1
            await asyncio.sleep(pause)
    return run


class MemoryWatch:
    """Peak RSS of the gateway process (and its children), sampled every 100 ms."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._task: asyncio.Task | None = None

    def rss(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    async def _loop(self) -> None:
        while True:
            self.peak = max(self.peak, self.rss())
            await asyncio.sleep(0.1)

    def start(self) -> None:
        self.peak = self.rss()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> int:
        assert self._task
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.peak


def source(n: int) -> str:
    return f"127.0.{n // 250}.{2 + n % 250}"


# ------------------------------------------------------------------ attacks
# Each takes (api, stop event) and returns a Counter of what the attacker was answered.

async def oversized_bodies(api: Api, stop: asyncio.Event, ctx) -> Counter:
    seen: Counter = Counter()
    chunk = b"[" + b"1," * (512 * 1024 - 1)  # 1 MB of a JSON array that never closes

    async def body():
        for _ in range(100):  # 100 MB
            if stop.is_set():
                return
            yield chunk

    async def one(n: int, path: str):
        async with api.client(source(n), timeout=60) as c:
            try:
                r = await c.post(path, content=body(), headers=api.headers() | {"Content-Type": "application/json"})
                seen[f"{r.status_code}"] += 1
            except httpx.HTTPError as exc:
                seen[type(exc).__name__] += 1

    while not stop.is_set():
        await asyncio.gather(*(one(n, p) for n, p in enumerate(["/rest/v1/reports", "/rest/v1/rpc/raise_sos",
                                                                 "/auth/v1/signup", "/rest/v1/reports",
                                                                 "/auth/v1/token?grant_type=password"])))
    return seen


async def slow_headers(api: Api, stop: asyncio.Event, ctx) -> Counter:
    seen: Counter = Counter()
    host, port = api.url.removeprefix("http://").split(":")
    writers = []
    partial = f"GET /rest/v1/categories HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode()
    limit = int(ctx.get("slow_sockets", 2000))
    for n in range(limit):
        if stop.is_set():
            break
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port), local_addr=(source(n % 20), 0)), 2)
            writer.write(partial)
            writers.append((reader, writer))
            seen["opened"] += 1
        except (OSError, asyncio.TimeoutError) as exc:
            seen[type(exc).__name__] += 1
        if n % 100 == 99:
            await asyncio.sleep(0.05)
    await stop.wait()
    for reader, writer in writers:
        if reader.at_eof():
            seen["closed by gateway"] += 1
        writer.close()
    return seen


# A regex whose cost in PostgreSQL's engine grows fast with its length: a long alternation of
# bounded repeats (about 1.4 KB runs ~9 s over the 239 categories on an unloaded core).
SLOW_REGEX = "(" + "|".join("[^x]{1,%d}y" % i for i in range(1, 120)) + ")+q"


async def slow_query(api: Api, stop: asyncio.Event, ctx) -> Counter:
    seen: Counter = Counter()

    async def one(n: int):
        async with api.client(source(n), timeout=60) as c:
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    r = await c.get("/rest/v1/categories", headers=api.headers(),
                                    params={"select": "code", "name_zh": f"match.{SLOW_REGEX}"})
                    seen[f"{r.status_code} ({'slow' if time.perf_counter() - t > 1 else 'fast'})"] += 1
                except httpx.HTTPError as exc:
                    seen[type(exc).__name__] += 1

    await asyncio.gather(*(one(n) for n in range(16)))
    return seen


async def broadcast_flood(api: Api, stop: asyncio.Event, ctx) -> Counter:
    seen: Counter = Counter()
    ws_url = api.url.replace("http://", "ws://") + f"/realtime/v1/websocket?apikey={api.anon}&vsn=1.0.0"
    topic = "realtime:bench-flood"
    token = ctx["attacker_token"]

    def join(ref: int, access_token: str) -> str:
        return json.dumps({"topic": topic, "event": "phx_join", "ref": str(ref), "join_ref": str(ref),
                           "payload": {"config": {"broadcast": {"self": False}, "presence": {"key": ""},
                                                  "private": False, "postgres_changes": []},
                                       "access_token": access_token}})

    async def subscriber(n: int):
        try:
            async with websockets.connect(ws_url, compression="deflate", max_size=None,
                                          open_timeout=10) as ws:
                await ws.send(join(1, ctx["subscriber_tokens"][n % len(ctx["subscriber_tokens"])]))
                while not stop.is_set():
                    try:
                        await asyncio.wait_for(ws.recv(), 0.5)
                        seen["delivered"] += 1
                    except asyncio.TimeoutError:
                        pass
        except Exception as exc:
            seen[f"subscriber {type(exc).__name__}"] += 1

    async def flooder(access_token: str, label: str):
        payload = "x" * 60_000
        try:
            async with websockets.connect(ws_url, compression="deflate", max_size=None, open_timeout=10) as ws:
                await ws.send(join(1, access_token))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                seen[f"{label} join {reply.get('payload', {}).get('status')}"] += 1
                for i in range(300):
                    if stop.is_set():
                        break
                    await ws.send(json.dumps({"topic": topic, "event": "broadcast", "ref": str(i + 2),
                                              "join_ref": "1", "payload": {"type": "broadcast", "event": "x",
                                                                           "payload": {"d": payload}}}))
                    seen[f"{label} sent"] += 1
                await stop.wait()
        except websockets.ConnectionClosed as exc:
            seen[f"{label} closed by gateway ({exc.rcvd.code if exc.rcvd else '-'})"] += 1
        except Exception as exc:
            seen[f"{label} {type(exc).__name__}"] += 1

    subs = [asyncio.create_task(subscriber(n)) for n in range(100)]
    await asyncio.sleep(2)
    await asyncio.gather(flooder(api.anon, "anon"), flooder(token, "signed-in"))
    await asyncio.gather(*subs)
    return seen


async def signin_guessing(api: Api, stop: asyncio.Event, ctx) -> Counter:
    """Wrong passwords for the resident's own account from many addresses, and a spray over others."""
    seen: Counter = Counter()
    victims = [ctx["victim_email"], *ctx["other_emails"]]

    async def one(n: int):
        async with api.client(source(n)) as c:
            i = 0
            while not stop.is_set() and i < 400:
                i += 1
                r = await c.post("/auth/v1/token?grant_type=password", headers=api.headers(),
                                 json={"email": victims[i % len(victims)], "password": f"wrong-{i}"})
                seen[f"{r.status_code}"] += 1

    await asyncio.gather(*(one(n) for n in range(4)))
    return seen


async def owner_can_sign_in(api: Api, email: str, password: str) -> str:
    async with api.client("127.0.0.1") as c:
        r = await c.post("/auth/v1/token?grant_type=password", headers=api.headers(),
                         json={"email": email, "password": password})
        return "yes" if r.status_code == 200 else f"no ({r.status_code} {r.json().get('code')})"


ATTACKS = {
    "oversized-bodies": oversized_bodies,
    "slow-headers": slow_headers,
    "slow-query": slow_query,
    "broadcast-flood": broadcast_flood,
    "signin-guessing": signin_guessing,
}


def _attack_process(name: str, api: Api, ctx: dict, stop, answers) -> None:
    """One attack in a process of its own, so its own CPU work never delays the resident's loop."""

    async def run() -> Counter:
        stopped = asyncio.Event()

        async def watch():
            while not stop.is_set():
                await asyncio.sleep(0.1)
            stopped.set()

        watcher = asyncio.create_task(watch())
        try:
            return await ATTACKS[name](api, stopped, ctx)
        finally:
            watcher.cancel()

    with contextlib.suppress(Exception):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    try:
        answers.put(dict(asyncio.run(run())))
    except Exception as exc:  # the bench reports it instead of hanging
        answers.put({f"attack failed: {type(exc).__name__}: {exc}"[:120]: 1})


async def main_async(args) -> None:
    # The limits as a city would run them (bench/_stack.py lifts the per-address one for other benches).
    os.environ["CITYLOOP_DB_REQUESTS_PER_ADDRESS"] = str(Settings.db_requests_per_address)
    with temporary_stack(schemas="public") as stack:
        env = stack.env()
        api = Api(env["SUPABASE_URL"], env["SUPABASE_ANON_KEY"], env["SUPABASE_SERVICE_ROLE_KEY"])
        pid = stack.gateway_pid()
        tag = uuid.uuid4().hex[:6]
        password = "pw-" + uuid.uuid4().hex
        tokens = [await make_user(api, f"resident{n}-{tag}@bench.cityloop.local", password) for n in range(40)]
        resident = Resident(tokens)
        victim = f"resident0-{tag}@bench.cityloop.local"
        ctx = {
            "victim_email": victim,
            "other_emails": [f"resident{n}-{tag}@bench.cityloop.local" for n in range(1, 10)],
            "attacker_token": await make_user(api, f"attacker-{tag}@bench.cityloop.local", password),
            "subscriber_tokens": tokens[:10],
            "slow_sockets": args.slow_sockets,
        }
        await measure_resident(api, resident, 2)  # warm-up

        print(f"gateway pid {pid}, cores {os.cpu_count()}, {args.seconds:.0f} s per phase; "
              f"the resident's cycle = report + SOS raise + cancel; target: during <= {TARGET_RATIO:.0f}x quiet")
        print(f"{'attack':18} {'quiet p95':>10} {'during p95':>11} {'ratio':>6} {'ok/failed':>10} "
              f"{'peak RSS':>9}  attacker answered")
        only = set(args.only.split(",")) if args.only else set(ATTACKS)
        for name in ATTACKS:
            if name not in only:
                continue
            quiet = await measure_resident(api, resident, args.seconds)
            watch = MemoryWatch(pid)
            watch.start()
            mp = multiprocessing.get_context("spawn")
            stop, answers = mp.Event(), mp.Queue()
            proc = mp.Process(target=_attack_process, args=(name, api, ctx, stop, answers), daemon=True)
            proc.start()
            await asyncio.sleep(2)  # let the attack build up (and its process start)
            during = await measure_resident(api, resident, args.seconds)
            extra = ""
            if name == "signin-guessing":
                extra = f"; owner signs in during attack: {await owner_can_sign_in(api, victim, password)}"
            stop.set()
            try:
                seen = Counter(await asyncio.to_thread(answers.get, True, 60))
            except Exception:
                seen = Counter({"attack did not stop in 60 s": 1})
            proc.join(10)
            if proc.is_alive():
                proc.kill()
            peak = await watch.stop()
            q, d = percentile(quiet.latencies, 0.95), percentile(during.latencies, 0.95)
            ratio = d / q if q == q and q > 0 else float("nan")
            failed = sum(during.failures.values())
            answered = ", ".join(f"{k}: {v}" for k, v in seen.most_common(6))
            print(f"{name:18} {q * 1000:8.0f}ms {d * 1000:9.0f}ms {ratio:5.1f}x "
                  f"{len(during.latencies):>4}/{failed:<5} {peak / 2**20:7.0f}MB  {answered}{extra}"
                  + (f"; resident failures: {dict(during.failures)}" if failed else ""))
            sys.stdout.flush()
            await asyncio.sleep(2)  # let the gateway settle before the next phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--slow-sockets", type=int, default=2000)
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(ATTACKS))
    args = parser.parse_args()
    # Thousands of sockets in one process: raise our own descriptor limit as far as allowed.
    with contextlib.suppress(Exception):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
