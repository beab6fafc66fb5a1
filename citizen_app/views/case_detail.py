"""One case: status, photos before and after, map, full timeline, and the resident's actions
(rate when resolved, reopen within 7 days, answer a request for information; while open, add
information with photos, or withdraw with a reason). Inline, no pop-ups (elderly mode). Live."""

from __future__ import annotations

import flet as ft
import flet_map as fm

from shared.config import tile_url
from shared.fonts import FONT_FAMILY
from shared.status import Action, status_label
from shared.taxonomy import default_taxonomy
from shared.ui.map_panel import page_map, with_zoom_buttons
from shared.ui.timeline import case_timeline

from ..routes import Screen
from ..state.app import AppState
from ..state.cases import CaseDetail
from ..theme import BRAND, button, field, sizes, text
from .home import status_chip


class CaseDetailView:
    def __init__(self, state: AppState, report_id: str) -> None:
        self.state = state
        self.case = CaseDetail(state, report_id)
        self.body = ft.Column(spacing=12)
        self.root = ft.Semantics(identifier="case-detail", content=self.body)
        self.score = 0
        self.stars = ft.Row(spacing=0)
        self.comment = field(state.t("cases.rate_comment"), state.elderly, multiline=True)
        self.reason = field(state.t("cases.reopen_reason"), state.elderly, multiline=True)
        self.answer = field(state.t("cases.info_answer"), state.elderly, multiline=True)
        self.info_note = field(state.t("cases.add_info_note"), state.elderly, multiline=True)
        self.info_photos: list[bytes] = []
        self.info_count = text("", state.elderly, small=True, muted=True)
        self.withdraw_reason = field(state.t("cases.withdraw_reason"), state.elderly, multiline=True)
        self.confirming_withdraw = False

    async def load(self) -> None:
        if await self.case.load():
            self.show()

    def _photos(self, paths: list[str]) -> ft.Control:
        found = [self.case.photos[p] for p in paths if p in self.case.photos]
        return ft.Row(wrap=True, spacing=8, controls=[
            ft.Image(src=data, width=110, height=110, fit=ft.BoxFit.COVER, border_radius=8) for data in found])

    def _map(self) -> ft.Control:
        report = self.case.report
        point = fm.MapLatitudeLongitude(report.lat, report.lon)
        layers: list[fm.MapLayer] = []
        if tile_url():
            layers.append(fm.TileLayer(url_template=tile_url()))
        if self.case.grid:  # without tiles, the grid's outline says where the point is
            name, ring = self.case.grid
            layers.append(fm.PolygonLayer(polygons=[fm.PolygonMarker(
                coordinates=[fm.MapLatitudeLongitude(lat, lon) for lon, lat in ring], label=name,
                color=ft.Colors.with_opacity(0.12, BRAND), border_color=BRAND, border_stroke_width=1.5,
                label_text_style=ft.TextStyle(font_family=FONT_FAMILY, size=11, color=ft.Colors.GREY_800))]))
        layers.append(fm.MarkerLayer(markers=[fm.Marker(
            content=ft.Icon(ft.Icons.LOCATION_PIN, color=ft.Colors.RED_700, size=36), coordinates=point,
            width=36, height=36, alignment=ft.Alignment.TOP_CENTER)]))
        t = self.state.t
        return ft.Container(with_zoom_buttons(page_map(layers, point, 16, 160), t("map.zoom_in"), t("map.zoom_out")),
                            border_radius=12, clip_behavior=ft.ClipBehavior.HARD_EDGE)

    def show(self) -> None:
        t, elderly = self.state.t, self.state.elderly
        report = self.case.report
        category = default_taxonomy().get(report.category_code)
        name = t.pick(category.name_zh, category.name_en) if category else report.category_code
        controls: list[ft.Control] = [
            ft.Row([text(name, elderly, title=True, expand=True),
                    ft.Semantics(identifier="case-status", content=status_chip(self.state, report.status))]),
            text(report.description, elderly),
        ]
        place = self.state.place(report.address, report.landmark)
        if place:
            controls.append(ft.Semantics(identifier="case-place", content=text(place, elderly, small=True, muted=True)))
        if report.photos:
            controls += [text(t("cases.photos_before"), elderly, weight=ft.FontWeight.BOLD),
                         self._photos(report.photos)]
        if report.resolution_note:
            controls.append(text(t("cases.resolution", note=report.resolution_note), elderly))
        if report.resolution_photos:
            controls += [text(t("cases.photos_after"), elderly, weight=ft.FontWeight.BOLD),
                         self._photos(report.resolution_photos)]
        controls.append(self._map())
        controls += self._actions()
        controls += case_timeline(self.case.timeline(), t, title=t("cases.timeline"), elderly=elderly,
                                  place=self.state.place, photos=self._photos)
        self.body.controls = controls

    def _actions(self) -> list[ft.Control]:
        t, elderly = self.state.t, self.state.elderly
        offered = self.case.actions()
        out: list[ft.Control] = []
        if self.case.detail.rating is not None:
            out.append(ft.Semantics(identifier="rated", content=text(
                t("cases.rated", n=self.case.detail.rating.score), elderly, weight=ft.FontWeight.BOLD)))
        asked = self.case.info_request()
        if asked is not None and Action.ANSWER_INFO in offered:
            out += [text(t("cases.info_requested", note=asked), elderly, color=ft.Colors.ORANGE_900), self.answer,
                    button(t("cases.info_send"), self.send_answer, elderly=elderly, identifier="send-answer")]
        if Action.RATE in offered:
            self._draw_stars()
            out += [text(t("cases.rate"), elderly, weight=ft.FontWeight.BOLD),
                    ft.Semantics(identifier="stars", content=self.stars), self.comment,
                    button(t("cases.rate_send"), self.send_rating, elderly=elderly, identifier="send-rating")]
        if Action.REOPEN in offered:
            out += [self.reason, button(t("cases.reopen"), self.send_reopen, elderly=elderly, primary=False,
                                        identifier="reopen")]
        if Action.ADD_INFO in offered:
            self.info_count.value = t("cases.add_info_photos", n=len(self.info_photos)) if self.info_photos else ""
            out += [text(t("cases.add_info"), elderly, weight=ft.FontWeight.BOLD), self.info_note,
                    ft.Row([button(t("cases.add_info_photo"), self.pick_info_photos, elderly=elderly, primary=False,
                                   icon=ft.Icons.ADD_A_PHOTO, identifier="add-info-photo"), self.info_count],
                           wrap=True),
                    button(t("cases.add_info_send"), self.send_info, elderly=elderly, identifier="send-info")]
        if Action.WITHDRAW in offered:
            out += [self.withdraw_reason,
                    button(t("cases.withdraw_confirm" if self.confirming_withdraw else "cases.withdraw"),
                           self.send_withdraw, elderly=elderly, primary=False,
                           identifier="withdraw-confirm" if self.confirming_withdraw else "withdraw")]
        return out

    def _draw_stars(self) -> None:
        size = sizes(self.state.elderly).target
        self.stars.controls = [
            ft.Semantics(identifier=f"star-{n}", content=ft.IconButton(
                ft.Icons.STAR if n <= self.score else ft.Icons.STAR_BORDER, icon_color=ft.Colors.AMBER_800,
                icon_size=size - 16, width=size, height=size, tooltip=self.state.t("cases.stars", n=n),
                on_click=lambda _e, n=n: self.set_score(n)))
            for n in range(1, 6)]

    def set_score(self, n: int) -> None:
        self.score = n
        self._draw_stars()

    async def send_rating(self, _e=None) -> None:
        if await self.case.rate(self.score, self.comment.value or ""):
            self.state.shell.show_message(self.state.t("cases.done"))
            self.show()

    async def send_reopen(self, _e=None) -> None:
        if await self.case.reopen(self.reason.value or ""):
            self.state.shell.show_message(self.state.t("cases.sent_ok"))
            self.show()

    async def send_answer(self, _e=None) -> None:
        if await self.case.answer(self.answer.value or ""):
            self.state.shell.show_message(self.state.t("cases.sent_ok"))
            self.show()

    async def pick_info_photos(self, _e=None) -> None:
        files = await ft.FilePicker().pick_files(allow_multiple=True, with_data=True,
                                                 file_type=ft.FilePickerFileType.IMAGE)
        self.info_photos += [f.bytes for f in files or [] if f.bytes]
        self.show()

    async def send_info(self, _e=None) -> None:
        if await self.case.add_info(self.info_note.value or "", self.info_photos):
            self.info_note.value, self.info_photos = "", []
            self.state.shell.show_message(self.state.t("cases.sent_ok"))
            self.show()

    async def send_withdraw(self, _e=None) -> None:
        """Two steps, inline: the first press asks to confirm (withdrawing cannot be undone)."""
        if not self.confirming_withdraw:
            self.confirming_withdraw = bool((self.withdraw_reason.value or "").strip())
            if not self.confirming_withdraw:
                self.state.shell.show_message(self.state.t("cases.need_reason"), error=True)
            self.show()
            return
        self.confirming_withdraw = False
        if await self.case.withdraw(self.withdraw_reason.value or ""):
            self.state.shell.show_message(self.state.t("cases.withdrawn_ok"))
        self.show()

    def on_change(self, change) -> None:
        if self.case.apply(change):
            self.state.page.run_task(self.load)

    def speak(self) -> str:
        report = self.case.report
        if report is None:
            return ""
        steps = self.case.timeline().steps
        return "，".join([status_label(report.status, self.state.locale), report.description] +
                        ([f"{steps[-1].what} {steps[-1].when}"] if steps else []))


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = CaseDetailView(state, params["id"])
    state.report_listeners.append(view.on_change)
    return Screen(content=view.root, show=view.load, speak=view.speak,
                  hide=lambda: state.report_listeners.remove(view.on_change))
