"""What a person did while the backend could not be reached: one durable queue, sent later in order, once.

A report is one kind of command, a case action another (shared/case_actions.py). Each command
has a client-chosen id that makes it idempotent at the server: a report's id is the report's
own (`reports.id`), a case action's is the command id `run_case_command` records in
`client_commands`. So a command resent after a lost answer is answered, never applied twice.

One folder per person: `queue.json` (the commands, oldest first) and `photos/<id>/<n>.bin`.
Photos are written before the entry that names them, and every file goes to a temporary name
first and is renamed, so a crash leaves the old queue or the new one, never half of one.
`flush` sends oldest first and stops at the first network failure, so the server sees the
person's order. A refusal for another reason is kept with its reason in both languages: a
report stays waiting (it may go through later, e.g. after signing in again, and is never
dropped), a case action is marked failed (the case has moved on; the worker reads why).
Sent commands stay listed (photos freed) for a week, so a case can show what went.

`CommandQueue.for_person` also takes in the files of the two older queues on first start
(see `migrate_legacy`). Never imports flet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared import errors
from shared.media import PhotoInput, PreparedPhoto
from shared.models import ReportCreate

log = logging.getLogger(__name__)

KEEP_SENT = timedelta(days=7)


class CommandKind(StrEnum):
    REPORT = "report"  # payload: the ReportCreate (its id is the command's id)
    CASE_ACTION = "case_action"  # payload: {"action", "report_id", "args"}


class CommandState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# A refusal (not the network) of these kinds is final: the command is marked failed, not retried.
FINAL_REFUSAL = frozenset({CommandKind.CASE_ACTION})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class Command:
    kind: CommandKind
    payload: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    photo_count: int = 0
    state: CommandState = CommandState.PENDING
    attempts: int = 0
    error_zh: str | None = None  # why the server refused it (not the network), in plain words
    error_en: str | None = None
    queued_at: str = field(default_factory=_now)
    sent_at: str | None = None

    # -- the two kinds' views
    @property
    def report(self) -> ReportCreate:
        return ReportCreate.model_validate(self.payload)

    @property
    def action(self) -> str:
        return self.payload.get("action", "")

    @property
    def report_id(self) -> str:
        return str(self.payload.get("report_id") or self.payload.get("id") or "")

    @property
    def args(self) -> dict[str, Any]:
        return self.payload.get("args", {})

    def error(self, locale: str = "zh-CN") -> str | None:
        return self.error_en if locale.lower().startswith("en") else self.error_zh

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["id"] = str(self.id)
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Command:
        known = {f.name for f in fields(cls)}  # a field a later version adds is not a damaged file
        return cls(**{k: v for k, v in body.items() if k in known} | {
            "kind": CommandKind(body["kind"]), "state": CommandState(body["state"]), "id": uuid.UUID(str(body["id"]))})


@dataclass
class FlushResult:
    sent: list[Any] = field(default_factory=list)  # the server's answers, in order
    failed: list[uuid.UUID] = field(default_factory=list)  # refused for another reason than the network
    offline: bool = False  # stopped because the backend could not be reached
    left: int = 0  # still waiting


# Sends one command with its photos; returns the server's answer. NetworkError: try again later.
Sender = Callable[[Command, list[bytes]], Awaitable[Any]]


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


class CommandQueue:
    """The waiting commands of one person, under `root`. Open it with `open` to share its lock."""

    _open: dict[Path, CommandQueue] = {}

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = asyncio.Lock()  # one flush at a time: two would not apply twice, but would upload twice
        self.items: list[Command] = self._load()

    @classmethod
    def open(cls, root: Path) -> CommandQueue:
        """The one queue object of `root` in this process (so concurrent flushes share a lock)."""
        key = Path(root).resolve()
        if key not in cls._open:
            cls._open[key] = cls(root)
        return cls._open[key]

    @classmethod
    def for_person(cls, folder: Path, user_id: Any, legacy: Iterable[Path] = ()) -> CommandQueue:
        """`<folder>/commands/<user id>`, with the person's files of the older queues taken in."""
        queue = cls.open(Path(folder) / "commands" / str(uuid.UUID(str(user_id))))
        migrate_legacy(queue, legacy)
        return queue

    # ---------------------------------------------------------------- files

    @property
    def path(self) -> Path:
        return self.root / "queue.json"

    def _photo_dir(self, command_id: uuid.UUID | str) -> Path:
        return self.root / "photos" / str(uuid.UUID(str(command_id)))

    def _load(self) -> list[Command]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            items = [Command.from_json(body) for body in raw]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged file must not lock the person out of the app; keep it aside for support.
            log.warning("command queue %s is damaged (%r): set aside", self.path, exc)
            self.path.replace(self.path.with_suffix(".damaged"))
            return []
        cutoff = datetime.now(timezone.utc) - KEEP_SENT
        return [c for c in items if c.state is not CommandState.SENT or
                datetime.fromisoformat(c.sent_at or c.queued_at) > cutoff]

    def _save(self) -> None:
        body = json.dumps([c.to_json() for c in self.items], ensure_ascii=False, indent=1)
        write_atomic(self.path, body.encode("utf-8"))

    def reload(self) -> None:
        self.items = self._load()

    # ---------------------------------------------------------------- adding

    def keep(self, command: Command, photos: Iterable[PhotoInput] = ()) -> Command:
        """Keep `command` (photos first, then the entry); an id already queued is not queued twice."""
        known = self.get(command.id)
        if known is not None:
            return known
        photos = list(photos)
        for n, data in enumerate(photos):  # a prepared photo keeps its JPEG: preparing it again is harmless
            write_atomic(self._photo_dir(command.id) / f"{n}.bin",
                         data.data if isinstance(data, PreparedPhoto) else bytes(data))
        command.photo_count = len(photos)
        command.payload = _plain(command.payload)
        self.items.append(command)
        self._save()
        return command

    def add_report(self, report: ReportCreate, photos: Iterable[PhotoInput] = ()) -> Command:
        return self.keep(Command(CommandKind.REPORT, report.model_dump(mode="json"), id=report.id), photos)

    def add_case_action(self, action: str, report_id: Any, args: Mapping[str, Any] | None = None, *,
                        photos: Iterable[bytes] = (), command_id: uuid.UUID | None = None) -> Command:
        payload = {"action": action, "report_id": str(report_id), "args": dict(args or {})}
        return self.keep(Command(CommandKind.CASE_ACTION, payload, id=command_id or uuid.uuid4()), photos)

    # ---------------------------------------------------------------- reading

    def get(self, command_id: uuid.UUID | str) -> Command | None:
        wanted = uuid.UUID(str(command_id))
        return next((c for c in self.items if c.id == wanted), None)

    def pending(self, kind: CommandKind | None = None) -> list[Command]:
        return [c for c in self.items if c.state is CommandState.PENDING and (kind is None or c.kind is kind)]

    def waiting_reports(self) -> list[Command]:
        """Reports not yet filed, oldest first (a refused one waits too, with its reason)."""
        return self.pending(CommandKind.REPORT)

    def for_report(self, report_id: Any) -> list[Command]:
        """The case actions taken on one case, in order, whatever their state."""
        return [c for c in self.items if c.kind is CommandKind.CASE_ACTION and c.report_id == str(report_id)]

    def photos(self, command_id: uuid.UUID | str) -> list[bytes]:
        command = self.get(command_id)
        count = command.photo_count if command else 0
        return [(self._photo_dir(command_id) / f"{n}.bin").read_bytes() for n in range(count)]

    def __len__(self) -> int:
        return len(self.pending())

    # ---------------------------------------------------------------- removing

    def dismiss(self, command_id: uuid.UUID | str) -> None:
        """Forget a sent or failed command (a pending one stays: it has not reached the server)."""
        wanted = uuid.UUID(str(command_id))
        self.items = [c for c in self.items if c.id != wanted or c.state is CommandState.PENDING]
        self._save()
        if self.get(wanted) is None:
            shutil.rmtree(self._photo_dir(wanted), ignore_errors=True)

    # ---------------------------------------------------------------- sending

    async def flush(self, send: Sender, locale: str = "zh-CN") -> FlushResult:
        """Send what waits, oldest first; stop at the first network failure."""
        result = FlushResult()
        async with self._lock:
            for command in self.pending():
                try:
                    answer = await send(command, self.photos(command.id))
                except errors.NetworkError:
                    command.attempts += 1
                    self._save()
                    result.offline = True
                    break
                except errors.CityError as exc:
                    command.attempts += 1
                    command.error_zh, command.error_en = exc.message("zh-CN"), exc.message("en")
                    if command.kind in FINAL_REFUSAL:
                        command.state = CommandState.FAILED
                    result.failed.append(command.id)
                    self._save()
                    continue
                command.state, command.sent_at = CommandState.SENT, _now()
                command.error_zh = command.error_en = None
                command.photo_count = 0
                self._save()
                shutil.rmtree(self._photo_dir(command.id), ignore_errors=True)
                result.sent.append(answer)
        result.left = len(self.pending())
        return result


