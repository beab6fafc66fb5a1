"""backend/run_all.py (`cityloop run`): what it prints, and how it fails when a port is taken.

Serving both apps and stopping everything on a signal is in test_cli.py, with the real stack.
"""

from __future__ import annotations

import http.server
import subprocess
import threading
from pathlib import Path

from backend.local_supabase.demo import demo_users
from backend.run_all import AppProcess, summary
from tests.backend.test_cli import CITYLOOP, ROOT, cli_env  # noqa: F401 - fixture


def test_summary_lists_urls_keys_and_demo_accounts():
    apps = [AppProcess("citizen_app", 8550, None, Path("x")), AppProcess("grid_app", 8551, None, Path("y"))]
    env = {"SUPABASE_URL": "http://127.0.0.1:54321", "SUPABASE_ANON_KEY": "A", "SUPABASE_SERVICE_ROLE_KEY": "S",
           "DATABASE_URL": "D"}
    text = summary(apps, env, demo_users())
    assert "http://127.0.0.1:8550" in text and "http://127.0.0.1:8551" in text
    for user in demo_users():
        line = next(l for l in text.splitlines() if user["email"] in l)
        assert user["phone"] in line and user["password"] in line and user["app_metadata"]["role"] in line


def test_run_refuses_a_busy_port_and_leaves_nothing_running(cli_env):  # noqa: F811
    busy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    env = dict(cli_env, CITYLOOP_CITIZEN_PORT=str(busy.server_address[1]))
    try:
        done = subprocess.run(CITYLOOP + ["run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    finally:
        busy.shutdown()
        busy.server_close()
    assert done.returncode == 1
    assert "already in use; set CITYLOOP_CITIZEN_PORT" in done.stderr
    status = subprocess.run(CITYLOOP + ["backend", "status"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert status.returncode == 3, status.stdout
