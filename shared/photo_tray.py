"""The photo step of a report, without flet: chosen -> uploading (percent) -> processing -> a thumbnail.

A chosen file is judged by its name and size at once (a PDF is refused before a byte is
sent, named); an accepted one gets a one-time upload URL (shared/photo_uploads.py) and a
`PhotoSlot` the form draws as a progress ring. When the browser reports the upload done,
`finish` takes the bytes and prepares the photo off the event loop (shared/media.py: a
draft decode, upright, no metadata, 1600 px plus a 320 px thumbnail): the form shows the
small thumbnail, never the 12 MP original, and the draft keeps the prepared photo, so
sending does not decode it again. A file that turns out not to be a photo is refused by
name, and leaves the rest of the form as it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from shared.media import MediaError, PreparedPhoto, TooLarge, named, prepare_photo, quick_thumbnail, refusal_for_file
from shared.photo_uploads import OwnerUploads, UploadRefused
from shared.reporting import MAX_PHOTOS, MESSAGES, ReportDraft

log = logging.getLogger(__name__)
Stage = Literal["uploading", "processing", "ready"]


class UploadFailed(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(f"「{name}」上传失败，请重新选择", f"“{name}” could not be uploaded. Please choose it again.")


class TooManyPhotos(MediaError):
    def __init__(self, name: str) -> None:
        zh, en = MESSAGES["too_many_photos"]
        super().__init__(f"「{name}」未添加：{zh}", f"“{name}” was not added: {en}")


@dataclass(eq=False)
class PhotoSlot:
    """One chosen photo on its way into the draft."""

    name: str
    token: str | None = None  # its upload; None once taken (or for a photo added as bytes)
    upload_url: str = ""
    size: int = 0  # bytes, as the browser announced it
    stage: Stage = "uploading"
    progress: float = 0.0  # 0..1 while uploading
    photo: PreparedPhoto | None = None
    preview: bytes | None = None  # the 320 px thumbnail, shown while the full photo is prepared
    # perf_counter marks of the photo step, logged once it is ready (where the time goes):
    # chosen -> first bytes (the browser starts the upload) -> received -> read -> preview -> prepared -> drawn
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, what: str) -> None:
        self.marks.setdefault(what, time.perf_counter())

    def timing(self) -> str:
        """"upload wait 0.21 s, upload 0.80 s, to thread 0.01 s, read 0.02 s, prepare 0.55 s, draw 0.04 s"."""
        order = ["chosen", "first_bytes", "received", "thread", "read", "preview", "prepared", "drawn"]
        names = ["upload wait", "upload", "to thread", "read", "thumbnail", "prepare", "draw"]
        marks = [(w, self.marks[w]) for w in order if w in self.marks]
        steps = {b: t2 - t1 for (a, t1), (b, t2) in zip(marks, marks[1:])}
        parts = [f"{n} {steps[w]:.2f} s" for n, w in zip(names, order[1:]) if w in steps]
        total = marks[-1][1] - marks[0][1] if len(marks) > 1 else 0.0
        return f"{', '.join(parts)}; total {total:.2f} s"

    @property
    def percent(self) -> int:
        return max(0, min(100, int(self.progress * 100)))


class PhotoTray:
    def __init__(self, draft: ReportDraft, uploads: OwnerUploads | None = None,
                 prepare: Callable[[bytes], PreparedPhoto] = prepare_photo,
                 preview: Callable[[bytes], bytes] | None = quick_thumbnail) -> None:
        self.draft = draft
        self.uploads = uploads
        self.prepare = prepare
        self.preview = preview
        self.slots: list[PhotoSlot] = []
        self.refusals: list[MediaError] = []  # what the last choice refused, named; shown until the next one

    @property
    def room(self) -> int:
        return MAX_PHOTOS - len(self.slots)

    def messages(self, locale: str) -> list[str]:
        return [r.message(locale) for r in self.refusals]

    # ------------------------------------------------------------ choosing

    def choose(self, files: Iterable[tuple[str, int]],
               on_received: Callable[[PhotoSlot], None] | None = None,
               on_progress: Callable[[PhotoSlot], None] | None = None,
               on_failed: Callable[[PhotoSlot], None] | None = None) -> list[PhotoSlot | None]:
        """(name, size) of each chosen file -> its slot to upload (to `slot.upload_url`), or None if refused.

        The percent is what the server has received (`on_progress(slot)` after it moved). `on_received(slot)`
        is called when the server has the whole file (the slot is then processing): the place to start
        `finish`, without waiting for the browser to say it is done. `on_failed(slot)`: the server refused
        its upload or it broke off (the slot is gone, its refusal named in `refusals`): redraw.
        """
        self.refusals = []
        accepted: list[PhotoSlot | None] = []
        for name, size in files:
            refusal = refusal_for_file(name, size)
            if refusal is None and self.room <= 0:
                refusal = TooManyPhotos(name)
            if refusal is None and self.uploads is None:
                refusal = UploadFailed(name)
            if refusal is not None:
                self.refusals.append(refusal)
                accepted.append(None)
                continue
            slot = PhotoSlot(name=name, size=size)
            slot.mark("chosen")
            slot.token, slot.upload_url = self.uploads.expect(self._received_hook(slot, on_received),
                                                              self._progress_hook(slot, on_progress),
                                                              self._failed_hook(slot, on_failed))
            self.slots.append(slot)
            accepted.append(slot)
        self._sync()
        return accepted

    def _received_hook(self, slot: PhotoSlot, then: Callable[[PhotoSlot], None] | None) -> Callable[[], None]:
        def received() -> None:
            slot.mark("received")
            if slot in self.slots and slot.stage == "uploading":
                slot.progress, slot.stage = 1.0, "processing"
                if then is not None:
                    then(slot)

        return received

    def _progress_hook(self, slot: PhotoSlot, then: Callable[[PhotoSlot], None] | None) -> Callable[[int], None]:
        def moved(received: int) -> None:
            slot.mark("first_bytes")
            if slot in self.slots and slot.stage == "uploading" and slot.size > 0:
                slot.progress = max(slot.progress, min(0.99, received / slot.size))
                if then is not None:
                    then(slot)

        return moved

    def _failed_hook(self, slot: PhotoSlot, then: Callable[[PhotoSlot], None] | None) -> Callable[[UploadRefused], None]:
        def failed(refused: UploadRefused) -> None:
            if slot not in self.slots or slot.stage != "uploading":
                return
            log.info("photo upload refused by the server: %s %s", refused.status, refused.reason)
            too_large = named(TooLarge(refused.size or slot.size), slot.name) if refused.status == 413 else None
            self._refuse(slot, too_large or UploadFailed(slot.name))
            if then is not None:
                then(slot)

        return failed

    def progress(self, slot: PhotoSlot, value: float | None, error: str | None = None) -> None:
        """What the browser reports: an error, or done (1.0: the slot is processing, call `finish`).

        Its percent in between is not shown: Flet's web client counts what it has read into the
        request before the browser sends it; the server's count (`choose(on_progress=...)`) is the real one.
        """
        if slot not in self.slots or slot.stage != "uploading":
            return
        if error:
            log.info("photo upload failed: %s", error)
            self._refuse(slot, UploadFailed(slot.name))
            return
        if value is not None and value >= 1.0:
            slot.progress, slot.stage = 1.0, "processing"

    async def finish(self, slot: PhotoSlot, on_preview: Callable[[PhotoSlot], None] | None = None) -> bool:
        """Take the uploaded bytes and prepare the photo; False (refusal named) when it is not one.

        The small thumbnail comes first (`on_preview(slot)`: draw it), the full photo after: a 12 MP
        photo's face appears in a fraction of the time its preparation takes."""
        if slot not in self.slots or slot.token is None or self.uploads is None:
            return False
        slot.stage = "processing"
        token, slot.token = slot.token, None
        try:
            # Reading 6 MB and decoding: off the event loop, so every session stays live meanwhile.
            data = await asyncio.to_thread(self._take, token, slot)
            if self.preview is not None:
                slot.preview = await asyncio.to_thread(self.preview, data)
                slot.mark("preview")
                if on_preview is not None and slot in self.slots:
                    on_preview(slot)
            photo = await asyncio.to_thread(self.prepare, data)
            slot.mark("prepared")
        except MediaError as exc:
            self._refuse(slot, named(exc, slot.name))
            return False
        except UploadRefused as exc:
            log.info("photo upload not usable: %s", exc.reason)
            self._refuse(slot, UploadFailed(slot.name))
            return False
        if slot not in self.slots:  # removed while it was prepared
            return False
        slot.photo, slot.stage, slot.progress = photo, "ready", 1.0
        self._sync()
        return True

    def _take(self, token: str, slot: PhotoSlot) -> bytes:
        assert self.uploads is not None
        slot.mark("thread")
        data = self.uploads.take(token)
        slot.mark("read")
        return data

    @staticmethod
    def drawn(slot: PhotoSlot) -> None:
        """The form sent the ready photo's tile to the browser: log where the photo step's time went."""
        if "drawn" not in slot.marks and slot.photo is not None:
            slot.mark("drawn")
            log.info("photo ready (%d bytes, %s): %s", slot.size, slot.photo.source_format, slot.timing())

    # ------------------------------------------------------------ ready photos

    def add_prepared(self, photo: PreparedPhoto, name: str = "") -> bool:
        """A photo already prepared (or prepared from bytes by `ReportFlow.add_photo`); False when full."""
        if self.room <= 0:
            return False
        self.slots.append(PhotoSlot(name=name, stage="ready", progress=1.0, photo=photo))
        self._sync()
        return True

    def remove(self, slot: PhotoSlot) -> None:
        if slot not in self.slots:
            return
        self.slots.remove(slot)
        if slot.token and self.uploads is not None:
            self.uploads.discard(slot.token)
        self._sync()

    def close(self) -> None:
        """The form is gone: drop what is still uploading."""
        for slot in list(self.slots):
            if slot.stage != "ready":
                self.remove(slot)

    def _refuse(self, slot: PhotoSlot, error: MediaError) -> None:
        self.refusals.append(error)
        self.remove(slot)

    def _sync(self) -> None:
        """The draft holds the ready photos in the order shown; it knows how many are still on their way."""
        self.draft.photos = [s.photo for s in self.slots if s.stage == "ready" and s.photo is not None]
        self.draft.photos_pending = sum(1 for s in self.slots if s.stage != "ready")
