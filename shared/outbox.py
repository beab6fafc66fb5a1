"""Reports waiting to be sent: kept on disk until the backend has them, never sent twice.

A resident's report must survive a dead network and an app restart. Each waiting
report is a folder `<root>/<report id>/` holding `report.json` (the ReportCreate,
whose client-chosen id makes `CityClient.submit_report` idempotent) and the photos
as `photo-<n>.bin`. Files are written to a temporary name and renamed, so a crash
leaves either the whole entry or none. `flush` sends oldest first and removes an
entry only once the backend answered with the filed report; a network failure
stops the round (the rest would fail too) and keeps everything.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from shared import errors
from shared.media import PhotoInput, PreparedPhoto
from shared.models import ReportCreate, ReportPublic

Submit = Callable[[ReportCreate, list[bytes]], Awaitable[ReportPublic]]


@dataclass(frozen=True)
class OutboxEntry:
    report: ReportCreate
    queued_at: datetime
    attempts: int = 0
    last_error: str | None = None  # plain zh/en text of a refusal that is not about the network
    photo_count: int = 0


@dataclass(frozen=True)
class FlushResult:
    sent: list[ReportPublic]
    failed: list[uuid.UUID]  # refused by the backend for another reason than the network: kept, marked
    offline: bool  # stopped because the backend could not be reached


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Outbox:
    """The waiting reports of one account, under `root` (one folder per account)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = asyncio.Lock()  # one flush at a time: two would not file twice, but would upload twice

    def _dir(self, report_id: uuid.UUID | str) -> Path:
        return self.root / str(uuid.UUID(str(report_id)))

    def add(self, report: ReportCreate, photos: Iterable[PhotoInput] = ()) -> OutboxEntry:
        folder = self._dir(report.id)
        folder.mkdir(parents=True, exist_ok=True)
        photos = list(photos)
        for n, data in enumerate(photos):  # a prepared photo keeps its JPEG: preparing it again is harmless
            _write_atomic(folder / f"photo-{n}.bin", data.data if isinstance(data, PreparedPhoto) else data)
        entry = OutboxEntry(report=report, queued_at=datetime.now(timezone.utc), photo_count=len(photos))
        self._save(entry)  # report.json last: an entry without it is incomplete and ignored
        return entry

    def _save(self, entry: OutboxEntry) -> None:
        body = {"report": entry.report.model_dump(mode="json"), "queued_at": entry.queued_at.isoformat(),
                "attempts": entry.attempts, "last_error": entry.last_error, "photo_count": entry.photo_count}
        _write_atomic(self._dir(entry.report.id) / "report.json", json.dumps(body, ensure_ascii=False).encode())

    def _load(self, folder: Path) -> OutboxEntry | None:
        try:
            body = json.loads((folder / "report.json").read_text(encoding="utf-8"))
            return OutboxEntry(report=ReportCreate.model_validate(body["report"]),
                               queued_at=datetime.fromisoformat(body["queued_at"]),
                               attempts=int(body.get("attempts", 0)), last_error=body.get("last_error"),
                               photo_count=int(body.get("photo_count", 0)))
        except (OSError, ValueError, KeyError):
            return None

    def entries(self) -> list[OutboxEntry]:
        """Waiting reports, oldest first."""
        if not self.root.is_dir():
            return []
        found = [e for e in (self._load(d) for d in self.root.iterdir() if d.is_dir()) if e is not None]
        return sorted(found, key=lambda e: e.queued_at)

    def __len__(self) -> int:
        return len(self.entries())

    def photos(self, report_id: uuid.UUID | str) -> list[bytes]:
        entry = self._load(self._dir(report_id))
        count = entry.photo_count if entry else 0
        return [(self._dir(report_id) / f"photo-{n}.bin").read_bytes() for n in range(count)]

    def remove(self, report_id: uuid.UUID | str) -> None:
        shutil.rmtree(self._dir(report_id), ignore_errors=True)

    async def flush(self, submit: Submit, locale: str = "zh-CN") -> FlushResult:
        """Send every waiting report with `submit` (CityClient.submit_report)."""
        sent: list[ReportPublic] = []
        failed: list[uuid.UUID] = []
        async with self._lock:
            for entry in self.entries():
                try:
                    filed = await submit(entry.report, self.photos(entry.report.id))
                except errors.NetworkError:
                    self._save(_replace(entry, attempts=entry.attempts + 1))
                    return FlushResult(sent, failed, offline=True)
                except errors.CityError as exc:
                    # Refused (e.g. signed out, invalid): keep it and say why; never drop a report silently.
                    self._save(_replace(entry, attempts=entry.attempts + 1, last_error=exc.message(locale)))
                    failed.append(entry.report.id)
                    continue
                self.remove(entry.report.id)
                sent.append(filed)
        return FlushResult(sent, failed, offline=False)


def _replace(entry: OutboxEntry, **changes) -> OutboxEntry:
    from dataclasses import replace

    return replace(entry, **changes)
