"""`TwinClient`: one person's client of a `TwinCity`, with the facades of `shared.api`.

Hand it to an app's state where a `CityClient` would go (`AppState(..., connect=city.connect)`):
the state cannot tell the difference for the calls the twin covers. Areas the twin does not
cover yet (payments, care, contacts) raise NotImplementedError, never a silent answer.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from shared import errors
from shared.facades.auth import SignUpResult, identifier_kind
from shared.flat_calls import install
from shared.geo import GeoPoint, distance_m
from shared.limits import LIMITS, NEARBY_MAX_RADIUS_M
from shared.media import MediaError, PhotoInput, PreparedPhoto, prepare_photo
from shared.models import (ACTIVE_TASK_STATUSES, AreaLevel, AreaPublic, CaseEventPublic, CategoryPublic,
                           DepartmentPublic, FollowedReportPublic, FollowedStep, NearbyReportPublic, NotificationPublic,
                           ProfilePublic, ProfileUpdate, RatingCreate, RatingPublic, ReportCreate, ReportDetail,
                           ReportPublic, ReportSource, ReportStatus, Role, TaskPublic, TaskQueue, TaskStatus,
                           UserPublic, WorkerDutyPublic)
from shared.worker import ReportContact, ResidentContact, TransferWorker
from shared.twin import reference
from shared.status import OPEN_STATUSES
from shared.twin.city import Listener, Session, TwinCity, _uuid, now

ID = uuid.UUID | str
MAX_PHOTOS = 9  # private.limits: photos per report
MAX_TEXT = 2000  # private.require_text


class _Me:
    """What every twin facade shares: the city and who is signed in."""

    def __init__(self, city: TwinCity) -> None:
        self.city = city
        self.session: Session | None = None
        self.token_callbacks: list[Callable[[tuple[str, str] | None], None]] = []
        self.listeners: list[Listener] = []

    def up(self) -> None:
        if self.city.offline:
            raise errors.NetworkError("the twin is offline")

    @property
    def uid(self) -> uuid.UUID | None:
        return self.session.uid if self.session else None

    def need_uid(self) -> uuid.UUID:
        self.up()
        if self.session is None:
            raise errors.AuthError("not signed in")
        return self.session.uid

    def open_session(self, uid: uuid.UUID, family: str | None = None) -> UserPublic:
        self.session = Session(secrets.token_hex(16), secrets.token_hex(16), uid, family or secrets.token_hex(8))
        for token, session in self.city.sessions.items():  # a spent token of the family answers the current session
            if session.family == self.session.family:
                self.city.sessions[token] = self.session
        self.city.sessions[self.session.refresh] = self.session
        for callback in self.token_callbacks:
            callback((self.session.access, self.session.refresh))
        return self.city.accounts[uid].user

    def listen(self, table: str, callback: Callable[[Any], Any]) -> _Subscription:
        listener = Listener(table, callback, self.need_uid())
        self.city.listeners.append(listener)
        self.listeners.append(listener)
        return _Subscription(self, listener)

    def close(self) -> None:
        for listener in self.listeners:
            if listener in self.city.listeners:
                self.city.listeners.remove(listener)
        self.listeners.clear()


class _Subscription:
    def __init__(self, me: _Me, listener: Listener) -> None:
        self._me, self._listener = me, listener

    async def unsubscribe(self) -> None:
        if self._listener in self._me.city.listeners:
            self._me.city.listeners.remove(self._listener)


class TwinAuth:
    def __init__(self, me: _Me) -> None:
        self._me = me

    async def sign_up(self, identifier: str, password: str, *, display_name: str | None = None) -> UserPublic:
        return (await self.register(identifier, password, display_name=display_name)).user

    async def register(self, identifier: str, password: str, *, display_name: str | None = None) -> SignUpResult:
        self._me.up()
        if identifier_kind(identifier) != "email":
            raise NotImplementedError("the twin signs up by e-mail only")
        if len(password) < 6:
            raise errors.WeakPassword("Password should be at least 6 characters.", code="weak_password", status=422)
        account = self._me.city.add_user(identifier.strip(), password, display_name=display_name)
        return SignUpResult(user=self._me.open_session(account.user.id), needs_code=False)

    async def send_sign_in_code(self, phone: str) -> None:
        raise NotImplementedError("sign-in by SMS code is not in the twin")

    async def resend_code(self, phone: str) -> None:
        raise NotImplementedError("sign-in by SMS code is not in the twin")

    async def sign_in_with_code(self, phone: str, code: str) -> UserPublic:
        raise NotImplementedError("sign-in by SMS code is not in the twin")

    async def sign_in(self, identifier: str, password: str) -> UserPublic:
        self._me.up()
        kind = identifier_kind(identifier)
        value = identifier.strip()
        for account in self._me.city.accounts.values():
            if getattr(account.user, kind) == value and account.password == password:
                return self._me.open_session(account.user.id)
        raise errors.InvalidCredentials("Invalid login credentials", code="invalid_credentials", status=400)

    async def sign_out(self) -> None:
        self._me.close()
        self._me.up()
        if self._me.session is not None:
            family = self._me.session.family
            for token in [t for t, s in self._me.city.sessions.items() if s.family == family]:
                del self._me.city.sessions[token]
        self._me.session = None
        for callback in self._me.token_callbacks:
            callback(None)

    async def session_tokens(self) -> tuple[str, str] | None:
        s = self._me.session
        return (s.access, s.refresh) if s else None

    async def restore_session(self, refresh_token: str) -> UserPublic:
        self._me.up()
        session = self._me.city.sessions.get(refresh_token)
        if session is None:
            raise errors.AuthError("Invalid Refresh Token: Refresh Token Not Found", code="refresh_token_not_found",
                                   status=400)
        return self._me.open_session(session.uid, session.family)

    def on_tokens_changed(self, callback: Callable[[tuple[str, str] | None], None]) -> None:
        self._me.token_callbacks.append(callback)

    async def current_user(self) -> UserPublic | None:
        uid = self._me.uid
        return self._me.city.accounts[uid].user if uid else None

    async def current_role(self) -> Role | None:
        user = await self.current_user()
        return user.role if user else None


class TwinProfile:
    def __init__(self, me: _Me) -> None:
        self._me = me

    async def get_profile(self) -> ProfilePublic:
        return self._me.city.accounts[self._me.need_uid()].profile

    async def update_profile(self, change: ProfileUpdate) -> ProfilePublic:
        account = self._me.city.accounts[self._me.need_uid()]
        values = change.model_dump(exclude_unset=True)
        account.profile = account.profile.model_copy(update=values | {"updated_at": now()})
        return account.profile

    async def notifications(self, *, unread_only: bool = False, limit: int = 50) -> list[NotificationPublic]:
        uid = self._me.need_uid()
        mine = [n for n in self._me.city.notifications if n.user_id == uid and not (unread_only and n.read_at)]
        return sorted(mine, key=lambda n: n.created_at, reverse=True)[:limit]

    async def mark_notifications_read(self, ids: Iterable[ID] | None = None) -> int:
        uid = self._me.need_uid()
        wanted = None if ids is None else {str(i) for i in ids}
        changed, at = 0, now()
        for i, n in enumerate(self._me.city.notifications):
            if n.user_id == uid and n.read_at is None and (wanted is None or str(n.id) in wanted):
                self._me.city.notifications[i] = n.model_copy(update={"read_at": at})
                changed += 1
        return changed

    async def subscribe_notifications(self, callback: Callable[[Any], Any]) -> _Subscription:
        return self._me.listen("notifications", callback)


class TwinReference:
    def __init__(self, me: _Me) -> None:
        self._me = me

    async def departments(self) -> list[DepartmentPublic]:
        self._me.up()
        return list(reference.departments())

    async def areas(self, level: AreaLevel | None = None, parent_id: ID | None = None) -> list[AreaPublic]:
        self._me.up()
        return [a for a in reference.areas() if (level is None or a.level == AreaLevel(level))
                and (parent_id is None or str(a.parent_id) == str(parent_id))]

    async def categories(self, parent_code: str | None = None, level: int | None = None) -> list[CategoryPublic]:
        self._me.up()
        return [c for c in reference.categories() if (parent_code is None or c.parent_code == parent_code)
                and (level is None or c.level == level)]


def _text(value: str | None, what: str) -> str:
    """private.require_text."""
    if value is None or not value.strip():
        raise errors.ValidationError(f"{what} is required", code="PT400", status=400)
    if len(value) > MAX_TEXT:
        raise errors.ValidationError(f"{what} is longer than {MAX_TEXT} characters", code="PT400", status=400)
    return value.strip()


def _require(r: ReportPublic, allowed: set[ReportStatus], action: str) -> None:
    if r.status not in allowed:
        raise errors.InvalidTransition(f"cannot {action} a report that is {r.status.value}", code="PT409", status=409)


def _refuse(message: str) -> errors.CityError:
    return errors.PermissionDenied(message, code="PT403", status=403)


S = ReportStatus
STAFF = {Role.GRID_WORKER, Role.DEPT_STAFF, Role.SUPERVISOR, Role.ADMIN}
_HANDLED = OPEN_STATUSES - {S.SUBMITTED}  # the states a handler (or the reporter) still acts on


class TwinReports:
    def __init__(self, me: _Me) -> None:
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
            raise _refuse(f"only the handler of this case may {action}")

    async def accept_report(self, report_id: ID) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, {S.DISPATCHED, S.TRANSFERRED, S.REOPENED}, "accept")
        self._handler(uid, r, t, "accept it")
        self._city.update_task(t, status=TaskStatus.ACCEPTED, assignee_id=t.assignee_id or uid)
        return self._city.record_change(uid, r, S.ACCEPTED, None)

    async def start_report(self, report_id: ID) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, {S.ACCEPTED}, "start")
        self._handler(uid, r, t, "start work on it")
        self._city.update_task(t, status=TaskStatus.IN_PROGRESS)
        return self._city.record_change(uid, r, S.IN_PROGRESS, None)

    async def request_report_info(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, {S.ACCEPTED, S.IN_PROGRESS}, "ask for information on")
        self._handler(uid, r, t, "ask for information")
        return self._city.record_change(uid, r, S.NEEDS_INFO, _text(note, "the question"))

    async def answer_report_info(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, {S.NEEDS_INFO}, "answer")
        if r.reporter_id != uid:
            raise _refuse("only the reporter may answer")
        answer = _text(note, "the answer")
        if t is not None:
            self._city.notify_holders(t, uid, "info_answered", "上报人已补充信息", "The reporter answered")
        return self._city.record_change(uid, r, S.IN_PROGRESS, answer)

    async def transfer_report(self, report_id: ID, reason: str, *, to_department: str | None = None,
                              to_worker: ID | None = None) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, _HANDLED, "transfer")
        self._handler(uid, r, t, "transfer it")
        why = _text(reason, "the reason")
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
        _require(r, {S.ACCEPTED, S.IN_PROGRESS}, "resolve")
        self._handler(uid, r, t, "resolve it")
        what, photos = _text(note, "the note"), list(photos)
        if len(photos) > MAX_PHOTOS:
            raise errors.ValidationError(f"at most {MAX_PHOTOS} photos", code="PT400", status=400)
        self._city.update_task(t, status=TaskStatus.DONE)
        return self._city.record_change(uid, r, S.RESOLVED, what, resolution_note=what, resolution_photos=photos,
                                        resolved_at=now())

    async def reject_report(self, report_id: ID, reason: str, *, duplicate_of: ID | None = None) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, _HANDLED, "reject")
        self._handler(uid, r, t, "reject it")
        why = _text(reason, "the reason")
        if duplicate_of is not None and (_uuid(duplicate_of) == r.id or _uuid(duplicate_of) not in self._city.reports):
            raise errors.ValidationError(f"no other report {duplicate_of}", code="PT400", status=400)
        if t is not None:
            self._city.update_task(t, status=TaskStatus.CANCELLED)
        return self._city.record_change(uid, r, S.REJECTED, why,
                                        duplicate_of=_uuid(duplicate_of) if duplicate_of else None)

    async def reopen_report(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        _require(r, {S.RESOLVED}, "reopen")
        if r.reporter_id != uid:
            raise _refuse("only the reporter may reopen a case")
        if r.resolved_at and (now() - r.resolved_at).days >= 7:
            raise errors.InvalidTransition("a case can be reopened within 7 days of its resolution", code="PT409",
                                           status=409)
        why = _text(note, "the reason")
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
        _require(r, {S.RESOLVED}, "close")
        supervisor = self._city.role_of(uid) == Role.SUPERVISOR and (
            r.street_id is None or r.street_id in self._city.supervised_streets.get(uid, set()))
        if r.reporter_id != uid and not supervisor:
            raise _refuse("only the reporter or a supervisor may close a case")
        return self._city.record_change(uid, r, S.CLOSED, None)

    async def rate_report(self, report_id: ID, rating: RatingCreate) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        _require(r, {S.RESOLVED, S.CLOSED}, "rate")
        if r.reporter_id != uid:
            raise _refuse("only the reporter may rate a case")
        if r.id in self._city.ratings:
            raise errors.InvalidTransition("this case is already rated", code="PT409", status=409)
        comment = (rating.comment or "").strip() or None
        self._city.ratings[r.id] = RatingPublic(report_id=r.id, rater_id=uid, score=rating.score, comment=comment,
                                                created_at=now())
        return self._city.record_change(uid, r, S.CLOSED, f"rated {rating.score}/5")

    async def comment_report(self, report_id: ID, note: str) -> ReportPublic:
        uid, r, _ = self._case(report_id)
        return self._city.record_change(uid, r, r.status, _text(note, "the comment"))

    def _reporter(self, uid: uuid.UUID, r: ReportPublic, action: str) -> None:
        """private.require_reporter."""
        if r.reporter_id != uid:
            raise _refuse(f"only the reporter may {action}")

    async def withdraw_report(self, report_id: ID, reason: str) -> ReportPublic:
        uid, r, t = self._case(report_id)
        _require(r, _HANDLED, "withdraw")
        self._reporter(uid, r, "withdraw a case")
        why = _text(reason, "the reason")
        if t is not None:
            self._city.update_task(t, status=TaskStatus.CANCELLED)
            self._city.notify_holders(t, uid, "report_withdrawn", "上报人已撤回事件", "The reporter withdrew a case")
        return self._city.record_change(uid, r, S.WITHDRAWN, why)

    async def add_report_info(self, report_id: ID, note: str, photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        photos = self._at_most(photos)
        paths = [await self.upload_photo(report_id, p) for p in photos]
        uid, r, t = self._case(report_id)
        _require(r, _HANDLED, "add information to")
        self._reporter(uid, r, "add information")
        what = _text(note, "the note")
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
                    found.append((d, NearbyReportPublic(id=r.id, category_code=r.category_code, status=r.status,
                                                    distance_m=round(d / 10) * 10, mine=r.reporter_id == uid, created_at=r.created_at)))
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
        reports = self._me.listen("reports", callback)
        events = self._me.listen("case_events", callback)

        class Both:
            async def unsubscribe(self) -> None:
                await reports.unsubscribe()
                await events.unsubscribe()

        return Both()


class TwinWorker:
    def __init__(self, me: _Me) -> None:
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
            raise _refuse("only grid workers have a duty status")
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
            raise _refuse(f"only staff handling cases may {action}")
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
            mine = sorted(city.area_by_id[g].code for g in grids if r.street_id is None or city.street_of(g) == r.street_id)
            if worker != uid and mine and city.role_of(worker) == Role.GRID_WORKER:
                found.append(TransferWorker(id=worker, display_name=city.accounts[worker].profile.display_name,
                                            grid_codes=mine, on_duty=city.duty.get(worker, (False,))[0]))
        return sorted(found, key=lambda w: (not w.on_duty, w.grid_codes[0], w.display_name or ""))

    async def change_report_category(self, report_id: ID, category_code: str, reason: str) -> ReportPublic:
        reports, city = self._me_reports(), self._me.city
        uid, r, t = reports._case(report_id)
        _require(r, _HANDLED, "change the category of")
        reports._handler(uid, r, t, "change its category")
        why = _text(reason, "the reason")
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
        _require(r, _HANDLED, "escalate")
        reports._handler(uid, r, t, "escalate it")
        why = _text(reason, "the reason")
        for sup, streets in city.supervised_streets.items():
            if sup != uid and (r.street_id is None or r.street_id in streets):
                city.notify(sup, "case_escalated", "网格员请求督办", "A handler asks a supervisor to step in", r.id,
                            {"reason": why})
        if t is not None:
            city.update_task(t, escalated_at=t.escalated_at or now())
        return city.record_change(uid, r, r.status, "escalated to the supervisor: " + why)

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

    async def subscribe_tasks(self, callback: Callable[[Any], Any]) -> _Subscription:
        return self._me.listen("tasks", callback)  # the row alone, as Realtime sends it (no embedded report)

    def _me_reports(self) -> TwinReports:
        return TwinReports(self._me)


class _NotInTwin:
    def __init__(self, area: str) -> None:
        self._area = area

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"{self._area}.{name} is not in the twin")


@install
class TwinClient:
    """One person's client of a `TwinCity` (the same facades as `shared.client.CityClient`)."""

    def __init__(self, city: TwinCity) -> None:
        self._me = _Me(city)
        self.auth = TwinAuth(self._me)
        self.profile = TwinProfile(self._me)
        self.reference = TwinReference(self._me)
        self.reports = TwinReports(self._me)
        self.worker = TwinWorker(self._me)
        self.sos = _NotInTwin("sos")
        self.payments = _NotInTwin("payments")
        self.care = _NotInTwin("care")
        self.contacts = _NotInTwin("contacts")

    async def aclose(self) -> None:
        self._me.close()
