"""Migrations: applied in order, recorded as the Supabase CLI records them, and valid on PostgreSQL 15.

Hosted Supabase runs PostgreSQL 15; the embedded wheel is newer. The same shim and
migrations are applied to a throw-away Debian PostgreSQL 15 cluster (package
`postgresql-15`, installed by .ci/run) so nothing newer-only slips in.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import psycopg
import pytest

from backend.local_supabase import migrate
from backend.local_supabase.config import Secrets, Settings, load_secrets
from backend.local_supabase.postgres import EmbeddedPostgres

PG15_BIN = Path("/usr/lib/postgresql/15/bin")
SUPABASE_CLI_VERSION = "3.1.0"
SUPABASE_CLI_DIR = Path.home() / ".cache" / "cityloop" / f"supabase-cli-{SUPABASE_CLI_VERSION}"
BACKEND = Path(__file__).resolve().parents[2] / "backend"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_migrations_are_recorded_like_the_supabase_cli(db):
    files = migrate.list_migrations()
    assert files, "there must be at least one migration"
    rows = db.execute("select version, name from supabase_migrations.schema_migrations order by version").fetchall()
    assert [(m.version, m.name) for m in files] == [tuple(r) for r in rows]


def test_migrations_refuse_badly_named_files(tmp_path):
    (tmp_path / "create_things.sql").write_text("select 1;")
    with pytest.raises(ValueError, match="<digits>_<name>.sql"):
        migrate.list_migrations(tmp_path)


def test_applying_again_changes_nothing(stack, db):
    before = db.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()[0]
    from backend.local_supabase.stack import Stack

    assert Stack.from_environ().prepare_database(seed=False) == []
    assert db.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()[0] == before


@contextlib.contextmanager
def pg15_cluster() -> Iterator[tuple[EmbeddedPostgres, Secrets]]:
    """A throw-away Debian PostgreSQL 15 cluster (hosted Supabase's major version), removed afterwards."""
    assert (PG15_BIN / "initdb").exists(), "PostgreSQL 15 server binaries are missing: apt-get install -y postgresql-15"
    home = Path(tempfile.mkdtemp(prefix="cityloop-pg15-"))  # not pytest's 0700 tmp_path: see conftest
    settings = Settings.from_environ({"CITYLOOP_HOME": str(home), "CITYLOOP_DB_PORT": str(_free_port())})
    secrets = load_secrets(settings)
    server = EmbeddedPostgres(settings, secrets, bin_dir=PG15_BIN)
    server.start()
    try:
        yield server, secrets
    finally:
        server.destroy()
        shutil.rmtree(home, ignore_errors=True)


def test_shim_and_migrations_apply_on_postgresql_15():
    with pg15_cluster() as (server, secrets), psycopg.connect(server.superuser_url(), autocommit=True) as conn:
        assert conn.info.server_version // 10000 == 15
        migrate.apply_shim(conn, secrets)
        applied = migrate.apply_migrations(conn)
        assert [m.version for m in applied] == [m.version for m in migrate.list_migrations()]
        # The API roles exist and the gateway's login is not a superuser.
        row = conn.execute("select rolsuper, rolinherit from pg_roles where rolname = 'authenticator'").fetchone()
        assert row == (False, False)

def _supabase_cli() -> Path:
    """The official Supabase CLI from the npm registry (its binary ships in an npm package)."""
    cli = SUPABASE_CLI_DIR / "node_modules" / ".bin" / "supabase"
    if cli.exists():
        return cli
    assert shutil.which("npm"), "npm is missing: the Supabase CLI comes from the npm registry"
    reachable = subprocess.run(["npm", "view", "supabase@" + SUPABASE_CLI_VERSION, "version"],
                               capture_output=True, text=True, timeout=120)
    if reachable.returncode != 0:
        # The one condition under which the issue allows going without: no npm registry.
        pytest.skip(f"npm registry unreachable: {reachable.stderr.strip()[:200]}")
    SUPABASE_CLI_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(SUPABASE_CLI_DIR),
                    f"supabase@{SUPABASE_CLI_VERSION}"], check=True, capture_output=True, timeout=600)
    return cli


def test_supabase_cli_db_push_applies_the_migrations_on_postgresql_15():
    """The production path: `supabase db push` of backend/supabase/migrations, on PostgreSQL 15 + the shim."""
    cli = _supabase_cli()
    with pg15_cluster() as (server, secrets):
        with psycopg.connect(server.superuser_url(), autocommit=True) as conn:
            migrate.apply_shim(conn, secrets)  # what hosted Supabase already has
        pushed = subprocess.run([str(cli), "db", "push", "--db-url", server.superuser_url(), "--workdir", str(BACKEND),
                                 "--include-seed=false", "--yes"], capture_output=True, text=True, timeout=600)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        with psycopg.connect(server.superuser_url(), autocommit=True) as conn:
            rows = conn.execute("select version from supabase_migrations.schema_migrations order by 1").fetchall()
        assert [r[0] for r in rows] == [m.version for m in migrate.list_migrations()]
