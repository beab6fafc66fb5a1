"""What a notice is about, in words: what (the case's category, the care alert's kind) and where
(the case's address, the resident's address, the SOS's grid), beside the stored title.

The database stores only a title ("新的待办事件") and ids; the things they point at are read as
the worker (RLS decides), once per notice, so the list and the snack bar never say just "新任务".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared import errors
from shared.care import CareSubjectPublic
from shared.geo import GeoPoint, grid_for_point
from shared.models import NotificationPublic, ReportPublic
from shared.taxonomy import default_taxonomy

from .state.app import AppState
from .state.care import care_translator

CARE = "care_"


@dataclass(frozen=True)
class NoticeText:
    title: str
    what: str  # "" when unknown (e.g. a case the worker may no longer read)
    where: str

    @property
    def details(self) -> str:
        return " · ".join(x for x in (self.what, self.where) if x)

    def line(self, t) -> str:
        """One line for the snack bar: '新的待办事件：路灯不亮 · 滨西社区北门外'."""
        return t("notice.line", title=self.title, details=self.details) if self.details else self.title


class NoticeContext:
    """The cases and care residents the notices point at, fetched as the signed-in person."""

    def __init__(self, app: AppState) -> None:
        self.app = app
        self.reports: dict[str, ReportPublic] = {}
        self.subjects: dict[str, CareSubjectPublic] = {}

    async def learn(self, notices: Iterable[NotificationPublic]) -> None:
        notices = list(notices)
        client = self.app.client
        wanted = {str(n.report_id) for n in notices if n.report_id} - set(self.reports)
        if wanted:
            try:
                self.reports.update({str(r.id): r for r in await client.reports.reports_by_ids(wanted)})
            except errors.CityError:
                pass  # the notice still shows its title and what its payload says
        if any(n.kind.startswith(CARE) and str(n.payload.get("subject_id")) not in self.subjects for n in notices):
            try:
                self.subjects = {str(s.id): s for s in await client.care.list_care_subjects()}
            except errors.CityError:
                pass

    def describe(self, notice: NotificationPublic) -> NoticeText:
        t = self.app.t
        title = notice.title(t.locale)
        if notice.kind.startswith(CARE):
            return self._care(notice, title)
        if notice.sos_alert_id is not None or notice.kind.startswith("sos_"):
            return NoticeText(title, str(notice.payload.get("note") or ""), self._sos_where(notice))
        report = self.reports.get(str(notice.report_id)) if notice.report_id else None
        code = report.category_code if report else notice.payload.get("category_code")
        category = default_taxonomy().get(code) if code else None
        what = t.pick(category.name_zh, category.name_en) if category else ""
        has_place = report is not None and bool(report.address or report.landmark)
        where = self.app.address(report.address, report.landmark) if has_place else ""
        return NoticeText(title, what, where)

    def _care(self, notice: NotificationPublic, title: str) -> NoticeText:
        t = care_translator(self.app)
        kind = notice.payload.get("alert_kind")
        what = t(f"care.kind.{kind}") if kind else ""
        subject = self.subjects.get(str(notice.payload.get("subject_id")))
        if subject is None:
            return NoticeText(title, what, "")
        where = " ".join(x for x in (subject.name, self.app.address(subject.address) if subject.address else "") if x)
        return NoticeText(title, what, where)

    def _sos_where(self, notice: NotificationPublic) -> str:
        lat, lon = notice.payload.get("lat"), notice.payload.get("lon")
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            return ""
        grid = grid_for_point(GeoPoint(lat=lat, lon=lon), self.app.grids)
        spot = self.app.t("sos.where", lat=lat, lon=lon)
        return f"{self.app.t.pick(grid.name_zh, grid.name_en)} · {spot}" if grid else spot