async def flush_forever(flush: Callable[[], Awaitable[Any]], every: float, *,
                        still: Callable[[], bool] = lambda: True) -> None:
    """The one flush loop: `flush` now and then every `every` seconds while `still()`; a round's bug is logged."""
    while still():
        try:
            await flush()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("command queue round failed")
        await asyncio.sleep(every)


# ---------------------------------------------------------------- the older files

def migrate_legacy(queue: CommandQueue, paths: Iterable[Path]) -> int:
    """Take in an old outbox folder (`<id>/report.json` + `photo-<n>.bin`) and an old action file
    (`actions-<uid>.json`, photos named in `args.photo_files`). Each entry becomes a command under its
    old id; the queue is saved before the old files go, and an id already queued is not added again,
    so a crash in between loses nothing and sends nothing twice. How many commands were added."""
    found: list[tuple[Command, list[bytes]]] = []
    done: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += _old_outbox(path)
            done.append(path)
        elif path.is_file():
            found += _old_actions(path)
            done.append(path)
    added = 0
    for command, photos in sorted(found, key=lambda f: f[0].queued_at):
        if queue.get(command.id) is None:
            queue.keep(command, photos)
            added += 1
    for path in done:  # only once every entry is in the new queue's file
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            for folder in _old_action_photo_dirs(path):
                shutil.rmtree(folder, ignore_errors=True)
            path.replace(path.with_suffix(".migrated"))
    if added:
        log.info("took %d commands from the older queues into %s", added, queue.root)
    return added


