"""Snap and report, without flet: the draft, its address and category, nearby cases, sending or the outbox.

`ReportFlow.submit()` answers what happened, so the form only shows it:
"invalid" (see `problems`), "nearby" (same category within 50 m: offer `follow`),
"sent", "queued" (the backend could not be reached: kept in the outbox), "failed".
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Literal

from shared import errors
from shared.geo import localized_address
from shared.media import MediaError, prepare_photo
from shared.models import AreaPublic, NearbyReportPublic, ReportPublic, ReportSource
from shared.reporting import ReportDraft, address_for, message, suggestions
from shared.taxonomy import Category, default_taxonomy

from .app import AppState
from .photos import PhotoTray

log = logging.getLogger(__name__)
Outcome = Literal["invalid", "nearby", "sent", "queued", "failed"]
NEARBY_RADIUS_M = 50


class ReportFlow:
    def __init__(self, state: AppState, *, on_behalf: bool = False) -> None:
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
        self.photos = PhotoTray(self.draft, getattr(state, "photo_uploads", None))

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
        self.state.shell.set_busy(self.state.t("report.submitting"))
        try:
            client = await self.state.ensure_client()
            if not self.nearby_dismissed and not self.draft.on_behalf:
                try:
                    self.nearby = await client.reports.nearby_open_reports(report.lat, report.lon,
                                                                   category=report.category_code,
                                                                   radius_m=NEARBY_RADIUS_M)
                except errors.NearbyLookupsThrottled:  # the offer is a courtesy: never a reason not to report
                    self.nearby = []
                if self.nearby:
                    return "nearby"
            self.filed = await client.reports.submit_report(report, self.draft.photos)
        except errors.NetworkError:
            box = self.state.outbox
            if box is None:
                self.state.shell.show_message(errors.NetworkError().message(self.state.locale), error=True)
                return "failed"
            box.add_report(report, self.draft.photos)
            self.state.shell.show_message(self.state.t("report.queued"))
            return "queued"
        except errors.CityError as exc:
            log.info("report refused: %r", exc)
            self.state.shell.show_message(exc.message(self.state.locale), error=True)
            return "failed"
        finally:
            self.state.shell.set_busy(None)
        self.state.shell.show_message(self.state.t("report.sent"))
        return "sent"

    async def report_anyway(self) -> Outcome:
        self.nearby_dismissed = True
        return await self.submit()

    async def follow(self, report_id: uuid.UUID | str) -> bool:
        done = await self.state.run(lambda c: c.reports.follow_report(report_id))
        if done.ok and done.value:
            self.state.shell.show_message(self.state.t("report.followed"))
        return bool(done.ok and done.value)
