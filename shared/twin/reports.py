"""The twin's `reports` facade: filing, reading, the case RPCs, following.

Mirrors migrations 20261121000500 (reports), 0600 (case RPCs), 20261201000300 (follow status) and
20261201000800 (withdraw, add information).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from shared import errors
from shared.geo import GeoPoint, distance_m
from shared.limits import LIMITS, NEARBY_MAX_RADIUS_M
from shared.limits import MAX_PHOTOS
from shared.media import MediaError, PhotoInput, PreparedPhoto, prepare_photo
from shared.models import (CaseEventPublic, FollowedReportPublic, FollowedStep, NearbyReportPublic, RatingCreate,
                           RatingPublic, ReportCreate, ReportDetail, ReportPublic, Role, TaskPublic, TaskQueue,
                           TaskStatus)
from shared.status import OPEN_STATUSES
from shared.twin import reference
from shared.twin.city import TwinCity, _uuid, now
from shared.twin.session import HANDLED, ID, S, Me, refuse, require_status, require_text


class TwinReports:
    def __init__(self, me: Me) -> None:
        self._me = me

    @property
    def _city(self) -> TwinCity:
        return self._me.city

    # ------------------------------------------------------------ photos

    async def upload_photo(self, report_id: ID, data: PhotoInput) -> str:
        uid = self._me.need_uid()
        try:
            photo = data if isinstance(data, PreparedPhoto) else prepare_photo(data)
        except MediaError as exc:
            raise errors.ValidationError(f"photo: {exc}", code="photo") from exc
        path = f"{uid}/{report_id}/{photo.file_name}"
        self._city.photos.setdefault(path, photo.data)
        self._city.photos.setdefault(f"{uid}/{report_id}/{photo.thumbnail_file_name}", photo.thumbnail)
        return path

    def _may_see_photo(self, path: str) -> bool:
        uid = self._me.uid
        if path.startswith(f"{uid}/"):
            return True
        return any(path in r.photos or path in r.resolution_photos for r in self._city.reports.values()
                   if self._city.can_read(uid, r))

    async def download_photo(self, path: str) -> bytes:
        self._me.need_uid()
        if path not in self._city.photos or not self._may_see_photo(path):
            raise errors.NotFound("Object not found", code="not_found", status=404)
        return self._city.photos[path]

    async def photo_urls(self, paths: Iterable[str], expires_in: int = 3600) -> dict[str, str]:
        self._me.need_uid()
        return {p: f"twin://report-photos/{p}" for p in paths if p in self._city.photos and self._may_see_photo(p)}

    # ------------------------------------------------------------ filing and reading

    async def submit_report(self, report: ReportCreate, photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        return await self.file(report, photos)

    async def file(self, report: ReportCreate, photos: Iterable[PhotoInput], extra: dict[str, Any] | None = None
                   ) -> ReportPublic:
        """Photos first, then the row; a retry under the same id answers the filed report (as the facade does)."""
        photos = self._at_most(photos)
        paths = [await self.upload_photo(report.id, p) for p in photos]
        uid = self._me.need_uid()
        try:
            return self._city.file(uid, report.model_dump() | {"photos": paths} | (extra or {}))
        except errors.Conflict:
            existing = self._city.reports[report.id]
            if not self._city.can_read(uid, existing):
                raise
            return existing

    @staticmethod
    def _at_most(photos: Iterable[PhotoInput]) -> list[PhotoInput]:
        photos = list(photos)
        if len(photos) > MAX_PHOTOS:
            raise errors.ValidationError(f"at most {MAX_PHOTOS} photos", code="photos")
        return photos

    async def reports_by_ids(self, report_ids: Iterable[ID]) -> list[ReportPublic]:
        uid = self._me.need_uid()
        wanted = {_uuid(i) for i in report_ids}
        return [r for r in self._city.reports.values() if r.id in wanted and self._city.can_read(uid, r)]

    async def get_report(self, report_id: ID) -> ReportPublic:
        self._me.up()
        try:
            return self._city.visible(self._me.uid, report_id)
        except errors.NotFound:
            raise errors.NotFound(f"report {report_id}") from None

    async def my_reports(self, *, limit: int = 50, offset: int = 0) -> list[ReportPublic]:
        uid = self._me.need_uid()
        mine = sorted((r for r in self._city.reports.values() if r.reporter_id == uid),
                      key=lambda r: r.created_at, reverse=True)
        return mine[offset:offset + limit]

    async def timeline(self, report_id: ID) -> list[CaseEventPublic]:
        self._me.up()
        rid = _uuid(report_id)
        r = self._city.reports.get(rid)
        if r is None or not self._city.can_read(self._me.uid, r):
            return []
        return [e for e in self._city.events if e.report_id == rid]

    async def report_detail(self, report_id: ID) -> ReportDetail:
        report = await self.get_report(report_id)
        tasks = sorted((t for t in self._city.tasks.values() if t.report_id == report.id), key=lambda t: t.created_at)
        return ReportDetail(report=report, events=await self.timeline(report.id), tasks=tasks,
                            rating=self._city.ratings.get(report.id))

    # ------------------------------------------------------------ case actions

    def _case(self, report_id: ID) -> tuple[uuid.UUID, ReportPublic, TaskPublic | None]:
        uid = self._me.need_uid()
        r = self._city.visible(uid, report_id)
        return uid, r, self._city.active_task(r.id)

    def _handler(self, uid: uuid.UUID, r: ReportPublic, t: TaskPublic | None, action: str) -> None:
        if not self._city.may_handle(uid, r, t):
            raise refuse(f"only the handler of this case may {action}")

    async def accept_report(self, report_id: ID) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, {S.DISPATCHED, S.TRANSFERRED, S.REOPENED}, "accept")
        self._handler(uid, r, t, "accept it")
        self._city.update_task(t, status=TaskStatus.ACCEPTED, assignee_id=t.assignee_id or uid)
        return self._city.record_change(uid, r, S.ACCEPTED, None)

    async def start_report(self, report_id: ID) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, {S.ACCEPTED}, "start")
        self._handler(uid, r, t, "start work on it")
        self._city.update_task(t, status=TaskStatus.IN_PROGRESS)
        return self._city.record_change(uid, r, S.IN_PROGRESS, None)

    async def request_report_info(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, {S.ACCEPTED, S.IN_PROGRESS}, "ask for information on")
        self._handler(uid, r, t, "ask for information")
        return self._city.record_change(uid, r, S.NEEDS_INFO, require_text(note, "the question"))

    async def answer_report_info(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, {S.NEEDS_INFO}, "answer")
        if r.reporter_id != uid:
            raise refuse("only the reporter may answer")
        answer = require_text(note, "the answer")
        if t is not None:
            self._city.notify_holders(t, uid, "info_answered", "上报人已补充信息", "The reporter answered")
        return self._city.record_change(uid, r, S.IN_PROGRESS, answer)

    async def transfer_report(self, report_id: ID, reason: str, *, to_department: str | None = None,
                              to_worker: ID | None = None) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, HANDLED, "transfer")
        self._handler(uid, r, t, "transfer it")
        why = require_text(reason, "the reason")
        if (to_department is None) == (to_worker is None):
            raise errors.ValidationError("transfer to either a department or a grid worker", code="PT400")
        if to_department is not None and to_department not in {d.code for d in reference.departments()}:
            raise errors.ValidationError(f"no department {to_department}", code="PT400")
        worker = _uuid(to_worker) if to_worker is not None else None
        if worker is not None and not (self._city.role_of(worker) == Role.GRID_WORKER
                                       and self._city.worker_grids.get(worker)):
            raise errors.ValidationError(f"no grid worker {to_worker}", code="PT400")
        if t is not None:
            self._city.update_task(t, status=TaskStatus.CANCELLED)
        fresh = self._city.new_task(r, TaskQueue.WORKER if worker else TaskQueue.DEPARTMENT, worker, to_department,
                                    None)
        r = self._city.reports[r.id] = r.model_copy(update={"department_code": to_department or "city_mgmt"})
        self._city.notify_holders(fresh, uid, "task_assigned", "转派给您的事件", "A case was transferred to you")
        return self._city.record_change(uid, r, S.TRANSFERRED, why)

    async def resolve_report(self, report_id: ID, note: str, photos: Iterable[str] = ()) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, {S.ACCEPTED, S.IN_PROGRESS}, "resolve")
        self._handler(uid, r, t, "resolve it")
        what, photos = require_text(note, "the note"), list(photos)
        if len(photos) > MAX_PHOTOS:
            raise errors.ValidationError(f"at most {MAX_PHOTOS} photos", code="PT400", status=400)
        self._city.update_task(t, status=TaskStatus.DONE)
        return self._city.record_change(uid, r, S.RESOLVED, what, resolution_note=what, resolution_photos=photos,
                                        resolved_at=now())

    async def reject_report(self, report_id: ID, reason: str, *, duplicate_of: ID | None = None) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, HANDLED, "reject")
        self._handler(uid, r, t, "reject it")
        why = require_text(reason, "the reason")
        if duplicate_of is not None and (_uuid(duplicate_of) == r.id or _uuid(duplicate_of) not in self._city.reports):
            raise errors.ValidationError(f"no other report {duplicate_of}", code="PT400", status=400)
        if t is not None:
            self._city.update_task(t, status=TaskStatus.CANCELLED)
        return self._city.record_change(uid, r, S.REJECTED, why,
                                        duplicate_of=_uuid(duplicate_of) if duplicate_of else None)

    async def reopen_report(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        require_status(r, {S.RESOLVED}, "reopen")
        if r.reporter_id != uid:
            raise refuse("only the reporter may reopen a case")
        if r.resolved_at and (now() - r.resolved_at).days >= 7:
            raise errors.InvalidTransition("a case can be reopened within 7 days of its resolution", code="PT409",
                                           status=409)
        why = require_text(note, "the reason")
        done = sorted((t for t in self._city.tasks.values() if t.report_id == r.id and t.status == TaskStatus.DONE),
                      key=lambda t: (t.updated_at, t.created_at))
        previous = done[-1] if done else None
        fresh = self._city.new_task(r, previous.queue if previous else TaskQueue.SUPERVISOR,
                                     previous.assignee_id if previous else None,
                                     previous.department_code if previous else None,
                                     previous.street_id if previous else r.street_id)
        self._city.notify_holders(fresh, uid, "case_reopened", "事件被上报人重新打开", "A case was reopened by its reporter")
        for sup, streets in self._city.supervised_streets.items():
            if r.street_id in streets and sup != fresh.assignee_id:
                self._city.notify(sup, "case_reopened", "事件被上报人重新打开", "A case was reopened by its reporter", r.id)
        return self._city.record_change(uid, r, S.REOPENED, why)

    async def close_report(self, report_id: ID) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        require_status(r, {S.RESOLVED}, "close")
        supervisor = self._city.role_of(uid) == Role.SUPERVISOR and (
            r.street_id is None or r.street_id in self._city.supervised_streets.get(uid, set()))
        if r.reporter_id != uid and not supervisor:
            raise refuse("only the reporter or a supervisor may close a case")
        return self._city.record_change(uid, r, S.CLOSED, None)

    async def rate_report(self, report_id: ID, rating: RatingCreate) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        require_status(r, {S.RESOLVED, S.CLOSED}, "rate")
        if r.reporter_id != uid:
            raise refuse("only the reporter may rate a case")
        if r.id in self._city.ratings:
            raise errors.InvalidTransition("this case is already rated", code="PT409", status=409)
        comment = (rating.comment or "").strip() or None
        self._city.ratings[r.id] = RatingPublic(report_id=r.id, rater_id=uid, score=rating.score, comment=comment,
                                                created_at=now())
        return self._city.record_change(uid, r, S.CLOSED, f"rated {rating.score}/5")

    async def comment_report(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        return self._city.record_change(uid, r, r.status, require_text(note, "the comment"))

    def _reporter(self, uid: uuid.UUID, r: ReportPublic, action: str) -> None:
        """private.require_reporter."""
        if r.reporter_id != uid:
            raise refuse(f"only the reporter may {action}")

    async def withdraw_report(self, report_id: ID, reason: str) -> ReportPublic:
        uid, r, t = self._case(report_id)
        require_status(r, HANDLED, "withdraw")
        self._reporter(uid, r, "withdraw a case")
        why = require_text(reason, "the reason")
        if t is not None:
            self._city.update_task(t, status=TaskStatus.CANCELLED)
            self._city.notify_holders(t, uid, "report_withdrawn", "上报人已撤回事件", "The reporter withdrew a case")
        return self._city.record_change(uid, r, S.WITHDRAWN, why)

    async def add_report_info(self, report_id: ID, note: str, photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        photos = self._at_most(photos)
        paths = [await self.upload_photo(report_id, p) for p in photos]
        uid, r, t = self._case(report_id)
        require_status(r, HANDLED, "add information to")
        self._reporter(uid, r, "add information")
        what = require_text(note, "the note")
        self._city.event(r, uid, self._city.role_of(uid).value, r.status, r.status, what, kind="info_added",
                         photos=list(dict.fromkeys(paths)))
        if t is not None:
            self._city.notify_holders(t, uid, "info_added", "上报人补充了信息", "The reporter added information")
        changed = self._city.reports[r.id] = r.model_copy(update={"updated_at": now()})
        self._city.publish("reports", changed)
        return changed

    # ------------------------------------------------------------ following, nearby

    async def follow_report(self, report_id: ID) -> bool:
        uid = self._me.need_uid()
        r = self._city.reports.get(_uuid(report_id))
        if r is None or not (r.status in OPEN_STATUSES or r.status is S.RESOLVED):
            raise errors.NotFound(f"no open report {report_id}", code="PT404", status=404)
        if r.reporter_id != uid:  # one's own case is one's own, never "a case you follow"
            self._city.followers.setdefault(r.id, {}).setdefault(uid, now())
        return True

    async def nearby_open_reports(self, lat: float, lon: float, *, category: str | None = None,
                                  radius_m: float = 50) -> list[NearbyReportPublic]:
        uid = self._me.need_uid()
        if not 0 < radius_m <= NEARBY_MAX_RADIUS_M:
            raise errors.ValidationError(f"the radius is a distance in metres, more than 0 and at most "
                                         f"{NEARBY_MAX_RADIUS_M}", code="PT400")
        at, window = now(), LIMITS["nearby_lookups"]
        recent = [t for t in self._city.nearby_lookups.get(uid, []) if t > at - window.per]
        if len(recent) >= window.value:
            raise errors.NearbyLookupsThrottled("too many look-ups of nearby cases", code="PT429", status=429)
        self._city.nearby_lookups[uid] = recent + [at]
        here = GeoPoint(lat=lat, lon=lon)
        found = []
        for r in self._city.reports.values():
            if r.status in OPEN_STATUSES and (category is None or r.category_code == category):
                d = distance_m(here, GeoPoint(lat=r.lat, lon=r.lon))
                if d <= radius_m:
                    seen = NearbyReportPublic(id=r.id, category_code=r.category_code, status=r.status,
                                              distance_m=round(d / 10) * 10, mine=r.reporter_id == uid,
                                              created_at=r.created_at)
                    found.append((d, seen))
        found.sort(key=lambda pair: (pair[0], -pair[1].created_at.timestamp()))  # the newest among equally near
        return [n for _, n in found[:20]]

    def _followed(self, uid: uuid.UUID, r: ReportPublic, steps: bool) -> FollowedReportPublic:
        since = self._city.followers[r.id][uid]
        return FollowedReportPublic(
            id=r.id, category_code=r.category_code, status=r.status, approx_lat=round(r.lat, 3),
            approx_lon=round(r.lon, 3), created_at=r.created_at, updated_at=r.updated_at, followed_at=since,
            steps=[FollowedStep(from_status=e.from_status, to_status=e.to_status, at=e.created_at)
                   for e in self._city.events if steps and e.report_id == r.id and e.from_status != e.to_status])

    async def followed_reports(self) -> list[FollowedReportPublic]:
        uid = self._me.need_uid()
        mine = [self._followed(uid, r, False) for r in self._city.reports.values()
                if uid in self._city.followers.get(r.id, {}) and r.reporter_id != uid]
        return sorted(mine, key=lambda f: f.followed_at, reverse=True)

    async def followed_report_status(self, report_id: ID) -> FollowedReportPublic:
        uid = self._me.need_uid()
        r = self._city.reports.get(_uuid(report_id))
        if r is None or uid not in self._city.followers.get(r.id, {}):
            raise errors.NotFound(f"you do not follow case {report_id}", code="PT404", status=404)
        return self._followed(uid, r, True)

    async def subscribe_report_changes(self, callback: Callable[[Any], Any]) -> Any:
        return self._both(self._me.listen("reports", callback), self._me.listen("case_events", callback))

    async def subscribe_my_reports(self, callback: Callable[[Any], Any]) -> Any:
        uid = self._me.need_uid()
        return self._both(self._me.listen("reports", callback, match=lambda r: r.reporter_id == uid),
                          self._me.listen("case_events", callback, match=lambda e: e.reporter_id == uid))

    @staticmethod
    def _both(reports: Any, events: Any) -> Any:
        class Both:
            async def unsubscribe(self) -> None:
                await reports.unsubscribe()
                await events.unsubscribe()

        return Both()
