"""One case on the worker's screen: what it shows, which actions it offers, and how they are sent.

An action is called directly; when the backend cannot be reached it goes into the person's
offline queue (shared.action_queue) and is sent in order later. A refusal by the server is
shown in plain words (error.message(locale)) and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from shared import errors
from shared.action_queue import QueuedAction
from shared.models import CaseEventPublic, ReportPublic, Role, TaskPublic
from shared.status import grid_actions, holds_case
from shared.worker import ReportContact, TransferWorker

from .app import AppState, Outcome

log = logging.getLogger(__name__)

# Action name -> the fields it needs before it can be sent.
NEEDS_TEXT = {
    "request_report_info": "question", "transfer_report": "reason", "resolve_report": "note",
    "reject_report": "reason", "comment_report": "note", "escalate_report": "reason",
    "change_report_category": "reason",
}
NEEDS_CHOICE = {"change_report_category": "category"}
# Field -> the catalogue key of its name, for "please fill in ..." (grid_app/strings.py).
FIELD_LABELS = {"question": "act.question", "note": "note", "reason": "reason", "category": "case.new_category"}


def missing_fields(action: str, args: dict[str, Any]) -> list[str]:
    """The fields `action` still needs, in the dialog's order; a transfer needs exactly one target."""
    missing = []
    if action == "transfer_report" and bool(str(args.get("to_department") or "").strip()) == bool(
            str(args.get("to_worker") or "").strip()):
        missing.append("to_department")
    for field in (NEEDS_CHOICE.get(action), NEEDS_TEXT.get(action)):
        if field and not str(args.get(field) or "").strip():
            missing.append(field)
    return missing


def missing_text(field: str, t) -> str:
    """The inline error for a missing field, in the person's language."""
    if field in ("to_department", "to_worker"):
        return t("transfer.pick_one")
    return t("required", what=t(FIELD_LABELS[field]))


def thumbnail_path(path: str) -> str:
    """shared.media stores '<stem>_thumb.jpg' beside '<stem>.jpg'."""
    return path[:-4] + "_thumb.jpg" if path.endswith(".jpg") else path


def mask_phone(phone: str | None) -> str:
    """'13800000101' -> '*******0101': only the last 4 digits are shown."""
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "*" * max(0, len(digits) - 4) + "".join(digits[-4:])


