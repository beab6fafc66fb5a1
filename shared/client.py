"""`CityClient`: what both apps and the jobs call, over the unmodified async supabase-py.

Every method returns models from shared.models and raises only `shared.errors.CityError`
subclasses. Access is decided by the database (RLS, security-definer RPCs); this
class only shapes calls and answers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from supabase import AsyncClient, AsyncClientOptions, acreate_client

from shared import errors
from shared.config import BackendConfig, load_backend_config
from shared.limits import MAX_PHOTOS
from shared.media import MediaError, PhotoInput, PreparedPhoto, prepare_photo
from shared.models import (ACTIVE_TASK_STATUSES, AreaLevel, AreaPublic, CaseEventPublic, CategoryPublic,
                           DepartmentPublic, FollowedReportPublic, NearbyReportPublic, NotificationPublic,
                           ProfilePublic, ProfileUpdate, RatingCreate, RatingPublic, ReportCreate, ReportDetail,
                           ReportPublic, Role, SosAlertPublic, SosEventPublic, SosStatus, TaskPublic, TaskQueue,
                           TaskStatus, UserPublic, WorkerDutyPublic)
from shared.brain_api import BrainFacade
from shared.realtime import Binding, Callback, Subscription, subscribe
from shared.care import CareClientMixin
from shared.payments import PaymentsClientMixin
from shared.worker import WorkerClientMixin


PHOTO_BUCKET = "report-photos"
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
ID = uuid.UUID | str


class SignUpResult(BaseModel):
    user: UserPublic
    needs_code: bool  # a phone sign-up: no session until the SMS code comes back


class CityClient(WorkerClientMixin, PaymentsClientMixin, CareClientMixin):
    """One signed-in (or anonymous) person talking to the backend."""

    def __init__(self, supabase: AsyncClient) -> None:
        self.supabase = supabase
        self._subscriptions: list[Subscription] = []
        self.brain = BrainFacade(self)  # the city brain's reads and live channel (shared/brain_api.py)

    @classmethod
    async def connect(cls, config: BackendConfig | None = None, *, url: str | None = None, key: str | None = None,
                      timeout: float = 10.0, client_ip: str | None = None) -> CityClient:
        """A client for `url`/`key`, else `config`, else the environment (shared.config).

        `client_ip`: the browser's address when this client serves one Flet web session. Every
        request of the session then leaves the app server with `X-Forwarded-For: <client_ip>`
        (auth, rest, storage), so the backend's per-address limits see the resident, not the
        server (it believes the header only from CITYLOOP_TRUSTED_PROXIES)."""
        if url is None or key is None:
            config = config or load_backend_config()
            url, key = url or config.url, key or config.anon_key
        headers = {"X-Forwarded-For": client_ip.strip()} if client_ip and client_ip.strip() else {}
        options = AsyncClientOptions(auto_refresh_token=True, persist_session=False, headers=headers,
                                     postgrest_client_timeout=timeout, storage_client_timeout=int(timeout))
        try:
            return cls(await acreate_client(url, key, options=options))
        except Exception as exc:
            raise errors.from_exception(exc) from exc

    async def aclose(self) -> None:
        await self.unsubscribe_all()

    async def unsubscribe_all(self) -> None:
        """Stop every live subscription (the client itself stays usable, and may subscribe again)."""
        subscriptions, self._subscriptions = list(self._subscriptions), []
        for sub in subscriptions:
            await sub.unsubscribe()

    # ------------------------------------------------------------ plumbing

    async def _call(self, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except errors.CityError:
            raise
        except Exception as exc:
            raise errors.from_exception(exc) from exc

    async def _rpc(self, name: str, args: dict[str, Any]) -> Any:
        response = await self._call(self.supabase.rpc(name, _jsonable(args)).execute())
        return response.data

    @staticmethod
    def _model(model: type[M], data: Any) -> M:
        if isinstance(data, list):
            if not data:
                raise errors.NotFound("empty answer")
            data = data[0]
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            raise errors.ServerError(f"unexpected answer for {model.__name__}: {exc}") from exc

    @classmethod
    def _models(cls, model: type[M], rows: Iterable[Any]) -> list[M]:
        return [cls._model(model, row) for row in rows or []]

    async def _report_rpc(self, name: str, **args: Any) -> ReportPublic:
        return self._model(ReportPublic, await self._rpc(name, args))

    # ------------------------------------------------------------ auth

    async def sign_up(self, identifier: str, password: str, *, display_name: str | None = None) -> UserPublic:
        """A new citizen account with an e-mail address or a phone number (see `register`)."""
        return (await self.register(identifier, password, display_name=display_name)).user

    async def register(self, identifier: str, password: str, *, display_name: str | None = None) -> SignUpResult:
        """`sign_up`, saying whether the account still waits for the code sent to its phone."""
        credentials: dict[str, Any] = {_identifier_kind(identifier): identifier.strip(), "password": password}
        if display_name:
            credentials["options"] = {"data": {"display_name": display_name}}
        response = await self._call(self.supabase.auth.sign_up(credentials))
        if response.user is None:
            raise errors.AuthError("sign-up returned no user")
        if response.session is not None:
            await self._call(self.supabase.realtime.set_auth(response.session.access_token))
        return SignUpResult(user=_user(response.user), needs_code=response.session is None)

    async def send_sign_in_code(self, phone: str) -> None:
        """An SMS code to sign in with, for an existing account only (never creates one)."""
        await self._call(self.supabase.auth.sign_in_with_otp(
            {"phone": phone.strip(), "options": {"should_create_user": False}}))

    async def resend_code(self, phone: str) -> None:
        """The sign-up (or sign-in) code again."""
        await self._call(self.supabase.auth.resend({"type": "sms", "phone": phone.strip()}))

    async def sign_in_with_code(self, phone: str, code: str) -> UserPublic:
        """Sign in (and confirm the number) with the code the SMS carried."""
        response = await self._call(self.supabase.auth.verify_otp(
            {"type": "sms", "phone": phone.strip(), "token": code.strip()}))
        if response.session is None or response.user is None:
            raise errors.AuthError("the code gave no session")
        await self._call(self.supabase.realtime.set_auth(response.session.access_token))
        return _user(response.user)

    async def sign_in(self, identifier: str, password: str) -> UserPublic:
        """Sign in with an e-mail address or a phone number and a password."""
        credentials = {_identifier_kind(identifier): identifier.strip(), "password": password}
        response = await self._call(self.supabase.auth.sign_in_with_password(credentials))
        if response.session is None or response.user is None:
            raise errors.AuthError("sign-in returned no session")
        await self._call(self.supabase.realtime.set_auth(response.session.access_token))
        return _user(response.user)

    async def sign_out(self) -> None:
        await self.aclose()
        await self._call(self.supabase.auth.sign_out())

    async def session_tokens(self) -> tuple[str, str] | None:
        """(access token, refresh token) of the current session, to keep across app restarts; None if signed out."""
        session = await self._call(self.supabase.auth.get_session())
        return (session.access_token, session.refresh_token) if session else None

    async def restore_session(self, refresh_token: str) -> UserPublic:
        """Sign in again from a refresh token kept by `session_tokens` (it is used up: keep the new one)."""
        response = await self._call(self.supabase.auth.refresh_session(refresh_token))
        if response.session is None or response.user is None:
            raise errors.AuthError("the refresh token gave no session")
        await self._call(self.supabase.realtime.set_auth(response.session.access_token))
        return _user(response.user)

    def on_tokens_changed(self, callback: Callable[[tuple[str, str] | None], None]) -> None:
        """`callback((access, refresh))` whenever the session's tokens change (sign-in, refresh), None on sign-out."""
        def relay(_event: Any, session: Any) -> None:
            callback((session.access_token, session.refresh_token) if session else None)

        self.supabase.auth.on_auth_state_change(relay)

    async def current_user(self) -> UserPublic | None:
        """The signed-in account (from the session, no request), or None."""
        session = await self._call(self.supabase.auth.get_session())
        return _user(session.user) if session and session.user else None

    async def current_role(self) -> Role | None:
        user = await self.current_user()
        return user.role if user else None

    async def _uid(self) -> str:
        user = await self.current_user()
        if user is None:
            raise errors.AuthError("not signed in")
        return str(user.id)

    # ------------------------------------------------------------ profile

    async def get_profile(self) -> ProfilePublic:
        uid = await self._uid()
        response = await self._call(self.supabase.table("profiles").select("*").eq("id", uid).execute())
        return self._model(ProfilePublic, response.data)

    async def update_profile(self, change: ProfileUpdate) -> ProfilePublic:
        uid = await self._uid()
        values = _jsonable(change.model_dump(exclude_unset=True, mode="json"))
        if not values:
            return await self.get_profile()
        response = await self._call(self.supabase.table("profiles").update(values).eq("id", uid).execute())
        return self._model(ProfilePublic, response.data)

    # ------------------------------------------------------------ reference data (readable by anyone)

    async def departments(self) -> list[DepartmentPublic]:
        query = self.supabase.table("departments").select("*").order("code")
        return self._models(DepartmentPublic, (await self._call(query.execute())).data)

    async def areas(self, level: AreaLevel | None = None, parent_id: ID | None = None) -> list[AreaPublic]:
        query = self.supabase.table("areas").select("*")
        if level is not None:
            query = query.eq("level", AreaLevel(level).value)
        if parent_id is not None:
            query = query.eq("parent_id", str(parent_id))
        return self._models(AreaPublic, (await self._call(query.order("code").execute())).data)

    async def categories(self, parent_code: str | None = None, level: int | None = None) -> list[CategoryPublic]:
        query = self.supabase.table("categories").select("*")
        if parent_code is not None:
            query = query.eq("parent_code", parent_code)
        if level is not None:
            query = query.eq("level", level)
        return self._models(CategoryPublic, (await self._call(query.order("code").execute())).data)

    # ------------------------------------------------------------ reports

    async def upload_photo(self, report_id: ID, data: PhotoInput) -> str:
        """Prepare (orientation, no EXIF, resized) and upload one photo; its storage path.

        `data` may be a photo the form already prepared (shared.media.PreparedPhoto): it is sent as is.
        The name comes from the content, so a retry finds the file already there and goes on.
        """
        uid = await self._uid()
        try:
            # ~150 ms of Pillow work per photo: off the event loop, so the app's session stays live.
            photo = data if isinstance(data, PreparedPhoto) else await asyncio.to_thread(prepare_photo, data)
        except MediaError as exc:
            raise errors.ValidationError(f"photo: {exc}", code="photo") from exc
        bucket = self.supabase.storage.from_(PHOTO_BUCKET)
        path = f"{uid}/{report_id}/{photo.file_name}"
        for name, body in ((path, photo.data), (f"{uid}/{report_id}/{photo.thumbnail_file_name}", photo.thumbnail)):
            try:
                await self._call(bucket.upload(name, body, {"content-type": photo.content_type, "upsert": "false"}))
            except errors.CityError as exc:
                if not _already_there(exc):
                    raise
        return path

    async def download_photo(self, path: str) -> bytes:
        """A report photo's bytes, if the person may see it (the uploader, or who can see a report carrying it)."""
        return await self._call(self.supabase.storage.from_(PHOTO_BUCKET).download(path))

    async def photo_urls(self, paths: Iterable[str], expires_in: int = 3600) -> dict[str, str]:
        """Signed URLs (path -> URL) for the photos the person may see; the others are left out."""
        paths = list(paths)
        if not paths:
            return {}
        signed = await self._call(self.supabase.storage.from_(PHOTO_BUCKET).create_signed_urls(paths, expires_in))
        return {item["path"]: item["signedURL"] for item in signed if not item.get("error") and item.get("signedURL")}

    async def submit_report(self, report: ReportCreate, photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        """Upload the photos, then file the report under its client-chosen id.

        Idempotent: a retry with the same `report.id` returns the report already filed.
        """
        return await self._file_report(report, photos)

    async def _file_report(self, report: ReportCreate, photos: Iterable[PhotoInput],
                           extra: dict[str, Any] | None = None) -> ReportPublic:
        """Photos first, then the row (plus `extra` columns); a retry under the same id answers the filed report."""
        photos = list(photos)
        if len(photos) > MAX_PHOTOS:
            raise errors.ValidationError(f"at most {MAX_PHOTOS} photos", code="photos")
        paths = [await self.upload_photo(report.id, data) for data in photos]
        row = _jsonable(report.model_dump(mode="json")) | {"photos": paths} | (extra or {})
        try:
            response = await self._call(self.supabase.table("reports").insert(row).execute())
        except errors.Conflict:
            existing = await self._find_report(report.id)
            if existing is None:
                raise
            return existing
        return self._model(ReportPublic, response.data)

    async def _find_report(self, report_id: ID) -> ReportPublic | None:
        response = await self._call(self.supabase.table("reports").select("*").eq("id", str(report_id)).execute())
        return self._model(ReportPublic, response.data) if response.data else None

    async def reports_by_ids(self, report_ids: Iterable[ID]) -> list[ReportPublic]:
        """The reports among `report_ids` the caller may read (RLS decides; the others are left out)."""
        ids = sorted({str(i) for i in report_ids})
        if not ids:
            return []
        response = await self._call(self.supabase.table("reports").select("*").in_("id", ids).execute())
        return self._models(ReportPublic, response.data)

    async def get_report(self, report_id: ID) -> ReportPublic:
        report = await self._find_report(report_id)
        if report is None:
            raise errors.NotFound(f"report {report_id}")
        return report

    async def my_reports(self, *, limit: int = 50, offset: int = 0) -> list[ReportPublic]:
        uid = await self._uid()
        query = (self.supabase.table("reports").select("*").eq("reporter_id", uid)
                 .order("created_at", desc=True).range(offset, offset + limit - 1))
        return self._models(ReportPublic, (await self._call(query.execute())).data)

    async def timeline(self, report_id: ID) -> list[CaseEventPublic]:
        query = self.supabase.table("case_events").select("*").eq("report_id", str(report_id)).order("id")
        return self._models(CaseEventPublic, (await self._call(query.execute())).data)

    async def report_detail(self, report_id: ID) -> ReportDetail:
        """The report with its timeline (oldest first), tasks and rating."""
        rid = str(report_id)
        report, events, tasks, ratings = await asyncio.gather(
            self.get_report(rid), self.timeline(rid),
            self._call(self.supabase.table("tasks").select("*").eq("report_id", rid).order("created_at").execute()),
            self._call(self.supabase.table("ratings").select("*").eq("report_id", rid).execute()))
        rating = self._model(RatingPublic, ratings.data) if ratings.data else None
        return ReportDetail(report=report, events=events, tasks=self._models(TaskPublic, tasks.data), rating=rating)

    # ------------------------------------------------------------ case actions (one per RPC)

    async def accept_report(self, report_id: ID) -> ReportPublic:
        return await self._report_rpc("accept_report", report=report_id)

    async def start_report(self, report_id: ID) -> ReportPublic:
        return await self._report_rpc("start_report", report=report_id)

    async def request_report_info(self, report_id: ID, note: str) -> ReportPublic:
        return await self._report_rpc("request_report_info", report=report_id, note=note)

    async def answer_report_info(self, report_id: ID, note: str) -> ReportPublic:
        return await self._report_rpc("answer_report_info", report=report_id, note=note)

    async def transfer_report(self, report_id: ID, reason: str, *, to_department: str | None = None,
                              to_worker: ID | None = None) -> ReportPublic:
        return await self._report_rpc("transfer_report", report=report_id, reason=reason,
                                      to_department=to_department, to_worker=to_worker)

    async def resolve_report(self, report_id: ID, note: str, photos: Iterable[str] = ()) -> ReportPublic:
        """`photos`: storage paths of after-photos already uploaded (see `upload_photo`)."""
        return await self._report_rpc("resolve_report", report=report_id, note=note, photos=list(photos))

    async def reject_report(self, report_id: ID, reason: str, *, duplicate_of: ID | None = None) -> ReportPublic:
        return await self._report_rpc("reject_report", report=report_id, reason=reason, duplicate_of=duplicate_of)

    async def reopen_report(self, report_id: ID, note: str) -> ReportPublic:
        return await self._report_rpc("reopen_report", report=report_id, note=note)

    async def close_report(self, report_id: ID) -> ReportPublic:
        return await self._report_rpc("close_report", report=report_id)

    async def rate_report(self, report_id: ID, rating: RatingCreate) -> ReportPublic:
        return await self._report_rpc("rate_report", report=report_id, score=rating.score, comment=rating.comment)

    async def comment_report(self, report_id: ID, note: str) -> ReportPublic:
        return await self._report_rpc("comment_report", report=report_id, note=note)

    async def withdraw_report(self, report_id: ID, reason: str) -> ReportPublic:
        """The reporter withdraws an open case (its task is cancelled, the handler told)."""
        return await self._report_rpc("withdraw_report", report=report_id, reason=reason)

    async def add_report_info(self, report_id: ID, note: str, photos: Iterable[bytes] = ()) -> ReportPublic:
        """The reporter adds a note and photos (uploaded here, as the report's own) to an open case."""
        photos = list(photos)
        if len(photos) > MAX_PHOTOS:
            raise errors.ValidationError(f"at most {MAX_PHOTOS} photos", code="photos")
        paths = [await self.upload_photo(report_id, data) for data in photos]
        return await self._report_rpc("add_report_info", report=report_id, note=note, photos=paths)

    async def follow_report(self, report_id: ID) -> bool:
        return bool(await self._rpc("follow_report", {"report": report_id}))

    async def nearby_open_reports(self, lat: float, lon: float, *, category: str | None = None,
                                  radius_m: float = 50) -> list[NearbyReportPublic]:
        rows = await self._rpc("nearby_open_reports", {"lat": lat, "lon": lon, "category": category,
                                                       "radius_m": radius_m})
        return self._models(NearbyReportPublic, rows)

    async def followed_reports(self) -> list[FollowedReportPublic]:
        """The cases I follow (never my own): status, not content."""
        return self._models(FollowedReportPublic, await self._rpc("followed_reports", {}))

    async def followed_report_status(self, report_id: ID) -> FollowedReportPublic:
        """A case I follow with its status steps; NotFound unless I follow it."""
        return self._model(FollowedReportPublic, await self._rpc("followed_report_status", {"report": report_id}))

    # ------------------------------------------------------------ notifications

    async def notifications(self, *, unread_only: bool = False, limit: int = 50) -> list[NotificationPublic]:
        uid = await self._uid()
        query = self.supabase.table("notifications").select("*").eq("user_id", uid)
        if unread_only:
            query = query.is_("read_at", "null")
        query = query.order("created_at", desc=True).limit(limit)
        return self._models(NotificationPublic, (await self._call(query.execute())).data)

    async def mark_notifications_read(self, ids: Iterable[ID] | None = None) -> int:
        """Mark these (or all unread) notifications read; how many changed."""
        uid = await self._uid()
        now = datetime.now(timezone.utc).isoformat()
        query = self.supabase.table("notifications").update({"read_at": now}).eq("user_id", uid).is_("read_at", "null")
        if ids is not None:
            id_list = [str(i) for i in ids]
            if not id_list:
                return 0
            query = query.in_("id", id_list)
        return len((await self._call(query.execute())).data or [])

    # ------------------------------------------------------------ workers

    async def tasks(self, *, statuses: Iterable[TaskStatus] | None = None, queue: TaskQueue | None = None,
                    mine: bool = True, with_report: bool = True, limit: int = 100) -> list[TaskPublic]:
        """The task inbox: by default my active tasks with their reports, oldest first."""
        wanted = [TaskStatus(s).value for s in (statuses if statuses is not None else ACTIVE_TASK_STATUSES)]
        query = self.supabase.table("tasks").select("*, report:reports(*)" if with_report else "*")
        query = query.in_("status", sorted(wanted))
        if mine:
            query = query.eq("assignee_id", await self._uid())
        if queue is not None:
            query = query.eq("queue", TaskQueue(queue).value)
        query = query.order("created_at").limit(limit)
        return self._models(TaskPublic, (await self._call(query.execute())).data)

    async def set_my_duty(self, on_duty: bool) -> WorkerDutyPublic:
        return self._model(WorkerDutyPublic, await self._rpc("set_my_duty", {"on_duty": on_duty}))

    # ------------------------------------------------------------ SOS (migration 0700)

    async def _sos_rpc(self, name: str, **args: Any) -> SosAlertPublic:
        return self._model(SosAlertPublic, await self._rpc(name, args))

    async def sos_alerts(self, *, open_only: bool = True, limit: int = 50) -> list[SosAlertPublic]:
        """The SOS alerts the person may see (their own; for responders, those they were called to), newest first."""
        query = self.supabase.table("sos_alerts").select("*")
        if open_only:
            query = query.in_("status", [s.value for s in (SosStatus.SENT, SosStatus.ACKNOWLEDGED,
                                                           SosStatus.ON_THE_WAY)])
        query = query.order("created_at", desc=True).limit(limit)
        return self._models(SosAlertPublic, (await self._call(query.execute())).data)

    async def sos_timeline(self, alert_id: ID) -> list[SosEventPublic]:
        query = self.supabase.table("sos_events").select("*").eq("alert_id", str(alert_id)).order("id")
        return self._models(SosEventPublic, (await self._call(query.execute())).data)

    async def raise_sos(self, lat: float, lon: float, note: str | None = None) -> SosAlertPublic:
        return await self._sos_rpc("raise_sos", lat=lat, lon=lon, note=note)

    async def update_sos_location(self, alert_id: ID, lat: float, lon: float,
                                  accuracy_m: float | None = None) -> SosAlertPublic:
        return await self._sos_rpc("update_sos_location", alert_id=alert_id, lat=lat, lon=lon, accuracy_m=accuracy_m)

    async def acknowledge_sos(self, alert_id: ID) -> SosAlertPublic:
        return await self._sos_rpc("acknowledge_sos", alert_id=alert_id)

    async def mark_sos_on_the_way(self, alert_id: ID) -> SosAlertPublic:
        return await self._sos_rpc("mark_sos_on_the_way", alert_id=alert_id)

    async def resolve_sos(self, alert_id: ID, note: str | None = None) -> SosAlertPublic:
        return await self._sos_rpc("resolve_sos", alert_id=alert_id, note=note)

    async def cancel_sos(self, alert_id: ID, reason: str | None = None) -> SosAlertPublic:
        return await self._sos_rpc("cancel_sos", alert_id=alert_id, reason=reason)

    # ------------------------------------------------------------ realtime

    async def _subscribe(self, name: str, bindings: list[Binding], callback: Callback) -> Subscription:
        session = await self._call(self.supabase.auth.get_session())
        if session is None:
            raise errors.AuthError("not signed in")
        try:
            sub = await subscribe(self.supabase, name, bindings, callback, session.access_token)
        except errors.CityError:
            raise
        except Exception as exc:
            raise errors.from_exception(exc) from exc
        self._subscriptions.append(sub)
        return sub

    async def subscribe_report_changes(self, callback: Callback) -> Subscription:
        """`callback(ReportPublic)` on each change of a visible report, `callback(CaseEventPublic)` on each new step."""
        return await self._subscribe("reports", [("*", "reports", None, ReportPublic),
                                                 ("INSERT", "case_events", None, CaseEventPublic)], callback)

    async def subscribe_tasks(self, callback: Callback) -> Subscription:
        """`callback(TaskPublic)` on each new or changed task the person may see (the worker's inbox)."""
        return await self._subscribe("tasks", [("*", "tasks", None, TaskPublic)], callback)

    async def subscribe_sos(self, callback: Callback) -> Subscription:
        """`callback(SosAlertPublic)` on each change of an SOS alert the person may see."""
        return await self._subscribe("sos", [("*", "sos_alerts", None, SosAlertPublic)], callback)

    async def subscribe_notifications(self, callback: Callback) -> Subscription:
        """`callback(NotificationPublic)` for each new notification of the signed-in person."""
        uid = await self._uid()
        return await self._subscribe("notifications",
                                     [("INSERT", "notifications", f"user_id=eq.{uid}", NotificationPublic)], callback)


def _identifier_kind(identifier: str) -> str:
    value = identifier.strip()
    if "@" in value:
        return "email"
    if value.lstrip("+").replace(" ", "").replace("-", "").isdigit():
        return "phone"
    raise errors.ValidationError("an e-mail address or a phone number", code="identifier")


def _user(user: Any) -> UserPublic:
    role = (getattr(user, "app_metadata", None) or {}).get("role")
    return UserPublic(id=user.id, email=user.email or None, phone=user.phone or None,
                      role=role if role in Role.__members__.values() else Role.CITIZEN)


def _already_there(exc: errors.CityError) -> bool:
    text = f"{exc.code} {exc.detail}".lower()
    return exc.status == 409 or "duplicate" in text or "already exists" in text


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in values.items()}
