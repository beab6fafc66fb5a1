"""Apply the local shim, the project's migrations and the seed.

Migrations are recorded in `supabase_migrations.schema_migrations` exactly as
the Supabase CLI records them (version = the file name's leading digits), so
`supabase db push` against hosted Supabase sees the same history.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from .config import Secrets

SHIM_DIR = Path(__file__).parent / "shim"
SUPABASE_DIR = Path(__file__).resolve().parents[1] / "supabase"
MIGRATIONS_DIR = SUPABASE_DIR / "migrations"
SEED_FILE = SUPABASE_DIR / "seed.sql"
CONFIG_FILE = SUPABASE_DIR / "config.toml"

_MIGRATION_NAME = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def statements(self) -> str:
        return self.path.read_text(encoding="utf-8")


def list_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise ValueError(f"migration file name must be <digits>_<name>.sql: {path.name}")
        found.append(Migration(m["version"], m["name"], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a version")
    return found


def apply_shim(conn: psycopg.Connection, secrets: Secrets) -> None:
    """Roles, auth, storage, realtime publication: what hosted Supabase already has."""
    with conn.transaction():
        for path in sorted(SHIM_DIR.glob("*.sql")):
            conn.execute(path.read_text(encoding="utf-8"))
        for role, password in (
            ("authenticator", secrets.authenticator_password),
            ("supabase_auth_admin", secrets.auth_admin_password),
            ("supabase_storage_admin", secrets.storage_admin_password),
        ):
            conn.execute(sql.SQL("alter role {} with login password {}").format(sql.Identifier(role), sql.Literal(password)))


def applied_versions(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("select version from supabase_migrations.schema_migrations").fetchall()
    return {r[0] for r in rows}


def apply_migrations(conn: psycopg.Connection, folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply pending migrations in file order, each in its own transaction."""
    done = applied_versions(conn)
    applied = []
    for migration in list_migrations(folder):
        if migration.version in done:
            continue
        text = migration.statements
        with conn.transaction():
            conn.execute(text)
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
                (migration.version, migration.name, [text]),
            )
        applied.append(migration)
    sync_realtime_capture(conn)
    conn.execute("notify pgrst, 'reload schema'")
    return applied


def sync_realtime_capture(conn: psycopg.Connection) -> None:
    """Capture triggers on every table of publication `supabase_realtime` (shim/40_realtime_capture.sql).

    The shim's event trigger already does this after each DDL statement; this is the
    safety net after migrations and seed, which add tables to the publication.
    """
    if conn.execute("select to_regprocedure('cityloop_realtime.sync_triggers()') is not null").fetchone()[0]:
        conn.execute("select cityloop_realtime.sync_triggers()")


def seed_files(config: Path = CONFIG_FILE) -> list[Path]:
    """The seed files `[db.seed] sql_paths` names, globs expanded in name order, as the Supabase CLI reads them."""
    with config.open("rb") as fh:
        paths = tomllib.load(fh).get("db", {}).get("seed", {}).get("sql_paths", ["./seed.sql"])
    found: list[Path] = []
    for pattern in paths:
        for path in sorted(config.parent.glob(pattern.removeprefix("./"))):
            if path not in found:
                found.append(path)
    return found


def apply_seed(conn: psycopg.Connection, paths: list[Path] | None = None) -> bool:
    """Run every seed file in one transaction; False when there is none."""
    paths = seed_files() if paths is None else paths
    if not paths:
        return False
    with conn.transaction():
        for path in paths:
            conn.execute(path.read_text(encoding="utf-8"))
    sync_realtime_capture(conn)
    conn.execute("notify pgrst, 'reload schema'")
    return True
