"""The report form, shared by both apps: photos, location with a map pin, category, description.

Embed it with a host (shared/ui/report_host.py `ReportFormHost`: the citizen app's AppState, or
the grid app's host for a worker reporting on a resident's behalf):

    from shared.ui.report_form import ReportForm
    form = ReportForm(host, on_done=after, on_behalf=True)
    page_content.controls.append(form.root)
    await form.load()        # areas for the address and the map, the device location, the category suggester

The host's catalogue must hold shared/ui/strings.py's keys (both apps merge them into theirs), and
its `photo_uploads` needs the app server to serve shared/web_serve.py's upload endpoint.
`on_done(report_or_none, outcome)` is called after "sent", "queued" or a follow. With
`on_behalf=True` the report's source is "grid_app" and the resident's name and phone are asked
for (and required). The logic is in shared.report_flow.ReportFlow; this class only draws it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft
import flet_geolocator as fg
import flet_map as fm

from shared.config import tile_url
from shared.fonts import FONT_FAMILY
from shared.limits import LANDMARK_MAX_LENGTH, MAX_DESCRIPTION, MAX_PHOTOS
from shared.photo_tray import PhotoSlot
from shared.report_flow import ReportFlow
from shared.single_flight import SingleFlight

from .controls import BRAND, button, field, sizes, text
from .map_panel import move_map, page_map, with_zoom_buttons
from .photo_picker import PagePhotoPicker
from .report_host import ReportFormHost

log = logging.getLogger(__name__)
MAP_HEIGHT = 220


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _on_page(control: ft.Control) -> bool:
    """Flet 1.0 raises for a control not added to a page yet (the form is built before it is shown)."""
    try:
        return control.page is not None
    except RuntimeError:
        return False


def _page_of(event: Any) -> Any:
    try:
        return event.page if event is not None else None
    except RuntimeError:
        return None


class ReportForm:
    def __init__(self, state: ReportFormHost, *, on_done: Callable[..., Awaitable[None] | None] | None = None,
                 on_behalf: bool = False) -> None:
        self.state = state
        self.flow = ReportFlow(state, on_behalf=on_behalf)
        self.once = SingleFlight()  # a double tap on 提交 files one report
        self.on_done = on_done
        t, elderly = state.t, state.elderly
        s = sizes(elderly)
        self.picker: ft.FilePicker | None = None
        self.page_picker = PagePhotoPicker(state.page, state.photo_uploads)
        self.photos = ft.Row(wrap=True, spacing=8)
        self.photo_notes = ft.Column(spacing=4)  # files refused, each named
        self._finishing: set[asyncio.Task] = set()
        self._finishing_slots: set[PhotoSlot] = set()
        self._shown_percent: dict[PhotoSlot, int] = {}
        self.add_photo_button = button(t("report.add_photo"), self.pick_photos, elderly=elderly,
                                       icon=ft.Icons.ADD_A_PHOTO, identifier="add-photo")
        self.location_text = text(t("report.locating"), elderly, small=True, muted=True)
        self.address = text("", elderly)
        self.pin = fm.Marker(content=ft.Icon(ft.Icons.LOCATION_PIN, color=ft.Colors.RED_700, size=40),
                             coordinates=fm.MapLatitudeLongitude(0, 0), width=40, height=40,
                             alignment=ft.Alignment.TOP_CENTER, visible=False)
        self.grid_layer = fm.PolygonLayer(polygons=[])
        layers: list[fm.MapLayer] = []
        tiles = tile_url()  # CITYLOOP_TILE_URL (shared/config.py)
        if tiles:
            layers.append(fm.TileLayer(url_template=tiles))
        layers += [self.grid_layer, fm.MarkerLayer(markers=[self.pin])]
        # load() moves it to the city's grids, then to the pin; a reload redraws it where it last was.
        self.map = page_map(layers, None, 15, MAP_HEIGHT, on_tap=self.on_map_tap)
        self.landmark = field(t("report.landmark"), elderly, max_length=LANDMARK_MAX_LENGTH,
                              hint_text=t("report.landmark_hint"))
        self.description = field(t("report.description"), elderly, multiline=True, on_change=self.on_describe,
                                 max_length=MAX_DESCRIPTION)
        self.suggestions = ft.Row(wrap=True, spacing=6)
        self.category = text("", elderly)
        self.category_search = field(t("report.category_search"), elderly, on_change=self.on_search,
                                     prefix_icon=ft.Icons.SEARCH)
        self.search_results = ft.Column(spacing=2)
        self.problems = ft.Column(spacing=4)
        self.nearby = ft.Column(spacing=8, visible=False)
        self.resident_name = field(t("report.resident_name"), elderly, visible=on_behalf)
        self.resident_phone = field(t("report.resident_phone"), elderly, visible=on_behalf,
                                    keyboard_type=ft.KeyboardType.PHONE)
        self.submit_button = button(t("report.submit"), self.submit, elderly=elderly, icon=ft.Icons.SEND,
                                    identifier="submit-report")
        heading = lambda key, **kw: text(t(key, **kw), elderly, title=False, weight=ft.FontWeight.BOLD)  # noqa: E731
        self.root = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[
            *([text(t("report.on_behalf"), elderly, title=True), self.resident_name, self.resident_phone]
              if on_behalf else []),
            heading("report.photos", n=MAX_PHOTOS), self.photos, self.photo_notes, self.add_photo_button,
            heading("report.location"),
            ft.Semantics(identifier="report-map", content=ft.Container(
                with_zoom_buttons(self.map, t("map.zoom_in"), t("map.zoom_out")), border_radius=12,
                clip_behavior=ft.ClipBehavior.HARD_EDGE)),
            ft.Row([self.location_text, ft.TextButton(t("report.locate"), icon=ft.Icons.MY_LOCATION,
                                                      on_click=self.locate)], wrap=True),
            ft.Semantics(identifier="report-address", content=self.address),
            ft.Semantics(identifier="report-landmark", content=self.landmark),
            self.description,
            heading("report.category"),
            ft.Semantics(identifier="report-category", content=self.category),
            self.suggestions, self.category_search, self.search_results,
            ft.Semantics(identifier="report-problems", content=self.problems),
            self.nearby, self.submit_button,
        ])
        self._photo_bytes_shown = -1
        del s

    # --------------------------------------------------------- loading

    async def load(self) -> None:
        await asyncio.gather(self.flow.load_areas(), self.flow.prepare_suggestions())
        self.grid_layer.polygons = [
            fm.PolygonMarker(coordinates=[fm.MapLatitudeLongitude(lat, lon) for lon, lat in ring], label=name,
                             color=ft.Colors.with_opacity(0.12, BRAND), border_color=BRAND, border_stroke_width=1.5,
                             label_text_style=ft.TextStyle(font_family=FONT_FAMILY, size=11, color=ft.Colors.GREY_800))
            for name, ring in self.flow.grid_polygons()]
        centre = self.flow.city_centre()
        if centre:
            await self._move_map(*centre)
        self._update()
        await self.locate()

    async def locate(self, _e=None) -> None:
        self.location_text.value = self.state.t("report.locating")
        self._update()
        try:
            locator = fg.Geolocator()
            position = await locator.get_current_position()
            if position is None or position.latitude is None:
                raise RuntimeError("no position")
        except Exception as exc:  # noqa: BLE001 - denied, no device, timeout: the pin on the map still works
            log.warning("no device location: %r", exc)
            self.location_text.value = self.state.t("report.no_location")
            self._update()
            return
        await self.set_location(position.latitude, position.longitude)

    async def set_location(self, lat: float, lon: float) -> None:
        self.flow.set_location(lat, lon)
        self.pin.coordinates = fm.MapLatitudeLongitude(lat, lon)
        self.pin.visible = True
        self.location_text.value = self.state.t("report.map_hint")
        self.address.value = self.flow.address_shown() or self.state.t("report.outside")
        await self._move_map(lat, lon)
        self._update()

    async def _move_map(self, lat: float, lon: float) -> None:
        await move_map(self.map, lat, lon)  # the pin is right even where the map did not move

    async def on_map_tap(self, e: fm.MapTapEvent) -> None:
        await self.set_location(e.coordinates.latitude, e.coordinates.longitude)

    # --------------------------------------------------------- photos

    async def pick_photos(self, _e=None) -> None:
        # No bytes over the websocket (a 6.5 MB photo used to block the session, then went back whole
        # to be drawn): the browser PUTs each file to its own upload URL, the server reports its
        # progress, and the page shows the 320 px thumbnail made on the server.
        # On the web the page's own picker sends each file from disk (photo_picker.py); Flet's picker,
        # which first reads the whole file in the browser, only where that script is absent.
        if self.page_picker.page is None:  # a form built before it was on a page (the grid app's)
            self.page_picker.page = _page_of(_e)
        if await self.page_picker.available():
            await self.page_picker.pick(self.on_page_choice)
            return
        # A picker per choice, its handler given at construction (a service registers with the client
        # as it is made), so its events name only this choice's files. Flet reports progress by file
        # name and uploads one file after another: same-named files ("image.jpg") are told apart by order.
        waiting: dict[str, list[PhotoSlot]] = {}
        picker = self.picker = ft.FilePicker(on_upload=lambda e: self.on_upload(waiting, e))
        files = await picker.pick_files(allow_multiple=True, file_type=ft.FilePickerFileType.IMAGE) or []
        slots = self._choose([(f.name, f.size or 0) for f in files])
        uploads = []
        for f, slot in zip(files, slots):
            if slot is not None:
                waiting.setdefault(f.name, []).append(slot)
                uploads.append(ft.FilePickerUploadFile(upload_url=slot.upload_url, method="PUT", id=f.id))
        if uploads:
            await picker.upload(uploads)

    def on_page_choice(self, files: list[tuple[str, int]]) -> list[str | None]:
        """The page's picker announced a choice: each file's upload URL, or None (refused, named on the form)."""
        return [slot.upload_url if slot else None for slot in self._choose(files)]

    def _choose(self, files: list[tuple[str, int]]) -> list[PhotoSlot | None]:
        slots = self.flow.photos.choose(files, on_received=self._start_finish, on_progress=self._moved,
                                        on_failed=lambda _slot: self.show_photos())
        self.show_photos()
        return slots

    def on_upload(self, waiting: dict[str, list[PhotoSlot]], e: ft.FilePickerUploadEvent) -> None:
        slot = next((s for s in waiting.get(e.file_name, []) if s.stage == "uploading"), None)
        log.debug("upload event %s %s %s", e.file_name, e.progress, e.error)
        if slot is None:
            return
        self.flow.photos.progress(slot, e.progress, e.error)
        if slot.stage == "processing":
            self._start_finish(slot)
        else:
            self.show_photos()

    def _moved(self, slot: PhotoSlot) -> None:
        """The server received more of the file: redraw when the shown percent changes by 5 or more."""
        if slot.percent - self._shown_percent.get(slot, -100) >= 5:
            self._shown_percent[slot] = slot.percent
            self.show_photos()

    def _start_finish(self, slot: PhotoSlot) -> None:
        """The file is in (the server said so, or the browser): prepare it; once per photo."""
        if slot.token is None or slot in self._finishing_slots:
            return
        self._finishing_slots.add(slot)
        task = asyncio.get_running_loop().create_task(self.finish_photo(slot))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)
        self.show_photos()

    async def finish_photo(self, slot: PhotoSlot) -> None:
        try:
            await self.flow.photos.finish(slot, on_preview=lambda _slot: self.show_photos())
        finally:
            self._finishing_slots.discard(slot)
        self.show_photos()

    def show_photos(self) -> None:
        tray = self.flow.photos
        self.photos.controls = [self._photo_tile(i, slot) for i, slot in enumerate(tray.slots)]
        elderly = self.state.elderly
        self.photo_notes.controls = [
            ft.Semantics(identifier="photo-refusal", content=text(m, elderly, color=ft.Colors.RED_800))
            for m in tray.messages(self.state.locale)]
        self.add_photo_button.visible = tray.room > 0
        self._update([self.photos, self.photo_notes, self.add_photo_button])
        for slot in tray.slots:
            if slot.stage == "ready":
                tray.drawn(slot)

    def _photo_tile(self, index: int, slot: PhotoSlot) -> ft.Control:
        t, elderly = self.state.t, self.state.elderly
        edge = 128 if elderly else 96
        stage = slot.stage
        if slot.stage == "ready" and slot.photo is not None:
            face: ft.Control = ft.Image(src=slot.photo.thumbnail, width=edge, height=edge, fit=ft.BoxFit.COVER,
                                        border_radius=8)
        elif slot.preview is not None:  # the thumbnail while the full photo is prepared: a small ring on it
            stage = "preview"
            face = ft.Stack(width=edge, height=edge, controls=[
                ft.Image(src=slot.preview, width=edge, height=edge, fit=ft.BoxFit.COVER, border_radius=8),
                ft.Container(ft.ProgressRing(width=18, height=18, stroke_width=3, color=ft.Colors.WHITE),
                             left=6, bottom=6, padding=3, border_radius=12,
                             bgcolor=ft.Colors.with_opacity(0.55, ft.Colors.BLACK))])
        else:
            # The percent while the file travels, then "processing" while the server makes the thumbnail.
            uploading = slot.stage == "uploading"
            label = f"{slot.percent}%" if uploading else t("report.photo_processing")
            face = ft.Container(
                width=edge, height=edge, border_radius=8, bgcolor=ft.Colors.GREY_200,
                alignment=ft.Alignment.CENTER,
                content=ft.Column(tight=True, spacing=4, horizontal_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                    ft.ProgressRing(value=slot.progress if uploading else None, width=edge // 3,
                                    height=edge // 3, stroke_width=4 if elderly else 3, color=BRAND,
                                    bgcolor=ft.Colors.GREY_400),  # the track: a ring even at 0%
                    text(label, elderly, small=not uploading, weight=ft.FontWeight.BOLD)]))
        return ft.Semantics(identifier=f"photo-{index}-{stage}", content=ft.Stack(
            width=edge, height=edge, controls=[
                face,
                ft.IconButton(ft.Icons.CANCEL, icon_color=ft.Colors.RED_700, right=-6, top=-6,
                              icon_size=32 if elderly else 24, tooltip=t("report.remove_photo"),
                              on_click=lambda _e, i=index: self.remove_photo(i))]))

    def remove_photo(self, index: int) -> None:
        self.flow.remove_photo(index)
        self.show_photos()

    # --------------------------------------------------------- category

    def on_describe(self, _e=None) -> None:
        suggested = self.flow.describe(self.description.value or "")
        elderly = self.state.elderly
        self.suggestions.controls = [
            ft.Chip(label=ft.Text(self.state.t.pick(c.name_zh, c.name_en), size=sizes(elderly).small),
                    selected=c.code == self.flow.draft.category_code,
                    on_select=lambda _e, code=c.code: self.choose(code))
            for c in suggested]
        self.show_category(only=[self.suggestions, self.category])

    def on_search(self, _e=None) -> None:
        query = (self.category_search.value or "").strip()
        found = self.flow.search_categories(query) if query else []
        self.search_results.controls = [
            ft.ListTile(title=ft.Text(self.flow.category_name(c.code), size=sizes(self.state.elderly).small),
                        dense=not self.state.elderly, on_click=lambda _e, code=c.code: self.choose(code))
            for c in found]
        self._update()

    def choose(self, code: str) -> None:
        self.flow.choose_category(code)
        self.search_results.controls = []
        self.category_search.value = ""
        for chip in self.suggestions.controls:
            chip.selected = False
        self.show_category()

    def show_category(self, only: list[ft.Control] | None = None) -> None:
        name = self.flow.category_name()
        self.category.value = name or self.state.t("report.choose_category")
        self._update(only)

    # --------------------------------------------------------- sending

    async def submit(self, _e=None) -> None:
        await self.once.run(self._submit, ignored=None)

    async def _submit(self) -> None:
        self.flow.draft.description = self.description.value or ""
        self.flow.draft.landmark = self.landmark.value or ""
        self.flow.draft.resident_name = self.resident_name.value or ""
        self.flow.draft.resident_phone = self.resident_phone.value or ""
        self.submit_button.disabled = True
        self._update()
        try:
            if self._finishing:  # a photo between its thumbnail and ready: a moment's wait, not a refusal
                await asyncio.wait(set(self._finishing), timeout=30)
            outcome = await self.flow.submit()
        finally:
            self.submit_button.disabled = False
        await self._after(outcome)

    async def _after(self, outcome: str) -> None:
        self.problems.controls = [ft.Text(m, color=ft.Colors.RED_800, size=sizes(self.state.elderly).body)
                                  for m in self.flow.messages()] if outcome == "invalid" else []
        if outcome == "nearby":
            self.show_nearby()
        elif outcome in ("sent", "queued") and self.on_done:
            await _maybe_await(self.on_done(self.flow.filed, outcome))
        self._update()

    def show_nearby(self) -> None:
        t, elderly = self.state.t, self.state.elderly
        rows: list[ft.Control] = [text(t("report.nearby_title"), elderly, weight=ft.FontWeight.BOLD),
                                  text(t("report.nearby_body", n=len(self.flow.nearby)), elderly, small=True)]
        for case in self.flow.nearby[:3]:
            what = (f"{self.flow.category_name(case.category_code).split(' / ')[-1]} · "
                    f"{t('report.meters', m=round(case.distance_m))}")
            if case.mine:  # one's own case is opened, never followed
                action = button(t("report.open_yours"),
                                lambda _e, rid=case.id: self.state.page.run_task(self.state.open_case, rid),
                                elderly=elderly, primary=False, identifier=f"mine-{case.id}")
                what = f"{what} · {t('report.yours')}"
            else:
                action = button(t("report.follow"), lambda _e, rid=case.id: self.state.page.run_task(self.follow, rid),
                                elderly=elderly, identifier=f"follow-{case.id}")
            rows.append(ft.Row([text(what, elderly, small=True, expand=True), action], wrap=True))
        rows.append(button(t("report.new_anyway"), self.report_anyway, elderly=elderly, primary=False,
                           identifier="report-anyway"))
        self.nearby.controls = rows
        self.nearby.visible = True

    async def follow(self, report_id) -> None:
        if await self.flow.follow(report_id) and self.on_done:
            await _maybe_await(self.on_done(None, "followed"))

    async def report_anyway(self, _e=None) -> None:
        await self.once.run(self._report_anyway, ignored=None)

    async def _report_anyway(self) -> None:
        self.nearby.visible = False
        outcome = await self.flow.report_anyway()
        await self._after(outcome)

    def _update(self, only: list[ft.Control] | None = None) -> None:
        # While typing, update only the controls that changed: sending the whole form back
        # could race the text field's own value.
        for control in only or [self.root]:
            if _on_page(control):  # not on a page yet: the next page update shows it
                control.update()