def _old_outbox(root: Path) -> list[tuple[Command, list[bytes]]]:
    out = []
    for folder in root.iterdir():
        try:
            body = json.loads((folder / "report.json").read_text(encoding="utf-8"))
            report = ReportCreate.model_validate(body["report"])
            photos = [(folder / f"photo-{n}.bin").read_bytes() for n in range(int(body.get("photo_count", 0)))]
        except (OSError, ValueError, KeyError):
            continue  # half-written (a crash before report.json): the old outbox ignored it too
        command = Command(CommandKind.REPORT, report.model_dump(mode="json"), id=report.id,
                          attempts=int(body.get("attempts", 0)), error_zh=body.get("last_error"),
                          queued_at=body["queued_at"])
        out.append((command, photos))
    return out


def _old_actions(path: Path) -> list[tuple[Command, list[bytes]]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for item in raw:
        args = dict(item.get("args") or {})
        photos = [Path(p).read_bytes() for p in args.pop("photo_files", []) if Path(p).is_file()]
        state = CommandState(item.get("state", "pending"))
        command = Command(CommandKind.CASE_ACTION,
                          {"action": item["action"], "report_id": str(item["report_id"]), "args": args},
                          id=uuid.UUID(str(item["id"])), state=state, error_zh=item.get("error_zh"),
                          error_en=item.get("error_en"), queued_at=item.get("created_at") or _now(),
                          sent_at=_now() if state is CommandState.SENT else None)
        out.append((command, photos if state is CommandState.PENDING else []))
    return out


def _old_action_photo_dirs(path: Path) -> list[Path]:
    """The old queue kept after-photos in `<folder>/photos/<item id>/`."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [path.parent / "photos" / str(item["id"]) for item in raw if "id" in item]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
