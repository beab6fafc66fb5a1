"""Bytes on disk: temporary files that become version files, links for copies, removal.

A new object is written to a temporary file (hashed and counted as it arrives),
fsynced, and renamed to its version file inside the transaction that inserts
its row, after the row passed RLS: a committed row always names a complete
file. If the transaction then fails the version file is removed again; a
version file no longer named by any row is removed after the commit that
replaced or deleted it.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

import anyio

from . import errors

log = logging.getLogger("cityloop.storage")

_RETRIES = 3


class TempFile:
    """A new file in the storage folder's temporary area, hashed and counted while written."""

    def __init__(self, temp_dir: Path):
        temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=temp_dir, suffix=".part")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._md5 = hashlib.md5()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._md5.update(data)
        self.size += len(data)

    @property
    def etag(self) -> str:
        return f'"{self._md5.hexdigest()}"'

    async def finish(self) -> None:
        """Flush to disk: only complete, durable bytes are ever renamed into place."""
        if not self._file.closed:
            await anyio.to_thread.run_sync(_flush_and_close, self._file)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


def _flush_and_close(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()


def place(source: Path, target: Path) -> None:
    """Rename a finished temporary file to its version file, creating the object's folders."""
    _into_place(source, target, os.rename)


def link(source: Path, target: Path) -> None:
    """Give an existing version file a second name (copy, move): version files never change, so sharing is safe."""
    def _link(src: Path, dst: Path) -> None:
        try:
            os.link(src, dst)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            part = dst.with_name(dst.name + ".part")
            shutil.copyfile(src, part)
            os.rename(part, dst)
    _into_place(source, target, _link)


def _into_place(source: Path, target: Path, action: Callable[[Path, Path], None]) -> None:
    for attempt in range(_RETRIES):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            action(source, target)
            return
        except FileNotFoundError:
            # A concurrent removal pruned a folder we had just made; make it again.
            if not source.exists() or attempt == _RETRIES - 1:
                raise
        except (NotADirectoryError, FileExistsError, IsADirectoryError):
            # A folder of this name is a version file of another object (a name ending in its version).
            raise errors.already_exists("KeyAlreadyExists") from None


def remove(path: Path | None, stop_at: Path) -> None:
    """Unlink a version file and prune the folders it leaves empty, up to (not including) `stop_at`."""
    if path is None:
        return
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.exception("could not remove %s", path)
        return
    prune(path.parent, stop_at)


def prune(folder: Path, stop_at: Path) -> None:
    while folder != stop_at and folder.is_relative_to(stop_at):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): stop climbing
            return
        folder = folder.parent


def prune_tree(root: Path) -> None:
    """Remove empty folders below and including `root`; files are never touched."""
    if not root.is_dir():
        return
    for folder, _dirs, _files in os.walk(root, topdown=False):
        try:
            os.rmdir(folder)
        except OSError:
            pass


def open_version(path: Path | None) -> BinaryIO | None:
    """Open a version file for reading, or None when it is gone (replaced or removed meanwhile)."""
    if path is None:
        return None
    try:
        return open(path, "rb")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
