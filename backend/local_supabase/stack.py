"""Start, stop and inspect the local stack: database, migrations, seed, gateway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Mapping

import psycopg

from . import demo, migrate
from .config import Secrets, Settings, load_secrets
from .postgres import EmbeddedPostgres, superuser_url
from .serve import DEFAULT_APP


@dataclass
class Stack:
    settings: Settings
    secrets: Secrets
    # The gateway's app factory (`module:factory`): the bare stack, or one that composes a
    # deployment's functions and jobs beside it (what the `cityloop` command passes).
    gateway_app: str = DEFAULT_APP

    @classmethod
    def from_environ(cls, gateway_app: str = DEFAULT_APP) -> "Stack":
        settings = Settings.from_environ()
        return cls(settings, load_secrets(settings), gateway_app)

    @property
    def embedded(self) -> EmbeddedPostgres | None:
        if self.settings.external_database_url:
            return None
        return EmbeddedPostgres(self.settings, self.secrets)

    @property
    def database_url(self) -> str:
        return superuser_url(self.settings, self.secrets)

    def env(self) -> dict[str, str]:
        return {
            "SUPABASE_URL": self.settings.api_url,
            "SUPABASE_ANON_KEY": self.secrets.anon_key,
            "SUPABASE_SERVICE_ROLE_KEY": self.secrets.service_role_key,
            "DATABASE_URL": self.database_url,
        }

    # --- database -------------------------------------------------------
    def start_database(self) -> None:
        if self.embedded is not None:
            self.embedded.start()

    def prepare_database(self, *, seed: bool = True) -> list[migrate.Migration]:
        """Shim + pending migrations; demo users and seed the first time only."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            migrate.apply_shim(conn, self.secrets)
            applied = migrate.apply_migrations(conn)
            if seed and not self._seeded(conn):
                with conn.transaction():
                    demo.create_demo_users(conn)
                migrate.apply_seed(conn)
                conn.execute("create table if not exists supabase_migrations.cityloop_seeded (at timestamptz default now())")
                conn.execute("insert into supabase_migrations.cityloop_seeded default values")
        return applied

    @staticmethod
    def _seeded(conn: psycopg.Connection) -> bool:
        return conn.execute("select to_regclass('supabase_migrations.cityloop_seeded') is not null").fetchone()[0]

    def reset_database(self) -> None:
        was_running = self.gateway_pid() is not None
        self.stop_gateway()
        if self.embedded is not None:
            self.embedded.destroy()
            self.embedded.start()
        else:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                for schema in ("public", "private", "tests", "auth", "storage", "supabase_migrations", "graphql_public",
                               "cityloop_realtime"):
                    conn.execute(psycopg.sql.SQL("drop schema if exists {} cascade").format(psycopg.sql.Identifier(schema)))
                conn.execute("create schema public")
        self.prepare_database(seed=True)
        if was_running:
            self.start_gateway()

    # --- gateway --------------------------------------------------------
    def gateway_pid(self) -> int | None:
        path = self.settings.gateway_pid_file
        try:
            pid = int(path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            return None
        return pid

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(self.settings.api_url + "/health", timeout=timeout) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start_gateway(self, wait_s: float = 60, env: Mapping[str, str] | None = None) -> int:
        """Start the gateway process (`env`: settings on top of ours, e.g. CITYLOOP_TRUSTED_PROXIES)."""
        pid = self.gateway_pid()
        if pid is not None:
            return pid
        if self.healthy():
            raise RuntimeError(f"something else already answers on {self.settings.api_url}")
        self.settings.logs.mkdir(exist_ok=True)
        log = open(self.settings.logs / "gateway.log", "ab")
        environ = dict(os.environ, **(env or {}), CITYLOOP_HOME=str(self.settings.home))
        proc = subprocess.Popen([sys.executable, "-m", "backend.local_supabase.serve", "--app", self.gateway_app],
                                stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, env=environ, start_new_session=True)
        self.settings.gateway_pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + wait_s
        while not self.healthy():
            if proc.poll() is not None:
                self.settings.gateway_pid_file.unlink(missing_ok=True)
                tail = (self.settings.logs / "gateway.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"gateway exited with {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError("gateway did not become healthy in time; see logs/gateway.log")
            time.sleep(0.1)
        return proc.pid

    def stop_gateway(self) -> bool:
        pid = self.gateway_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _reaped(pid):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
        self.settings.gateway_pid_file.unlink(missing_ok=True)
        return True

    # --- whole stack ----------------------------------------------------
    def start(self, gateway_env: Mapping[str, str] | None = None) -> None:
        self.start_database()
        self.prepare_database()
        self.start_gateway(env=gateway_env)

    def stop(self) -> None:
        self.stop_gateway()
        if self.embedded is not None:
            self.embedded.stop()

    def status(self) -> dict[str, object]:
        db = self.embedded.running() if self.embedded is not None else _can_connect(self.database_url)
        return {
            "database": "running" if db else "stopped",
            "database_kind": "embedded" if self.embedded is not None else "external",
            "gateway": "running" if self.gateway_pid() is not None and self.healthy() else "stopped",
            "gateway_pid": self.gateway_pid(),
            "url": self.settings.api_url,
            "home": str(self.settings.home),
        }


def _reaped(pid: int) -> bool:
    """Whether the process is gone. When it is our own child (the test-suite, `cityloop run`)
    it stays a zombie, alive to `kill(pid, 0)`, until we collect it."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass  # started by another process: its parent (or init) reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _can_connect(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False
