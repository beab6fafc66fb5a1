"""Case actions taken while the backend is unreachable, kept in a file and sent later in order.

The grid app calls an RPC directly when it can. When the call fails with a
NetworkError, the action goes into this queue (one JSON file per signed-in
person) and is sent again, oldest first, when the network is back. Each entry
shows its state: `pending` (waiting), `sent`, or `failed` (the server refused it:
the message says why, in both languages). Sending stops at the first network
failure, so the order the worker acted in is the order the server sees.
Never imports flet.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared import errors


class QueueState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass
class QueuedAction:
    action: str  # a case RPC's name (shared.status.Action value) or another WorkerClientMixin call
    report_id: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: QueueState = QueueState.PENDING
    error_zh: str | None = None
    error_en: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    def error(self, locale: str = "zh-CN") -> str | None:
        return self.error_en if locale.lower().startswith("en") else self.error_zh


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0
    left: int = 0  # still pending (the network failed again)


Sender = Callable[[QueuedAction], Awaitable[Any]]


class ActionQueue:
    """A per-person queue persisted at `path` (written atomically after every change)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.items: list[QueuedAction] = self._load()

    def _load(self) -> list[QueuedAction]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            # A damaged file must not lock the person out of the app; keep it aside for support.
            self.path.replace(self.path.with_suffix(".damaged"))
            return []
        return [QueuedAction(**{**item, "state": QueueState(item["state"])}) for item in raw]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump([asdict(i) for i in self.items], out, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def add(self, action: str, report_id: Any, **args: Any) -> QueuedAction:
        return self.enqueue(QueuedAction(action, str(report_id), dict(args)))

    def enqueue(self, item: QueuedAction) -> QueuedAction:
        item.args = {k: _plain(v) for k, v in item.args.items()}
        item.state = QueueState.PENDING
        self.items.append(item)
        self._save()
        return item

    def pending(self) -> list[QueuedAction]:
        return [i for i in self.items if i.state is QueueState.PENDING]

    def for_report(self, report_id: Any) -> list[QueuedAction]:
        return [i for i in self.items if i.report_id == str(report_id)]

    def dismiss(self, item_id: str) -> None:
        """Forget a sent or failed entry (a pending one stays: it has not reached the server)."""
        self.items = [i for i in self.items if i.id != item_id or i.state is QueueState.PENDING]
        self._save()

    async def flush(self, send: Sender) -> FlushResult:
        """Send the pending entries oldest first; stop at the first network failure."""
        result = FlushResult()
        for item in self.pending():
            try:
                await send(item)
            except errors.NetworkError:
                break
            except errors.CityError as exc:
                item.state, item.error_zh, item.error_en = QueueState.FAILED, exc.message("zh-CN"), exc.message("en")
                result.failed += 1
            else:
                item.state = QueueState.SENT
                result.sent += 1
            self._save()
        result.left = len(self.pending())
        return result


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
