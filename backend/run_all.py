"""`cityloop run` (`make run`): the local stack and both apps, until Ctrl-C.

The apps run as child processes (`python -m citizen_app`, `python -m grid_app`)
with the stack's SUPABASE_URL and anon key; their output goes to the stack's
logs folder so the terminal keeps only the summary a developer needs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from backend.local_supabase.demo import demo_users
from backend.local_supabase.stack import Stack
from shared.config import APP_PORTS, app_port
from shared.health import url_answers

APPS = ("citizen_app", "grid_app")
# Where the app servers run: in Flet web every resident's request leaves from there, naming the
# browser in X-Forwarded-For, which the gateway believes only from these addresses.
APP_SERVERS = "127.0.0.1"


def gateway_env(environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """The gateway's extra settings under `cityloop run`: trust the app servers (unless set already)."""
    return {"CITYLOOP_TRUSTED_PROXIES": environ.get("CITYLOOP_TRUSTED_PROXIES") or APP_SERVERS}
LABELS = {"citizen_app": ("citizen app", "市民端"), "grid_app": ("grid app", "网格员端")}


class _Stop(Exception):
    """Raised from the signal handler so every wait unwinds to the clean-up."""


@dataclass
class AppProcess:
    name: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def run_all(stack: Stack, *, out: TextIO = sys.stdout, ready_timeout: float = 60) -> int:
    """Start everything, print the summary, wait for SIGINT/SIGTERM, stop everything; exit code."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    apps: list[AppProcess] = []
    try:
        print("starting the local Supabase stack…", file=out, flush=True)
        stack.start(gateway_env=gateway_env(os.environ))
        env = stack.env()
        for name in APPS:
            apps.append(_launch(name, env, stack.settings.logs))
        for app in apps:
            _wait_until_serving(app, ready_timeout)
        print(summary(apps, env, demo_users()), file=out, flush=True)
        return _watch(apps, out)
    except _Stop:
        return 0
    except RuntimeError as exc:
        print(f"cityloop run: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        print("stopping…", file=out, flush=True)
        for app in apps:
            _stop(app.proc)
        stack.stop()
        print("stopped", file=out, flush=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop()


def _launch(name: str, stack_env: dict[str, str], logs: Path) -> AppProcess:
    port = app_port(name)
    if url_answers(f"http://127.0.0.1:{port}"):
        raise RuntimeError(f"port {port} is already in use; set {APP_PORTS[name][0]} to another port")
    env = dict(os.environ, SUPABASE_URL=stack_env["SUPABASE_URL"], SUPABASE_ANON_KEY=stack_env["SUPABASE_ANON_KEY"],
               # Serve only: do not open a browser tab on a desktop; we print the URLs instead.
               FLET_FORCE_WEB_SERVER="true")
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    with open(log_path, "ab") as log:
        # Own session: the terminal's Ctrl-C reaches only us, and we stop the apps in order.
        proc = subprocess.Popen([sys.executable, "-m", name], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    return AppProcess(name, port, proc, log_path)


def _wait_until_serving(app: AppProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not url_answers(app.url):
        if app.proc.poll() is not None:
            raise RuntimeError(f"{app.name} exited with {app.proc.returncode}:\n{_tail(app.log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{app.name} did not answer on {app.url} within {timeout:.0f} s; see {app.log}")
        time.sleep(0.2)


def _watch(apps: list[AppProcess], out: TextIO) -> int:
    """Block until a signal (_Stop) or until an app dies (exit code 1)."""
    while True:
        for app in apps:
            if app.proc.poll() is not None:
                print(f"{app.name} exited with {app.proc.returncode}:\n{_tail(app.log)}", file=sys.stderr, flush=True)
                return 1
        time.sleep(0.5)


def _stop(proc: subprocess.Popen, grace_s: float = 10) -> None:
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)  # Flet shuts down cleanly on SIGINT
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return "(no log)"


def summary(apps: list[AppProcess], env: dict[str, str], users: list[dict]) -> str:
    """What a developer needs to try the apps: URLs, keys, demo accounts."""
    lines = ["", "CityLoop is running. Press Ctrl-C to stop everything.", ""]
    # Chinese after the URL: double-width characters would break the column padding.
    lines += [f"  {LABELS[app.name][0]:<25} {app.url:<24} {LABELS[app.name][1]}" for app in apps]
    lines += [
        "",
        f"  SUPABASE_URL              {env['SUPABASE_URL']}",
        f"  SUPABASE_ANON_KEY         {env['SUPABASE_ANON_KEY']}",
        f"  SUPABASE_SERVICE_ROLE_KEY {env['SUPABASE_SERVICE_ROLE_KEY']}",
        f"  DATABASE_URL              {env['DATABASE_URL']}",
        "",
        "  Demo accounts (local stack only):",
        f"    {'role':<12} {'email':<32} {'phone':<12} password",
    ]
    for user in users:
        role = user.get("app_metadata", {}).get("role", "")
        lines.append(f"    {role:<12} {user.get('email') or '-':<32} {user.get('phone') or '-':<12} {user['password']}")
    return "\n".join(lines) + "\n"
