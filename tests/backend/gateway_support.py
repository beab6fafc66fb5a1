"""A second gateway on the session stack's database and secrets, with settings of its own.

Limits and intervals are per gateway process, so a test that needs a strict limit,
a short interval or trusted proxies starts one of these instead of changing the
stack every other test signs in through.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from backend.functions.local import GATEWAY_APP
from tests.conftest import StackInfo, free_port

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def extra_gateway(stack: StackInfo, **env: str) -> Iterator[str]:
    """The URL of a gateway started with `env` on top of the suite's environment (one worker, one counter)."""
    port = free_port()
    environ = dict(os.environ, CITYLOOP_HOME=str(stack.home), CITYLOOP_API_PORT=str(port), CITYLOOP_WORKERS="1",
                   **env)
    log = stack.home / "logs" / f"gateway-extra-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend.local_supabase.serve", "--app", GATEWAY_APP],
                                cwd=ROOT, env=environ,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(proc, f"{url}/auth/v1/health", log, "second gateway", headers={"apikey": stack.anon_key})
        yield url
    finally:
        stop_process(proc)


def wait_until_healthy(proc: subprocess.Popen, health_url: str, log: Path, what: str, timeout: float = 30,
                       headers: dict[str, str] | None = None) -> None:
    """Until `health_url` answers 200; the test fails with the log's tail if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(health_url, headers=headers, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
