"""backend/run_all.py (`cityloop run`): both apps up, the summary printed, a signal stops all.

The stack is a stand-in (the real one is covered by tests/backend): this checks
the process handling, which must work whatever the stack does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from backend.local_supabase.demo import demo_users
from backend.run_all import summary
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]

FAKE_STACK_DRIVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from types import SimpleNamespace
    from backend.run_all import run_all

    class FakeStack:
        settings = SimpleNamespace(logs=Path(sys.argv[1]))
        def start(self): print("fake stack started", flush=True)
        def stop(self): print("fake stack stopped", flush=True)
        def env(self):
            return {"SUPABASE_URL": "http://127.0.0.1:9", "SUPABASE_ANON_KEY": "anon-k",
                    "SUPABASE_SERVICE_ROLE_KEY": "service-k", "DATABASE_URL": "postgresql://x"}

    sys.exit(run_all(FakeStack()))
""")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_all_serves_both_apps_and_stops_cleanly(tmp_path, sig):
    ports = free_port(), free_port()
    env = dict(os.environ, CITYLOOP_CITIZEN_PORT=str(ports[0]), CITYLOOP_GRID_PORT=str(ports[1]))
    out_path = tmp_path / "out.txt"
    with open(out_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", FAKE_STACK_DRIVER, str(tmp_path / "logs")], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C" not in out_path.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, out_path.read_text()
            time.sleep(0.1)
        assert all(_answers(f"http://127.0.0.1:{p}") for p in ports)
        proc.send_signal(sig)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = out_path.read_text()
    for expected in (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", "anon-k", "service-k",
                     "postgresql://x", "resident@demo.cityloop.local", "fake stack stopped"):
        assert expected in text
    assert not any(_answers(f"http://127.0.0.1:{p}") for p in ports), "an app outlived `cityloop run`"


def test_run_all_refuses_a_busy_port(tmp_path):
    import http.server
    import threading

    busy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    env = dict(os.environ, CITYLOOP_CITIZEN_PORT=str(busy.server_address[1]), CITYLOOP_GRID_PORT=str(free_port()))
    try:
        done = subprocess.run([sys.executable, "-c", FAKE_STACK_DRIVER, str(tmp_path / "logs")], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    finally:
        busy.shutdown()
        busy.server_close()
    assert done.returncode == 1
    assert "already in use; set CITYLOOP_CITIZEN_PORT" in done.stderr
    assert "fake stack stopped" in done.stdout


def test_summary_lists_urls_keys_and_demo_accounts():
    from backend.run_all import AppProcess

    apps = [AppProcess("citizen_app", 8550, None, Path("x")), AppProcess("grid_app", 8551, None, Path("y"))]
    env = {"SUPABASE_URL": "http://127.0.0.1:54321", "SUPABASE_ANON_KEY": "A", "SUPABASE_SERVICE_ROLE_KEY": "S",
           "DATABASE_URL": "D"}
    text = summary(apps, env, demo_users())
    assert "http://127.0.0.1:8550" in text and "http://127.0.0.1:8551" in text
    for user in demo_users():
        line = next(l for l in text.splitlines() if user["email"] in l)
        assert user["phone"] in line and user["password"] in line and user["app_metadata"]["role"] in line
