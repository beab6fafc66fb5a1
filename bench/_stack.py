"""A throw-away local stack for a benchmark: temporary state folder, free ports, stopped and removed after."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from backend.local_supabase.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def temporary_stack(schemas: str = "public,bench") -> Iterator["Stack"]:
    """Start a stack serving `schemas` through /rest/v1; everything is gone afterwards."""
    home = Path(tempfile.mkdtemp(prefix="cityloop-bench-"))
    os.environ.update({"CITYLOOP_HOME": str(home), "CITYLOOP_API_PORT": str(free_port()),
                       "CITYLOOP_DB_PORT": str(free_port()), "CITYLOOP_DB_SCHEMAS": schemas})
    os.environ.pop("DATABASE_URL", None)
    # Benchmarks drive many clients from this one address; bench/abuse.py sets the real value.
    os.environ.setdefault("CITYLOOP_DB_REQUESTS_PER_ADDRESS", "100000")
    from backend.local_supabase.stack import Stack

    stack = Stack.from_environ()
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)


def lift_report_quotas(conn) -> None:
    """A benchmark files far more reports per citizen than the quotas allow (20 an hour, 100 a day,
    private.limits): in its throw-away stack only, raise them so that every insert is measured;
    the quota's check still runs on each insert."""
    conn.execute("update private.limits set value = 1000000000 where name in ('reports_per_hour', 'reports_per_day')")
