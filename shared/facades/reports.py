"""Reports: filing with photos, reading cases, the case RPCs (one method per RPC), following, live changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from shared import errors
from shared.limits import MAX_PHOTOS
from shared.media import MediaError, PhotoInput, PreparedPhoto, prepare_photo
from shared.models import (CaseEventPublic, FollowedReportPublic, NearbyReportPublic, RatingCreate, RatingPublic,
                           ReportCreate, ReportDetail, ReportPublic, TaskPublic)
from shared.realtime import Callback, Subscription
from shared.transport import ID, Transport, jsonable

PHOTO_BUCKET = "report-photos"


class ReportsFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def _report_rpc(self, name: str, **args: Any) -> ReportPublic:
        return self._t.model(ReportPublic, await self._t.rpc(name, args))

    # ------------------------------------------------------------ photos

    async def upload_photo(self, report_id: ID, data: PhotoInput) -> str:
        """Prepare (orientation, no EXIF, resized) and upload one photo; its storage path.

        `data` may be a photo the form already prepared (shared.media.PreparedPhoto): it is sent as is.
        The name comes from the content, so a retry finds the file already there and goes on.
        """
        return await upload_photo(self._t, report_id, data)

    async def download_photo(self, path: str) -> bytes:
        """A report photo's bytes, if the person may see it (the uploader, or who can see a report carrying it)."""
        return await self._t.call(self._t.supabase.storage.from_(PHOTO_BUCKET).download(path))

    async def photo_urls(self, paths: Iterable[str], expires_in: int = 3600) -> dict[str, str]:
        """Signed URLs (path -> URL) for the photos the person may see; the others are left out."""
        paths = list(paths)
        if not paths:
            return {}
        bucket = self._t.supabase.storage.from_(PHOTO_BUCKET)
        signed = await self._t.call(bucket.create_signed_urls(paths, expires_in))
        return {item["path"]: item["signedURL"] for item in signed if not item.get("error") and item.get("signedURL")}

    # ------------------------------------------------------------ filing and reading

    async def submit_report(self, report: ReportCreate, photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        """Upload the photos, then file the report under its client-chosen id.

        Idempotent: a retry with the same `report.id` returns the report already filed.
        """
        return await file_report(self._t, report, photos)

    async def reports_by_ids(self, report_ids: Iterable[ID]) -> list[ReportPublic]:
        """The reports among `report_ids` the caller may read (RLS decides; the others are left out)."""
        ids = sorted({str(i) for i in report_ids})
        if not ids:
            return []
        return self._t.models(ReportPublic, await self._t.rows(self._t.table("reports").select("*").in_("id", ids)))

    async def get_report(self, report_id: ID) -> ReportPublic:
        report = await find_report(self._t, report_id)
        if report is None:
            raise errors.NotFound(f"report {report_id}")
        return report

    async def my_reports(self, *, limit: int = 50, offset: int = 0) -> list[ReportPublic]:
        uid = await self._t.uid()
        query = (self._t.table("reports").select("*").eq("reporter_id", uid)
                 .order("created_at", desc=True).range(offset, offset + limit - 1))
        return self._t.models(ReportPublic, await self._t.rows(query))

    async def timeline(self, report_id: ID) -> list[CaseEventPublic]:
        query = self._t.table("case_events").select("*").eq("report_id", str(report_id)).order("id")
        return self._t.models(CaseEventPublic, await self._t.rows(query))

    async def report_detail(self, report_id: ID) -> ReportDetail:
        """The report with its timeline (oldest first), tasks and rating."""
        rid = str(report_id)
        report, events, tasks, ratings = await asyncio.gather(
            self.get_report(rid), self.timeline(rid),
            self._t.rows(self._t.table("tasks").select("*").eq("report_id", rid).order("created_at")),
            self._t.rows(self._t.table("ratings").select("*").eq("report_id", rid)))
        rating = self._t.model(RatingPublic, ratings) if ratings else None
        return ReportDetail(report=report, events=events, tasks=self._t.models(TaskPublic, tasks), rating=rating)

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

    async def add_report_info(self, report_id: ID, note: str, photos: Iterable[PhotoInput] = ()) -> ReportPublic:
        """The reporter adds a note and photos (uploaded here, as the report's own) to an open case."""
        photos = _at_most(photos)
        paths = [await upload_photo(self._t, report_id, data) for data in photos]
        return await self._report_rpc("add_report_info", report=report_id, note=note, photos=paths)

    # ------------------------------------------------------------ following, nearby

    async def follow_report(self, report_id: ID) -> bool:
        return bool(await self._t.rpc("follow_report", {"report": report_id}))

    async def nearby_open_reports(self, lat: float, lon: float, *, category: str | None = None,
                                  radius_m: float = 50) -> list[NearbyReportPublic]:
        rows = await self._t.rpc("nearby_open_reports", {"lat": lat, "lon": lon, "category": category,
                                                         "radius_m": radius_m})
        return self._t.models(NearbyReportPublic, rows)

    async def followed_reports(self) -> list[FollowedReportPublic]:
        """The cases I follow (never my own): status, not content."""
        return self._t.models(FollowedReportPublic, await self._t.rpc("followed_reports", {}))

    async def followed_report_status(self, report_id: ID) -> FollowedReportPublic:
        """A case I follow with its status steps; NotFound unless I follow it."""
        return self._t.model(FollowedReportPublic, await self._t.rpc("followed_report_status", {"report": report_id}))

    # ------------------------------------------------------------ live changes

    async def subscribe_report_changes(self, callback: Callback) -> Subscription:
        """`callback(ReportPublic)` on each change of a visible report, `callback(CaseEventPublic)` on each new step."""
        return await self._t.subscribe("reports", [("*", "reports", None, ReportPublic),
                                                   ("INSERT", "case_events", None, CaseEventPublic)], callback)

    async def subscribe_my_reports(self, callback: Callback) -> Subscription:
        """As `subscribe_report_changes`, filtered at the server to the reports I filed and their steps
        (`reporter_id=eq.<me>` on both; steps carry it from migration 1430): Realtime checks only those
        against my RLS, not every change in the city."""
        uid = await self._t.uid()
        return await self._t.subscribe("my-reports", [("*", "reports", f"reporter_id=eq.{uid}", ReportPublic),
                                                      ("INSERT", "case_events", f"reporter_id=eq.{uid}",
                                                       CaseEventPublic)], callback)


# ---------------------------------------------------------------- shared with the worker facade (report on behalf)

async def upload_photo(t: Transport, report_id: ID, data: PhotoInput) -> str:
    uid = await t.uid()
    try:
        # ~150 ms of Pillow work per photo: off the event loop, so the app's session stays live.
        photo = data if isinstance(data, PreparedPhoto) else await asyncio.to_thread(prepare_photo, data)
    except MediaError as exc:
        raise errors.ValidationError(f"photo: {exc}", code="photo") from exc
    bucket = t.supabase.storage.from_(PHOTO_BUCKET)
    path = f"{uid}/{report_id}/{photo.file_name}"
    for name, body in ((path, photo.data), (f"{uid}/{report_id}/{photo.thumbnail_file_name}", photo.thumbnail)):
        try:
            await t.call(bucket.upload(name, body, {"content-type": photo.content_type, "upsert": "false"}))
        except errors.CityError as exc:
            if not _already_there(exc):
                raise
    return path


async def file_report(t: Transport, report: ReportCreate, photos: Iterable[PhotoInput],
                      extra: dict[str, Any] | None = None) -> ReportPublic:
    """Photos first, then the row (plus `extra` columns); a retry under the same id answers the filed report."""
    photos = _at_most(photos)
    paths = [await upload_photo(t, report.id, data) for data in photos]
    row = jsonable(report.model_dump(mode="json")) | {"photos": paths} | (extra or {})
    try:
        rows = await t.rows(t.table("reports").insert(row))
    except errors.Conflict:
        existing = await find_report(t, report.id)
        if existing is None:
            raise
        return existing
    return t.model(ReportPublic, rows)


async def find_report(t: Transport, report_id: ID) -> ReportPublic | None:
    rows = await t.rows(t.table("reports").select("*").eq("id", str(report_id)))
    return t.model(ReportPublic, rows) if rows else None


def _at_most(photos: Iterable[PhotoInput]) -> list[PhotoInput]:
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise errors.ValidationError(f"at most {MAX_PHOTOS} photos", code="photos")
    return photos


def _already_there(exc: errors.CityError) -> bool:
    text = f"{exc.code} {exc.detail}".lower()
    return exc.status == 409 or "duplicate" in text or "already exists" in text
