"""The twin's `worker` facade: the inbox, duty, contacts, transfer, re-categorising, escalating (20261121001100)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from shared import errors
from shared.media import PhotoInput
from shared.models import (ACTIVE_TASK_STATUSES, ReportCreate, ReportPublic, ReportSource, Role, TaskPublic, TaskQueue,
                           TaskStatus, WorkerDutyPublic)
from shared.twin.city import _uuid, now
from shared.twin.reports import TwinReports
from shared.twin.session import HANDLED, ID, STAFF, S, Me, Subscription, refuse, require_status, require_text
from shared.worker import ReportContact, ResidentContact, TransferWorker


class TwinWorker:
    def __init__(self, me: Me) -> None:
        self._me = me

    def _with_report(self, t: TaskPublic) -> TaskPublic:
        return t.model_copy(update={"report": self._me.city.reports.get(t.report_id)})

    def _visible(self, uid: uuid.UUID, t: TaskPublic) -> bool:
        r = self._me.city.reports.get(t.report_id)
        return r is not None and self._me.city.can_read(uid, r)

    async def tasks(self, *, statuses: Iterable[TaskStatus] | None = None, queue: TaskQueue | None = None,
                    mine: bool = True, with_report: bool = True, limit: int = 100) -> list[TaskPublic]:
        uid = self._me.need_uid()
        wanted = {TaskStatus(s) for s in (statuses if statuses is not None else ACTIVE_TASK_STATUSES)}
        found = [t for t in self._me.city.tasks.values() if t.status in wanted and self._visible(uid, t)
                 and (not mine or t.assignee_id == uid) and (queue is None or t.queue == TaskQueue(queue))]
        found.sort(key=lambda t: t.created_at)
        return [self._with_report(t) if with_report else t for t in found[:limit]]

    async def inbox_tasks(self, *, limit: int = 300) -> list[TaskPublic]:
        return await self.tasks(mine=False, limit=limit)

    async def task_for(self, report_id: ID) -> TaskPublic | None:
        uid = self._me.need_uid()
        t = self._me.city.active_task(_uuid(report_id))
        return self._with_report(t) if t is not None and self._visible(uid, t) else None

    async def set_my_duty(self, on_duty: bool) -> WorkerDutyPublic:
        uid = self._me.need_uid()
        if self._me.city.role_of(uid) != Role.GRID_WORKER:
            raise refuse("only grid workers have a duty status")
        self._me.city.set_duty(uid, on_duty)
        return WorkerDutyPublic(worker_id=uid, on_duty=on_duty, since=self._me.city.duty[uid][1])

    async def my_duty(self) -> bool:
        uid = self._me.need_uid()
        return self._me.city.duty.get(uid, (False,))[0]

    async def my_departments(self) -> list[str]:
        return sorted(self._me.city.staff_departments.get(self._me.need_uid(), set()))

    def _staff(self, action: str) -> uuid.UUID:
        uid = self._me.need_uid()
        if self._me.city.role_of(uid) not in STAFF:
            raise refuse(f"only staff handling cases may {action}")
        return uid

    async def report_contact(self, report_id: ID) -> ReportContact:
        uid = self._staff("see who reported them")
        r = self._me.city.visible(uid, report_id)
        name, phone = self._me.city.residents.get(r.id, (None, None))
        profile = self._me.city.accounts[r.reporter_id].profile if r.reporter_id in self._me.city.accounts else None
        return ReportContact(display_name=name or (profile.display_name if profile else None),
                             phone=phone or (profile.phone if profile else None),
                             on_behalf=name is not None or phone is not None)

    async def transfer_workers(self, report_id: ID) -> list[TransferWorker]:
        uid = self._staff("list grid workers")
        city = self._me.city
        r = city.visible(uid, report_id)
        found = []
        for worker, grids in city.worker_grids.items():
            mine = sorted(city.area_by_id[g].code for g in grids
                          if r.street_id is None or city.street_of(g) == r.street_id)
            if worker != uid and mine and city.role_of(worker) == Role.GRID_WORKER:
                found.append(TransferWorker(id=worker, display_name=city.accounts[worker].profile.display_name,
                                            grid_codes=mine, on_duty=city.duty.get(worker, (False,))[0]))
        return sorted(found, key=lambda w: (not w.on_duty, w.grid_codes[0], w.display_name or ""))

    async def change_report_category(self, report_id: ID, category_code: str, reason: str) -> ReportPublic:
        reports, city = self._me_reports(), self._me.city
        uid, r, t = reports._case(report_id)
        require_status(r, HANDLED, "change the category of")
        reports._handler(uid, r, t, "change its category")
        why = require_text(reason, "the reason")
        item = city.categories.get(category_code)
        if item is None or item.level != 3:
            raise errors.ValidationError(f"category {category_code} is not an item (level 3) of the taxonomy",
                                         code="PT400")
        if item.code == r.category_code:
            raise errors.ValidationError(f"the case already has category {category_code}", code="PT400")
        if t is not None:
            city.update_task(t, status=TaskStatus.CANCELLED)
        changed = city.reports[r.id] = r.model_copy(update={
            "category_code": item.code, "department_code": item.department_code or "city_mgmt",
            "priority": item.priority,
            "due_at": r.created_at + timedelta(hours=item.sla_hours) if item.sla_hours else None})
        fresh = city.route(changed)
        city.notify_holders(fresh, uid, "task_assigned", "改派给您的事件", "A case was re-dispatched to you")
        return city.record_change(uid, changed, S.TRANSFERRED, f"category {r.category_code} -> {item.code}: {why}")

    async def escalate_report(self, report_id: ID, reason: str) -> ReportPublic:
        reports, city = self._me_reports(), self._me.city
        uid, r, t = reports._case(report_id)
        require_status(r, HANDLED, "escalate")
        reports._handler(uid, r, t, "escalate it")
        why = require_text(reason, "the reason")
        for sup, streets in city.supervised_streets.items():
            if sup != uid and (r.street_id is None or r.street_id in streets):
                city.notify(sup, "case_escalated", "网格员请求督办", "A handler asks a supervisor to step in", r.id,
                            {"reason": why})
        if t is not None:
            city.update_task(t, escalated_at=t.escalated_at or now())
        return city.record_change(uid, r, r.status, "escalated to the supervisor: " + why)

    async def run_case_command(self, command_id: ID, action: str, report_id: ID,
                               args: dict[str, Any] | None = None) -> ReportPublic:
        """public.run_case_command: a static dispatch over the case RPCs, applied once per command id.
        A refused action records nothing (the SQL's transaction rolls back), so it can be sent again."""
        uid = self._me.need_uid()
        if command_id is None or report_id is None or action is None:
            raise errors.ValidationError("command_id, action and report are required", code="PT400")
        cid, rid, a = _uuid(command_id), _uuid(report_id), args or {}
        seen = self._me.city.commands.get(cid)
        if seen is not None:
            if seen[0] != uid:
                raise errors.PermissionDenied("this command id is not yours", code="42501")
            if seen[1:] != (action, rid):
                raise errors.InvalidTransition("this command id was used for another action", code="PT409")
            return self._me.city.visible(uid, rid)
        reports = self._me_reports()
        photos = list(a.get("photos") or [])
        send = {
            "accept_report": lambda: reports.accept_report(rid),
            "start_report": lambda: reports.start_report(rid),
            "comment_report": lambda: reports.comment_report(rid, a.get("note")),
            "request_report_info": lambda: reports.request_report_info(rid, a.get("note")),
            "transfer_report": lambda: reports.transfer_report(rid, a.get("reason"),
                                                               to_department=a.get("to_department") or None,
                                                               to_worker=a.get("to_worker") or None),
            "resolve_report": lambda: reports.resolve_report(rid, a.get("note"), photos),
            "reject_report": lambda: reports.reject_report(rid, a.get("reason"),
                                                           duplicate_of=a.get("duplicate_of") or None),
            "escalate_report": lambda: self.escalate_report(rid, a.get("reason")),
            "change_report_category": lambda: self.change_report_category(rid, a.get("category"), a.get("reason")),
        }.get(action)
        if send is None:
            raise errors.ValidationError(f"unknown action {action}", code="PT400")
        done = await send()
        self._me.city.commands[cid] = (uid, action, rid)
        return done

    async def visible_reports(self, days: int = 30, *, limit: int = 2000) -> list[ReportPublic]:
        uid = self._me.need_uid()
        since = now() - timedelta(days=days)
        return [r for r in self._me.city.reports.values() if self._me.city.can_read(uid, r)
                and (r.created_at >= since or r.status not in (S.RESOLVED, S.CLOSED, S.REJECTED))][:limit]

    async def report_for_resident(self, report: ReportCreate, resident: ResidentContact,
                                  photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        extra = {"source": ReportSource.GRID_APP.value, "resident_name": resident.name.strip(),
                 "resident_phone": resident.phone}
        return await self._me_reports().file(report, photos, extra)

    async def subscribe_tasks(self, callback: Callable[[Any], Any]) -> Subscription:
        return self._me.listen("tasks", callback)  # the row alone, as Realtime sends it (no embedded report)

    def _me_reports(self) -> TwinReports:
        return TwinReports(self._me)
