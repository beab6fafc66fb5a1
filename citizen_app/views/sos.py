"""SOS: one large control held for 3 s, a 5 s countdown with a big Cancel, then the live status.

Everything it decides is in citizen_app/state/sos.py and shared/sos_flow.py; this view
only draws the state and forwards gestures. The hold uses the long-press family of
gestures: `down` fires as the finger lands, `cancel` if it lifts (or slides away)
before Flutter recognises a long press, `end` when it lifts after one.
"""

from __future__ import annotations

import logging
from typing import Any

import flet as ft

from shared.sos_flow import EMERGENCY_LINKS, Fix, SosPhase

from ..state.app import AppState
from ..routes import HOME, Screen
from ..state.sos import ALWAYS_CALLED, SosState
from ..theme import MAIN_TEXT, sizes, text

log = logging.getLogger(__name__)

SOS_RED = ft.Colors.RED_800
# A picture for each step after the hold (the sentence under it says the same in words).
PHASE_ICONS: dict[SosPhase, tuple[ft.IconData, str]] = {
    SosPhase.SENDING: (ft.Icons.CELL_TOWER, ft.Colors.ORANGE_900),
    SosPhase.SENT: (ft.Icons.CAMPAIGN, ft.Colors.ORANGE_900),
    SosPhase.ACKNOWLEDGED: (ft.Icons.VERIFIED_USER, ft.Colors.GREEN_800),
    SosPhase.ON_THE_WAY: (ft.Icons.DIRECTIONS_RUN, ft.Colors.GREEN_800),
    SosPhase.RESOLVED: (ft.Icons.CHECK_CIRCLE, ft.Colors.GREEN_800),
    SosPhase.CANCELLED: (ft.Icons.CANCEL, ft.Colors.GREY_800),
    SosPhase.FAILED: (ft.Icons.WIFI_OFF, SOS_RED),
}
LOCATION_TIMEOUT_S = 10


def geolocator_locate(page: Any):
    """The device's location through flet-geolocator (the browser's on the web); None if it has none."""
    import flet_geolocator as ftg

    geolocator = ftg.Geolocator()  # a service: registers itself with the current page

    async def locate() -> Fix | None:
        try:
            position = await geolocator.get_current_position(ftg.GeolocatorConfiguration(
                accuracy=ftg.GeolocatorPositionAccuracy.HIGH, time_limit=ft.Duration(seconds=LOCATION_TIMEOUT_S)))
        except Exception as exc:  # denied, unavailable, timed out: try the last known one
            log.warning("no current position: %r", exc)
            try:
                position = await geolocator.get_last_known_position()
            except Exception as exc2:  # noqa: BLE001
                log.warning("no last known position: %r", exc2)
                return None
        if position is None or position.latitude is None or position.longitude is None:
            return None
        return Fix(float(position.latitude), float(position.longitude),
                   float(position.accuracy) if position.accuracy else None)

    return locate


