"""The `cityloop` command as a reviewer uses it: backend start/status/env/stop, db reset, run.

Each test runs the real command in its own state folder on free ports, so it
never touches the suite's stack nor a developer's `make run`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from supabase import ClientOptions, create_client

from backend.local_supabase.demo import demo_users
from shared.health import url_answers
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CITYLOOP = [sys.executable, "-m", "backend.cli"]


@pytest.fixture()
def cli_env() -> Iterator[dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="cityloop-cli-"))  # not pytest's 0700 tmp_path: see conftest
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYLOOP_") and k != "DATABASE_URL"}
    env.update(CITYLOOP_HOME=str(home), CITYLOOP_API_PORT=str(free_port()), CITYLOOP_DB_PORT=str(free_port()),
               CITYLOOP_CITIZEN_PORT=str(free_port()), CITYLOOP_GRID_PORT=str(free_port()))
    yield env
    subprocess.run(CITYLOOP + ["backend", "stop"], env=env, cwd=ROOT, capture_output=True, timeout=60)
    shutil.rmtree(home, ignore_errors=True)


def cityloop(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(CITYLOOP + list(args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if check:
        assert done.returncode == 0, f"cityloop {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_backend_start_status_env_reset_stop(cli_env):
    api_url = f"http://127.0.0.1:{cli_env['CITYLOOP_API_PORT']}"
    started = cityloop(cli_env, "backend", "start")
    assert started.stdout.strip() == api_url  # returns only once healthy
    assert url_answers(api_url + "/health")

    status = json.loads(cityloop(cli_env, "backend", "status", "--json").stdout)
    assert status["database"] == "running" and status["gateway"] == "running"
    assert status["home"] == cli_env["CITYLOOP_HOME"]

    env = json.loads(cityloop(cli_env, "env", "--json").stdout)
    assert set(env) == {"SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL"}
    assert env["SUPABASE_URL"] == api_url
    plain = cityloop(cli_env, "env").stdout.splitlines()
    assert f"SUPABASE_ANON_KEY={env['SUPABASE_ANON_KEY']}" in plain

    # The demo accounts can sign in through the real Auth API.
    client = create_client(api_url, env["SUPABASE_ANON_KEY"],
                           options=ClientOptions(auto_refresh_token=False, persist_session=False))
    demo = demo_users()[0]
    session = client.auth.sign_in_with_password({"email": demo["email"], "password": demo["password"]}).session
    assert session.user.app_metadata["role"] == demo["app_metadata"]["role"]

    # db reset recreates the database: a table made by hand is gone, migrations and demo users are back.
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("create table public.scratch (id int)")
    cityloop(cli_env, "db", "reset")
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        assert conn.execute("select to_regclass('public.scratch')").fetchone()[0] is None
        assert conn.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()[0] > 0
        assert conn.execute("select count(*) from auth.users").fetchone()[0] == len(demo_users())
    assert url_answers(api_url + "/health"), "a running gateway is restarted after the reset"

    cityloop(cli_env, "backend", "stop")
    stopped = cityloop(cli_env, "backend", "status", check=False)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout
    assert not url_answers(api_url + "/health")


def test_state_folder_keeps_secrets_private(cli_env):
    cityloop(cli_env, "backend", "start")
    home = Path(cli_env["CITYLOOP_HOME"])
    assert (home / "secrets.json").stat().st_mode & 0o077 == 0
    assert (home / "db").stat().st_mode & 0o077 == 0
    env = json.loads(cityloop(cli_env, "env", "--json").stdout)
    # No password-less way in: the superuser URL without its password is refused.
    password = urlsplit(env["DATABASE_URL"]).password
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(env["DATABASE_URL"].replace(f":{password}@", ":wrong@"), connect_timeout=5)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_serves_both_apps_prints_keys_and_stops_everything(cli_env, sig, tmp_path):
    out_path = tmp_path / "run.txt"
    with open(out_path, "w") as out:
        proc = subprocess.Popen(CITYLOOP + ["run"], cwd=ROOT, env=cli_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    app_urls = [f"http://127.0.0.1:{cli_env[k]}" for k in ("CITYLOOP_CITIZEN_PORT", "CITYLOOP_GRID_PORT")]
    api_url = f"http://127.0.0.1:{cli_env['CITYLOOP_API_PORT']}"
    try:
        deadline = time.monotonic() + 120
        while "Press Ctrl-C" not in out_path.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, out_path.read_text()
            time.sleep(0.2)
        assert all(url_answers(u) for u in app_urls)
        assert url_answers(api_url + "/health")
        # The gateway trusts the app servers' X-Forwarded-For: a browser elsewhere is not "this machine".
        assert httpx.get(api_url + "/sink/sms/").status_code == 200
        assert httpx.get(api_url + "/sink/sms/", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
        env = json.loads(cityloop(cli_env, "env", "--json").stdout)
        text = out_path.read_text()
        for expected in [*app_urls, *env.values(), *(u["email"] for u in demo_users()),
                         *(u["password"] for u in demo_users())]:
            assert expected in text
        proc.send_signal(sig)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not any(url_answers(u) for u in app_urls), "an app outlived `cityloop run`"
    assert not url_answers(api_url + "/health"), "the gateway outlived `cityloop run`"
    status = cityloop(cli_env, "backend", "status", "--json", check=False)
    assert json.loads(status.stdout)["database"] == "stopped"
