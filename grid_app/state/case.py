"""One case on the worker's screen: what it shows, which actions it offers, and how they are sent.

An action (shared/case_actions.py says what each needs) is sent at once under a client-chosen
command id; when the backend cannot be reached the same command goes into the person's queue
(shared.commands) and is sent in order later; the id makes a resend harmless. A refusal by the
server is shown in plain words (error.message(locale)) and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from shared import errors
from shared.case_actions import CASE_ACTIONS, case_action, missing_fields, rpc_args
from shared.commands import Command, CommandKind
from shared.models import ACTIVE_TASK_STATUSES, CaseEventPublic, ReportPublic, Role, TaskPublic
from shared.status import grid_actions, holds_case
from shared.worker import ReportContact, TransferWorker

from .app import AppState, Outcome

log = logging.getLogger(__name__)

# Field -> the catalogue key of its name, for "please fill in ..." (grid_app/strings.py).
FIELD_LABELS = {f.name: f.label_key for a in CASE_ACTIONS.values() for f in a.fields}


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
        done = await self.app.run(client.reports.report_detail(self.report_id))
        if not done.ok:
            return False
        detail = done.value
        self.report, self.events = detail.report, detail.events
        active = [t for t in detail.tasks if t.status in ACTIVE_TASK_STATUSES]
        self.task = active[-1] if active else None
        try:
            self.contact = await client.worker.report_contact(self.report_id)
        except errors.CityError as exc:
            log.warning("no reporter contact for %s: %r", self.report_id, exc)
            self.contact = None  # shown as "not available"; the case itself still works
        if self.app.role is Role.DEPT_STAFF and not self.my_departments:
            self.my_departments = frozenset(await client.worker.my_departments())
        self.transfer_workers = []
        if self.holds:
            try:
                self.transfer_workers = await client.worker.transfer_workers(self.report_id)
            except errors.CityError as exc:  # the dialog still offers the departments
                log.warning("no workers to transfer to: %r", exc)
        # Bytes through the app's own connection rather than signed URLs: the browser then needs
        # no cross-origin access to Storage, and the photos stay as private as the case.
        added = [p for e in self.events for p in e.photos]  # photos the reporter added later
        for path in list(self.report.photos) + list(self.report.resolution_photos) + added:
            if path not in self.thumbnails:
                try:
                    self.thumbnails[path] = await client.reports.download_photo(thumbnail_path(path))
                except errors.CityError:
                    try:
                        self.thumbnails[path] = await client.reports.download_photo(path)
                    except errors.CityError as exc:  # left out: the person may not see it, or it is gone
                        log.warning("photo %s not shown: %r", path, exc)
        return True

    async def full_photo(self, path: str) -> bytes | None:
        done = await self.app.run(self.app.client.reports.download_photo(path))
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

    def queued(self) -> list[Command]:
        return self.app.queue.for_report(self.report_id) if self.app.queue else []

    async def perform(self, action: str, *, photos: list[bytes] = (), **args: Any) -> Outcome[Any]:
        """Send an action now; queue it when offline. `photos` (resolve): after-photos' bytes."""
        missing = missing_fields(action, args)
        if missing:  # the dialog shows this inline first; this guards every other caller
            self.app.say(missing_text(missing[0], self.app.t), error=True)
            return Outcome(False)
        command = Command(CommandKind.CASE_ACTION, {"action": action, "report_id": self.report_id, "args": args})
        try:
            with self.app.busy():
                value = await send_action(self.app, command, list(photos))
        except errors.NetworkError:
            # The same command id: if the server did apply it before the answer was lost, the resend is answered.
            self.app.queue.keep(command, photos)
            self.app.say(self.app.t("offline"))
            return Outcome(False)
        except errors.CityError as exc:
            self.app.say(exc.message(self.app.t.locale), error=True)
            return Outcome(False, error=exc)
        self.app.say(self.app.t("act.done", what=self.app.t(case_action(action).label_key)))
        await self.load()
        return Outcome(True, value)


async def send_action(app: AppState, command: Command, photos: list[bytes]) -> ReportPublic:
    """One case action under its command id (also what the queue's flush calls): photos first, then the RPC."""
    c, rid, action = app.client, command.report_id, command.action
    paths = [await c.reports.upload_photo(rid, data) for data in photos] if case_action(action).photos else []
    return await c.worker.run_case_command(command.id, action, rid, rpc_args(action, command.args, paths))