class CaseState:
    def __init__(self, app: AppState, report_id: str | uuid.UUID) -> None:
        self.app = app
        self.report_id = str(report_id)
        self.report: ReportPublic | None = None
        self.events: list[CaseEventPublic] = []
        self.task: TaskPublic | None = None
        self.contact: ReportContact | None = None
        self.thumbnails: dict[str, bytes] = {}  # photo path -> thumbnail bytes
        self.my_departments: frozenset[str] = frozenset()
        self.transfer_workers: list[TransferWorker] = []

    async def load(self) -> bool:
        client = self.app.client
        done = await self.app.run(client.report_detail(self.report_id))
        if not done.ok:
            return False
        detail = done.value
        self.report, self.events = detail.report, detail.events
        active = [t for t in detail.tasks if t.status.value in ("open", "accepted", "in_progress")]
        self.task = active[-1] if active else None
        try:
            self.contact = await client.report_contact(self.report_id)
        except errors.CityError as exc:
            log.warning("no reporter contact for %s: %r", self.report_id, exc)
            self.contact = None  # shown as "not available"; the case itself still works
        if self.app.role is Role.DEPT_STAFF and not self.my_departments:
            self.my_departments = frozenset(await client.my_departments())
        self.transfer_workers = []
        if self.holds:
            try:
                self.transfer_workers = await client.transfer_workers(self.report_id)
            except errors.CityError as exc:  # the dialog still offers the departments
                log.warning("no workers to transfer to: %r", exc)
        # Bytes through the app's own connection rather than signed URLs: the browser then needs
        # no cross-origin access to Storage, and the photos stay as private as the case.
        added = [p for e in self.events for p in e.photos]  # photos the reporter added later
        for path in list(self.report.photos) + list(self.report.resolution_photos) + added:
            if path not in self.thumbnails:
                try:
                    self.thumbnails[path] = await client.download_photo(thumbnail_path(path))
                except errors.CityError:
                    try:
                        self.thumbnails[path] = await client.download_photo(path)
                    except errors.CityError as exc:  # left out: the person may not see it, or it is gone
                        log.warning("photo %s not shown: %r", path, exc)
        return True

    async def full_photo(self, path: str) -> bytes | None:
        done = await self.app.run(self.app.client.download_photo(path))
        return done.value if done.ok else None

    @property
    def holds(self) -> bool:
        if self.app.role is None or self.app.user is None:
            return False
        t = self.task
        return holds_case(t.queue.value if t else None, t.assignee_id if t else None,
                          t.department_code if t else None, self.app.role, self.app.user.id, self.my_departments)

    def actions(self) -> list[str]:
        if self.report is None or self.app.role is None:
            return []
        return grid_actions(self.report.status, self.app.role, holds=self.holds)

    def queued(self) -> list[QueuedAction]:
        return self.app.queue.for_report(self.report_id) if self.app.queue else []

    async def perform(self, action: str, *, photos: list[bytes] = (), **args: Any) -> Outcome[Any]:
        """Send an action now; queue it when offline. `photos` (resolve): after-photos' bytes."""
        missing = missing_fields(action, args)
        if missing:  # the dialog shows this inline first; this guards every other caller
            self.app.say(missing_text(missing[0], self.app.t), error=True)
            return Outcome(False)
        item = QueuedAction(action, self.report_id, dict(args))
        if photos:
            item.args["photo_files"] = self._keep_photos(item.id, photos)
        try:
            with self.app.busy():
                value = await send_action(self.app, item)
        except errors.NetworkError:
            self.app.queue.enqueue(item)
            self.app.say(self.app.t("offline"))
            return Outcome(False)
        except errors.CityError as exc:
            self.app.say(exc.message(self.app.t.locale), error=True)
            return Outcome(False, error=exc)
        self.app.say(self.app.t("act.done", what=self.app.t(ACTION_KEYS[action])))
        await self.load()
        return Outcome(True, value)

    def _keep_photos(self, item_id: str, photos: list[bytes]) -> list[str]:
        """After-photos are kept as files until sent, so an offline resolve survives a restart."""
        folder = self.app.data_dir / "photos" / item_id
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for n, data in enumerate(photos):
            path = folder / f"{n}.img"
            path.write_bytes(data)
            paths.append(str(path))
        return paths


ACTION_KEYS = {
    "accept_report": "act.accept", "start_report": "act.start", "comment_report": "act.note",
    "request_report_info": "act.request_info", "transfer_report": "act.transfer", "resolve_report": "act.resolve",
    "reject_report": "act.reject", "escalate_report": "act.escalate", "change_report_category": "case.change_category",
}


async def send_action(app: AppState, item: QueuedAction) -> Any:
    """One action through its CityClient method (also what the offline queue's flush calls)."""
    c, rid, a = app.client, item.report_id, item.args
    match item.action:
        case "accept_report":
            return await c.accept_report(rid)
        case "start_report":
            return await c.start_report(rid)
        case "comment_report":
            return await c.comment_report(rid, a["note"])
        case "request_report_info":
            return await c.request_report_info(rid, a["question"])
        case "transfer_report":
            return await c.transfer_report(rid, a["reason"], to_department=a.get("to_department") or None,
                                           to_worker=a.get("to_worker") or None)
        case "resolve_report":
            paths = [await c.upload_photo(rid, Path(p).read_bytes()) for p in a.get("photo_files", [])]
            return await c.resolve_report(rid, a["note"], paths)
        case "reject_report":
            return await c.reject_report(rid, a["reason"])
        case "escalate_report":
            return await c.escalate_report(rid, a["reason"])
        case "change_report_category":
            return await c.change_report_category(rid, a["category"], a["reason"])
    raise errors.ValidationError(f"unknown action {item.action}", code="action")
