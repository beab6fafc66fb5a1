"""The start-up sweep (storage/sweep.py): what a crash left in the storage folder is gone after a restart.

A leftover temporary part and a version file no row names are planted as a
killed gateway leaves them, aged past the grace period; a gateway process then
starts on the session's state folder. Committed objects, and files younger than
the grace period (an upload another gateway process may be finishing), are kept.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from tests.backend.realtime_support import Gateway
from tests.backend.storage_support import storage_root, tag, temp_files, version_files
from tests.conftest import free_port

pytestmark = pytest.mark.timeout(120)

HOUR = 3600


def _age(path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_a_restart_sweeps_crash_leftovers_and_keeps_real_objects(stack, service) -> None:
    bucket = f"sweep-{tag()}"
    service.storage.create_bucket(bucket, options={"public": False})
    service.storage.from_(bucket).upload("kept/real.txt", b"real bytes", {"content-type": "text/plain"})
    [real] = version_files(stack, bucket, "kept/real.txt")
    _age(real, 2 * HOUR)  # old, but named by its committed row

    root = storage_root(stack)
    part = root / "~tmp" / f"tmp{tag()}.part"  # an upload that died mid-way
    part.parent.mkdir(exist_ok=True)
    part.write_bytes(b"half an upload")
    orphan = root / bucket / "ghost" / "photo.jpg" / str(uuid.uuid4())  # placed, never committed
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"no row names me")
    stray = root / bucket / "kept" / "real.txt" / str(uuid.uuid4())  # a second, unnamed version beside a real one
    stray.write_bytes(b"an older crash")
    for path in (part, orphan, stray):
        _age(path, 2 * HOUR)
    fresh = root / bucket / "in-flight.txt" / str(uuid.uuid4())  # younger than the grace period
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b"being placed right now")

    gateway = Gateway(stack, free_port())
    gateway.start()  # the sweep runs before the gateway serves: done once /health answers
    try:
        assert not part.exists() and part not in temp_files(stack)
        assert not orphan.exists() and not orphan.parent.exists()  # and the folders it leaves empty
        assert not stray.exists()
        assert fresh.exists()
        assert version_files(stack, bucket, "kept/real.txt") == [real]
        assert service.storage.from_(bucket).download("kept/real.txt") == b"real bytes"
    finally:
        gateway.stop()
        fresh.unlink(missing_ok=True)
        service.storage.empty_bucket(bucket)
        service.storage.delete_bucket(bucket)