class SosView:
    def __init__(self, state: AppState, sos: SosState) -> None:
        self.state, self.sos = state, sos
        sos.on_redraw = self.render
        t, elderly = state.t, state.elderly
        s = sizes(elderly)
        diameter = 260 if elderly else 230
        self.ring = ft.ProgressRing(value=0, stroke_width=14, width=diameter, height=diameter,
                                    color=ft.Colors.RED_900, bgcolor=ft.Colors.RED_100)
        self.face_text = ft.Text(t("sos.hold"), size=s.title, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE,
                                 text_align=ft.TextAlign.CENTER)
        face = ft.Container(
            width=diameter - 40, height=diameter - 40, border_radius=diameter, bgcolor=SOS_RED,
            alignment=ft.Alignment.CENTER,
            content=ft.Column([ft.Icon(ft.Icons.SOS, size=s.title + 34, color=ft.Colors.WHITE), self.face_text],
                              horizontal_alignment=ft.CrossAxisAlignment.CENTER, alignment=ft.MainAxisAlignment.CENTER,
                              spacing=4, tight=True))
        detector = ft.GestureDetector(
            content=ft.Stack([self.ring, ft.Container(face, width=diameter, height=diameter,
                                                      alignment=ft.Alignment.CENTER)],
                             width=diameter, height=diameter),
            on_long_press_down=self.on_down, on_long_press_cancel=self.on_up, on_long_press_end=self.on_up,
            mouse_cursor=ft.MouseCursor.CLICK)
        self.hold = ft.Semantics(identifier="sos-hold", label=t("sos.hold"), button=True, content=detector)
        self.hold_box = ft.Container(self.hold, alignment=ft.Alignment.CENTER)

        self.phase_icon = ft.Icon(ft.Icons.CAMPAIGN, size=96 if elderly else 80, visible=False)
        self.status = ft.Text("", size=s.title, weight=ft.FontWeight.BOLD, color=MAIN_TEXT,
                              text_align=ft.TextAlign.CENTER)
        self.detail = ft.Text("", size=s.body, color=MAIN_TEXT, text_align=ft.TextAlign.CENTER)
        self.progress = ft.ProgressBar(visible=False, color=SOS_RED)
        big = max(s.target, 72)
        self.cancel_button = self._button(t("sos.cancel"), self.on_cancel, "sos-cancel", height=big + 24,
                                          filled=True, color=ft.Colors.GREY_900)
        self.false_alarm = self._button(t("sos.false_alarm"), self.on_cancel, "sos-false-alarm", height=big)
        self.retry_button = self._button(t("sos.retry"), self.on_retry, "sos-retry", height=big, filled=True,
                                         color=SOS_RED)
        self.done_button = self._button(t("sos.done"), self.on_done, "sos-done", height=big, filled=True,
                                        color=ft.Colors.TEAL_800)
        self.call_title = text(t("sos.call"), elderly, title=True)
        # 110 / 120 and the family's numbers are on top in every state; the others when it failed.
        self.calls = ft.Column(spacing=10, controls=[
            self._button(sos.link_label(link), self._launcher(link.url), f"sos-call-{link.number}", height=big,
                         filled=True, color=ft.Colors.RED_900, icon=ft.Icons.SMS if link.url.startswith("sms:")
                         else ft.Icons.PHONE, data=link.url)
            for link in EMERGENCY_LINKS if link not in ALWAYS_CALLED])
        self.numbers = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.numbers_box = ft.Semantics(identifier="sos-numbers", content=self.numbers)
        self.steps_title = text(t("sos.steps"), elderly, title=True)
        self.steps = ft.Column(spacing=6)
        self.detail_box = ft.Semantics(identifier="sos-detail", content=self.detail)
        self.steps_box = ft.Semantics(identifier="sos-steps", content=self.steps)
        self.root = ft.Column(
            spacing=16, horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[self.numbers_box, self.hold_box, self.phase_icon, ft.Semantics(identifier="sos-status", content=self.status),
                      self.detail_box, self.progress,
                      self.cancel_button, self.retry_button, self.call_title, self.calls, self.false_alarm,
                      self.done_button, self.steps_title, self.steps_box])
        self.render()

    def _button(self, label: str, on_click, identifier: str, *, height: int, filled: bool = False,
                color: str = SOS_RED, icon: ft.IconData | None = None, data: Any = None) -> ft.Control:
        s = sizes(self.state.elderly)
        fg = ft.Colors.WHITE if filled else color
        # The words are a Text, not the button's text_style: that keeps the theme's Chinese font.
        words = ft.Text(label, size=s.title if height > s.target else s.body, weight=ft.FontWeight.BOLD, color=fg)
        style = ft.ButtonStyle(shape=ft.RoundedRectangleBorder(radius=14), bgcolor=color if filled else None,
                               color=fg, side=None if filled else ft.BorderSide(2, color))
        cls = ft.FilledButton if filled else ft.OutlinedButton
        control = cls(content=words, icon=icon, on_click=on_click, height=height, width=float("inf"), style=style,
                      data=data)
        return ft.Semantics(identifier=identifier, content=control)

    def _phone_button(self, label: str, url: str, identifier: str, *, expand: bool = False) -> ft.Control:
        """A tel: link as a large tile; its words wrap at spaces, never inside a word or a number."""
        s = sizes(self.state.elderly)
        tile = ft.FilledButton(
            content=ft.Row([ft.Icon(ft.Icons.PHONE, color=ft.Colors.WHITE, size=s.body + 4),
                            ft.Text(label, size=s.body, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE,
                                    expand=True)], spacing=8, tight=True),
            on_click=self._launcher(url), data=url, width=float("inf"),
            style=ft.ButtonStyle(bgcolor=ft.Colors.RED_900, color=ft.Colors.WHITE,
                                 shape=ft.RoundedRectangleBorder(radius=14),
                                 padding=ft.Padding.symmetric(horizontal=12, vertical=(s.target - s.body * 1.2) / 2 + 4)))
        return ft.Semantics(identifier=identifier, content=tile, expand=expand)

    def _draw_numbers(self) -> None:
        always = ft.Row(spacing=8, controls=[self._phone_button(self.sos.link_label(link), link.url,
                                                        f"sos-call-{link.number}", expand=True)
                                             for link in ALWAYS_CALLED])
        family = [self._phone_button(self.sos.family_label(n), n.url, f"sos-family-{i}")
                  for i, n in enumerate(self.sos.family())]
        self.numbers.controls = [always, *family]

    def _launcher(self, url: str):
        async def launch(_e=None) -> None:
            try:
                await ft.UrlLauncher().launch_url(url)
            except Exception as exc:  # noqa: BLE001 - no dialer on this device: the number is on the button
                log.warning("could not open %s: %r", url, exc)
        return launch

    # ------------------------------------------------------------ gestures and buttons

    def on_down(self, _e=None) -> None:
        self.sos.press()

    def on_up(self, _e=None) -> None:
        self.sos.release()

    async def on_cancel(self, _e=None) -> None:
        await self.sos.cancel()

    async def on_retry(self, _e=None) -> None:
        await self.sos.retry()

    async def on_done(self, _e=None) -> None:
        if await self.sos.done():
            await self.state.shell.go(HOME)

    # ------------------------------------------------------------ drawing

    def render(self) -> None:
        sos, t = self.sos, self.state.t
        phase = sos.phase
        local = phase in (SosPhase.IDLE, SosPhase.HOLDING, SosPhase.COUNTDOWN)
        self.hold_box.visible = local
        filled = 1.0 if phase is SosPhase.COUNTDOWN else 0.0
        self.ring.value = sos.hold_progress if phase is SosPhase.HOLDING else filled
        self.face_text.value = str(sos.countdown_left) if phase is SosPhase.COUNTDOWN else t("sos.hold")
        self.face_text.size = sizes(self.state.elderly).title * (3 if phase is SosPhase.COUNTDOWN else 1)
        icon = PHASE_ICONS.get(phase)
        self.phase_icon.visible = icon is not None
        if icon is not None:
            self.phase_icon.icon, self.phase_icon.color = icon
        self.status.value = sos.status_text()
        detail = sos.detail_text()
        self.detail.value, self.detail_box.visible = detail or "", bool(detail)
        self.progress.visible = sos.busy
        self.cancel_button.visible = phase is SosPhase.COUNTDOWN
        self.retry_button.visible = phase is SosPhase.FAILED
        self._draw_numbers()
        links = {link.url for link in sos.emergency_links if link not in ALWAYS_CALLED}
        self.call_title.visible = bool(links)
        for button in self.calls.controls:
            button.visible = button.content.data in links
        self.calls.visible = bool(links)
        self.false_alarm.visible = phase in (SosPhase.SENT, SosPhase.ACKNOWLEDGED, SosPhase.ON_THE_WAY)
        self.false_alarm.content.disabled = sos.busy
        self.done_button.visible = phase in (SosPhase.RESOLVED, SosPhase.CANCELLED, SosPhase.FAILED)
        self.done_button.content.content.value = t("app.close" if phase is SosPhase.FAILED else "sos.done")
        steps = sos.steps()
        self.steps_title.visible = self.steps_box.visible = bool(steps)
        self.steps.controls = [ft.Row([text(step.label, self.state.elderly, expand=True),
                                       text(step.at, self.state.elderly, muted=True)]) for step in steps]
        self.state.shell.updated()


def build(state: AppState, params: dict[str, str]) -> Screen:
    sos = SosState.of(state, lambda: geolocator_locate(state.page))
    view = SosView(state, sos)
    return Screen(content=view.root, show=sos.start, hide=sos.detach, speak=sos.speak)
