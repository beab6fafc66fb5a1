"""The sink's messages: one JSON object a line in the state folder, so they survive restarts.

Appends are single `write`s on a file opened with O_APPEND, so several gateway
workers can add lines without interleaving them. Reading keeps the newest
`MAX_KEPT` lines; older ones are dropped when the file is rewritten on growth.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

MAX_KEPT = 2000  # messages the sink remembers (a developer's outbox, not an archive)
MAX_BODY = 1000  # characters of one message (a long SMS is ~6 parts of 160)
MAX_PHONE = 32
MAX_SENDER = 64


@dataclass(frozen=True)
class Message:
    id: str
    phone: str
    body: str
    sender: str
    created_at: str


def normalise_phone(value: str) -> str:
    """`+86 138-0013-8000`, `8613800138000` -> `+8613800138000` (digits only, with one `+`)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return "+" + digits if digits else ""


class Outbox:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def add(self, phone: str, body: str, sender: str = "") -> Message:
        message = Message(id=str(uuid.uuid4()), phone=normalise_phone(phone), body=body, sender=sender,
                          created_at=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
        line = (json.dumps(asdict(message), ensure_ascii=False) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            self._trim()
        return message

    def list(self, phone: str | None = None, limit: int = MAX_KEPT) -> list[Message]:
        """Newest first; only `phone`'s if given (in any spelling)."""
        wanted = normalise_phone(phone) if phone else None
        found = []
        for message in reversed(self._read()):
            if wanted is None or message.phone == wanted:
                found.append(message)
                if len(found) >= limit:
                    break
        return found

    def _read(self) -> list[Message]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        messages = []
        for line in text.splitlines():
            try:
                messages.append(Message(**json.loads(line)))
            except (ValueError, TypeError):  # a torn or foreign line: skip it, keep the rest
                continue
        return messages

    def _trim(self) -> None:
        if self.path.stat().st_size < MAX_KEPT * 400:
            return
        kept = self._read()[-MAX_KEPT // 2:]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(asdict(m), ensure_ascii=False) + "\n" for m in kept), encoding="utf-8")
        os.replace(tmp, self.path)
