"""Snap and report, without flet: the draft, its address and category, nearby cases, sending or the outbox.

`ReportFlow.submit()` answers what happened, so the form only shows it:
"invalid" (see `problems`), "nearby" (same category within 50 m: offer `follow`),
"sent", "queued" (the backend could not be reached: kept in the command queue), "failed".

It runs in either app against `ReportFlowHost`, what it really uses of the app's session; how
the report is filed is the host's (`file_report`): the resident's own, or a worker's on a
resident's behalf. The form drawing it is shared/ui/report_form.py.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

from shared import errors
from shared.app_core import Outcome as CallOutcome
from shared.commands import CommandQueue
from shared.geo import localized_address
from shared.i18n import Translator
from shared.media import MediaError, prepare_photo
from shared.models import (
    AreaPublic,
    NearbyReportPublic,
    ReportCreate,
    ReportPublic,
    ReportSource,
)
from shared.photo_tray import PhotoTray
from shared.photo_uploads import OwnerUploads
from shared.reporting import ReportDraft, address_for, message, suggestions
from shared.taxonomy import Category, default_taxonomy

log = logging.getLogger(__name__)
Outcome = Literal["invalid", "nearby", "sent", "queued", "failed"]
NEARBY_RADIUS_M = 50


class ReportFlowHost(Protocol):
    """What the report flow uses of an app's session (both apps' AppState build on shared.app_core)."""

    t: Translator  # a catalogue holding shared/ui/strings.py's keys
    photo_uploads: OwnerUploads | None  # the session's uploads (shared/photo_uploads.py), None: bytes only

    @property
    def locale(self) -> str: ...

    @property
    def outbox(self) -> CommandQueue | None: ...  # where a report waits offline; None: the form says so

    async def ensure_client(self) -> Any: ...  # the signed-in client (its `reports` facade: nearby cases)

    async def run(self, call: Callable[[Any], Awaitable[Any]], *, busy: str | None = ...,
                  quiet: bool = ...) -> CallOutcome[Any]: ...

    def busy(self, key: str = ...) -> AbstractContextManager[None]: ...

    def say(self, text: str, *, error: bool = False) -> None: ...

    async def file_report(self, draft: ReportDraft) -> ReportPublic: ...  # raises shared.errors.CityError


class ReportFlow:
    def __init__(self, state: ReportFlowHost, *, on_behalf: bool = False) -> None:
        self.state = state
        self.taxonomy = default_taxonomy()
        self.draft = ReportDraft(source=ReportSource.GRID_APP if on_behalf else ReportSource.CITIZEN_APP)
        self.areas: list[AreaPublic] = []
        self.suggested: list[Category] = []
        self.category_chosen_by_hand = False
        self.nearby: list[NearbyReportPublic] = []
        self.nearby_dismissed = False
        self.problems: list[str] = []
        self.filed: ReportPublic | None = None
        self.photos = PhotoTray(self.draft, state.photo_uploads)

    async def prepare_suggestions(self) -> None:
        """Build the category suggester in a worker thread, so the first keystroke does not wait on the loop."""
        await asyncio.to_thread(self.taxonomy.prepare_suggestions)

    async def load_areas(self) -> None:
        load = getattr(self.state, "load_areas", None)  # the session's cache where it has one
        self.areas = await load() if load else (await self.state.run(lambda c: c.reference.areas(), busy=None,
                                                                    quiet=True)).value or []

    def grid_polygons(self) -> list[tuple[str, list[tuple[float, float]]]]:
        from shared.reporting import grids_from_areas

        return [(self.state.t.pick(g.name_zh, g.name_en), list(g.polygon)) for g in grids_from_areas(self.areas)]

    def city_centre(self) -> tuple[float, float] | None:
        """(lat, lon) of the middle of the grids, where the map opens before the location is known."""
        polygons = [p for _, p in self.grid_polygons()]
        points = [pt for poly in polygons for pt in poly]
        if not points:
            return None
        return (sum(lat for _, lat in points) / len(points), sum(lon for lon, _ in points) / len(points))

    # --------------------------------------------------------- fields

    def set_location(self, lat: float, lon: float) -> None:
        self.draft.lat, self.draft.lon = lat, lon
        # Filed in Chinese (what every handler reads, whatever their language); shown in the person's.
        self.draft.address = address_for(lat, lon, self.areas) if self.areas else None
        self.nearby, self.nearby_dismissed = [], False

    def address_shown(self) -> str | None:
        """The draft's address in the person's language (English area names in English)."""
        return localized_address(self.draft.address, self.areas, self.state.locale)

    def describe(self, text: str) -> list[Category]:
        """Keep the description and suggest categories; the best one is chosen unless one was picked by hand."""
        self.draft.description = text
        self.suggested = suggestions(text, 3, self.taxonomy)
        if self.suggested and not self.category_chosen_by_hand:
            self.draft.category_code = self.suggested[0].code
        return self.suggested

    def choose_category(self, code: str) -> bool:
        category = self.taxonomy.get(code)
        if category is None or category.level != 3:
            return False
        self.draft.category_code = code
        self.category_chosen_by_hand = True
        self.nearby, self.nearby_dismissed = [], False
        return True

    def category_name(self, code: str | None = None) -> str:
        category = self.taxonomy.get(code or self.draft.category_code or "")
        if category is None:
            return ""
        return " / ".join(self.state.t.pick(c.name_zh, c.name_en) for c in self.taxonomy.path(category.code))

    def search_categories(self, query: str, limit: int = 8) -> list[Category]:
        return self.taxonomy.search(query, level=3, limit=limit)

    def add_photo(self, data: bytes) -> bool:
        """A photo's bytes (prepared here); False when the draft is full or it is not a photo."""
        try:
            photo = prepare_photo(data)
        except MediaError as exc:
            self.photos.refusals = [exc]
            return False
        return self.photos.add_prepared(photo)

    def remove_photo(self, index: int) -> None:
        if 0 <= index < len(self.photos.slots):
            self.photos.remove(self.photos.slots[index])

    def messages(self) -> list[str]:
        return [message(code, self.state.locale) for code in self.problems]

    # --------------------------------------------------------- sending

    async def submit(self) -> Outcome:
        self.problems = self.draft.problems(self.taxonomy)
        if self.problems:
            return "invalid"
        report = self.draft.to_create()
        try:
            with self.state.busy("report.submitting"):
                outcome = await self._file(report)
        except errors.NetworkError:
            box = self.state.outbox
            if box is None:
                self.state.say(errors.NetworkError().message(self.state.locale), error=True)
                return "failed"
            box.add_report(report, self.draft.photos)
            self.state.say(self.state.t("report.queued"))
            return "queued"
        except errors.CityError as exc:
            log.info("report refused: %r", exc)
            self.state.say(exc.message(self.state.locale), error=True)
            return "failed"
        if outcome == "sent":
            self.state.say(self.state.t("report.sent"))
        return outcome

    async def _file(self, report: ReportCreate) -> Outcome:
        """Nearby cases first (a resident's own report only), then the host files it."""
        if not self.nearby_dismissed and not self.draft.on_behalf:
            client = await self.state.ensure_client()
            try:
                self.nearby = await client.reports.nearby_open_reports(report.lat, report.lon,
                                                                       category=report.category_code,
                                                                       radius_m=NEARBY_RADIUS_M)
            except errors.NearbyLookupsThrottled:  # the offer is a courtesy: never a reason not to report
                self.nearby = []
            if self.nearby:
                return "nearby"
        self.filed = await self.state.file_report(self.draft)
        return "sent"

    async def report_anyway(self) -> Outcome:
        self.nearby_dismissed = True
        return await self.submit()

    async def follow(self, report_id: uuid.UUID | str) -> bool:
        done = await self.state.run(lambda c: c.reports.follow_report(report_id))
        if done.ok and done.value:
            self.state.say(self.state.t("report.followed"))
        return bool(done.ok and done.value)
