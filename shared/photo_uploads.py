"""Photos reach the app server by a plain HTTP PUT, not through the app's websocket.

Over the websocket a 6.5 MB phone photo travelled as one message the session had to
decode before anything else could happen, with no progress to show. Instead each chosen
file gets a one-time upload URL, `/photo-upload/<token>`, that the browser PUTs the file
to (the page's own picker, assets/web/photo-picker.js, or Flet's `FilePicker.upload` where that
script is absent) while the server reports the progress to the session.

Why a token of our own rather than Flet's signed `page.get_upload_url`: Flet's handler
writes straight to the final name (a refused or broken upload leaves a partial file),
accepts the same URL again until it expires, and takes its key and size limit only from
environment variables. Here:

- a token is 32 random bytes, made for one owner (one browser session) and given only to
  it; it names nothing else, and the owner is checked again when the bytes are taken;
- a token takes one PUT, at most `max_bytes` (checked against Content-Length before
  reading, and while the body streams in), written to `<token>.part` and renamed when
  complete; a refused or broken upload leaves nothing behind;
- nothing is ever served back from the folder (there is no GET): the session reads the
  bytes with `take`, which deletes the file;
- the page's own picker (assets/web/photo-picker.js) first announces a choice's names and sizes to a
  one-time `/photo-choice/<token>` (POST): the session judges them (shared/media.py) and answers
  each file's upload URL, so a PDF is refused by name before a byte of it is sent;
- tokens expire (`ttl`); an owner's leftovers are removed when its session closes
  (`discard_owner`), expired ones on every new token, the whole folder at `close()`.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)
ENDPOINT = "photo-upload"
DEFAULT_TTL = 15 * 60.0  # seconds a token stays valid: time enough for a slow phone network
PROGRESS_STEP = 256 * 1024  # bytes between two progress reports
CHOICE_ENDPOINT = "photo-choice"
CHOICE_MAX_FILES = 50  # names in one choice (the form takes a few; the rest are refused by name)
NAME_MAX_LENGTH = 255  # a file name as file systems allow it
Stage = Literal["waiting", "receiving", "received", "refused"]
ChosenFile = tuple[str, int]  # (name, size in bytes), as the browser announces a chosen file


class UploadRefused(Exception):
    """Why a PUT or a `take` was refused; `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.size = size  # bytes declared or received when a file was refused as too large


@dataclass
class _Slot:
    owner: str
    expires: float
    on_received: Callable[[], None] | None = None
    on_progress: Callable[[int], None] | None = None
    on_failed: Callable[[UploadRefused], None] | None = None
    stage: Stage = "waiting"
    size: int = 0


@dataclass
class _Choice:
    owner: str
    expires: float
    on_choice: Callable[[list[ChosenFile]], list[str | None]]


class PhotoUploads:
    """The upload folder of one app server process, and the tokens it has handed out."""

    def __init__(self, folder: Path | None = None, *, max_bytes: int, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="cityloop-uploads-"))
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._clock = clock
        self._slots: dict[str, _Slot] = {}
        self._choices: dict[str, _Choice] = {}
        self._lock = threading.Lock()  # `take` runs in worker threads, the PUT on the event loop

    # ------------------------------------------------------------ for the app sessions

    def expect(self, owner: str, on_received: Callable[[], None] | None = None,
               on_progress: Callable[[int], None] | None = None,
               on_failed: Callable[[UploadRefused], None] | None = None) -> str:
        """A new token for one file of `owner`. Called on the event loop while the body streams in:
        `on_progress(bytes so far)` at most every `PROGRESS_STEP` bytes, `on_received()` once it is complete,
        `on_failed(refusal)` if a PUT to it was refused or broke off (the browser's script does not report it).

        Why the server reports: Flet's web client counts bytes it reads into the request, which the
        browser then sends as a whole, so its percent runs ahead of the network; and the server
        knows first that the file is in, the browser's own "done" comes a round trip later.
        """
        self.sweep()
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._slots[token] = _Slot(owner=owner, expires=self._clock() + self.ttl, on_received=on_received,
                                       on_progress=on_progress, on_failed=on_failed)
        return token

    def expect_choice(self, owner: str, on_choice: Callable[[list[ChosenFile]], list[str | None]]) -> str:
        """A one-time token for the page's own file picker (assets/web/photo-picker.js) to announce a choice.

        The page POSTs the chosen files' names and sizes to `choice_url(token)`; `on_choice(files)` (on the
        event loop) judges them and answers, per file, its upload URL or None (refused: the form names it).
        """
        self.sweep()
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._choices[token] = _Choice(owner=owner, expires=self._clock() + self.ttl, on_choice=on_choice)
        return token

    @staticmethod
    def choice_url(token: str) -> str:
        return f"/{CHOICE_ENDPOINT}/{token}"

    def announce(self, token: str, files: list[ChosenFile]) -> list[str | None]:
        """The page's choice for `token` (once): each file's upload URL, or None where it was refused."""
        with self._lock:
            choice = self._choices.pop(token, None)
        if choice is None or choice.expires <= self._clock():
            raise UploadRefused(404, "unknown or expired choice URL")
        answer = list(choice.on_choice(files))
        if len(answer) != len(files):
            raise RuntimeError("on_choice must answer once per file")
        return answer

    @staticmethod
    def url(token: str) -> str:
        """Page-relative, as Flet's client expects an upload URL."""
        return f"/{ENDPOINT}/{token}"

    def take(self, token: str, owner: str) -> bytes:
        """The uploaded bytes, once; the file and the token are gone afterwards."""
        with self._lock:
            slot = self._slots.get(token)
            if slot is None or slot.owner != owner:
                raise UploadRefused(404, "unknown upload")
            if slot.stage != "received":
                raise UploadRefused(409, f"upload {slot.stage}")
            del self._slots[token]
        path = self._path(token)
        try:
            return path.read_bytes()
        finally:
            path.unlink(missing_ok=True)

    def discard(self, token: str, owner: str) -> None:
        """Forget one token of `owner` and remove its file (a photo removed before it was used)."""
        with self._lock:
            slot = self._slots.get(token)
            if slot is None or slot.owner != owner:
                return
            del self._slots[token]
        self._remove_files(token)

    def discard_owner(self, owner: str) -> None:
        """Everything `owner` left (its session closed)."""
        with self._lock:
            tokens = [t for t, s in self._slots.items() if s.owner == owner]
            for token in tokens:
                del self._slots[token]
            for token in [t for t, c in self._choices.items() if c.owner == owner]:
                del self._choices[token]
        for token in tokens:
            self._remove_files(token)

    def sweep(self) -> None:
        now = self._clock()
        with self._lock:
            expired = [t for t, s in self._slots.items() if s.expires <= now and s.stage != "receiving"]
            for token in expired:
                del self._slots[token]
            for token in [t for t, c in self._choices.items() if c.expires <= now]:
                del self._choices[token]
        for token in expired:
            self._remove_files(token)

    def pending(self) -> int:
        with self._lock:
            return len(self._slots)

    def close(self) -> None:
        with self._lock:
            self._slots.clear()
            self._choices.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------ for the HTTP endpoint

    async def receive(self, token: str, chunks: AsyncIterator[bytes], declared: int | None = None) -> int:
        """Store one PUT body for `token`; its size. Raises `UploadRefused` (nothing kept)."""
        with self._lock:
            slot = self._slots.get(token)
            if slot is None or slot.expires <= self._clock():
                raise UploadRefused(404, "unknown or expired upload URL")
            if slot.stage != "waiting":
                raise UploadRefused(409, "this upload URL was already used")
            too_large = declared is not None and declared > self.max_bytes
            slot.stage = "refused" if too_large else "receiving"
        if too_large:
            refused = UploadRefused(413, f"the file is larger than {self.max_bytes} bytes", size=declared)
            if slot.on_failed is not None:  # outside the lock: the session removes the slot
                _quietly(slot.on_failed, refused)
            raise refused
        part = self.folder / f"{token}.part"
        size, reported, started = 0, 0, time.perf_counter()
        try:
            with open(part, "xb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadRefused(413, f"the file is larger than {self.max_bytes} bytes", size=size)
                    f.write(chunk)
                    if slot.on_progress is not None and size - reported >= PROGRESS_STEP:
                        reported = size
                        _quietly(slot.on_progress, size)
            os.replace(part, self._path(token))
        except BaseException as exc:
            part.unlink(missing_ok=True)
            with self._lock:
                if token in self._slots:
                    self._slots[token].stage = "refused"
            if slot.on_failed is not None:
                _quietly(slot.on_failed, exc if isinstance(exc, UploadRefused) else UploadRefused(400, "upload broke off"))
            raise
        with self._lock:
            if token not in self._slots:  # discarded while it streamed in
                self._path(token).unlink(missing_ok=True)
                raise UploadRefused(404, "upload discarded")
            slot = self._slots[token]
            slot.stage, slot.size = "received", size
        log.debug("photo upload received: %d bytes in %.3f s", size, time.perf_counter() - started)
        if slot.on_received is not None:
            _quietly(slot.on_received)
        return size

    def stage(self, token: str) -> Stage | None:
        with self._lock:
            slot = self._slots.get(token)
            return slot.stage if slot else None

    # ------------------------------------------------------------ files

    def _path(self, token: str) -> Path:
        return self.folder / token

    def _remove_files(self, token: str) -> None:
        self._path(token).unlink(missing_ok=True)
        (self.folder / f"{token}.part").unlink(missing_ok=True)


def _quietly(callback: Callable[..., None], *args: object) -> None:
    try:
        callback(*args)
    except Exception:  # the session's trouble, not the upload's: the browser's "done" still comes
        log.exception("photo upload callback failed")


class OwnerUploads:
    """One browser session's view of `PhotoUploads`: its own tokens only."""

    def __init__(self, uploads: PhotoUploads, owner: str | None = None) -> None:
        self.uploads = uploads
        self.owner = owner or secrets.token_urlsafe(16)

    @property
    def max_bytes(self) -> int:
        return self.uploads.max_bytes

    def expect(self, on_received: Callable[[], None] | None = None,
               on_progress: Callable[[int], None] | None = None,
               on_failed: Callable[[UploadRefused], None] | None = None) -> tuple[str, str]:
        """(token, upload URL) for one more file."""
        token = self.uploads.expect(self.owner, on_received, on_progress, on_failed)
        return token, self.uploads.url(token)

    def expect_choice(self, on_choice: Callable[[list[ChosenFile]], list[str | None]]) -> str:
        """The URL the page's picker POSTs its next choice to (see `PhotoUploads.expect_choice`)."""
        return self.uploads.choice_url(self.uploads.expect_choice(self.owner, on_choice))

    def take(self, token: str) -> bytes:
        return self.uploads.take(token, self.owner)

    def discard(self, token: str) -> None:
        self.uploads.discard(token, self.owner)

    def close(self) -> None:
        self.uploads.discard_owner(self.owner)
