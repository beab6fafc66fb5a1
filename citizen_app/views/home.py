"""Home: the three big actions, my open cases with status chips, unread messages, elderly switch.

Elderly mode shows only the three actions and my latest case, and a text size picker
(three steps, citizen_app/theme.py TEXT_STEPS).
"""

from __future__ import annotations

import flet as ft


from shared.case_number import case_label
from shared.models import ReportPublic
from shared.status import OPEN_STATUSES, status_label
from shared.taxonomy import default_taxonomy

from ..state.app import AppState
from ..routes import Screen
from ..theme import (DEFAULT_STEP, MUTED_TEXT, TAB_TEXT_MAX, TEXT_STEPS, big_action_button, sizes, switch,
                     tab_style, text)
from .load_error import load_error


def status_chip(state: AppState, status) -> ft.Control:
    s = sizes(state.elderly)
    open_ = status in OPEN_STATUSES
    return ft.Container(
        content=ft.Text(status_label(status, state.locale), size=s.small, weight=ft.FontWeight.W_600,
                        color=ft.Colors.WHITE),
        bgcolor=ft.Colors.ORANGE_900 if open_ else ft.Colors.GREEN_800, border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4))


def case_tile(state: AppState, report: ReportPublic, *, identifier: str | None = None) -> ft.Control:
    s = sizes(state.elderly)
    category = default_taxonomy().get(report.category_code)
    name = state.t.pick(category.name_zh, category.name_en) if category else report.category_code
    tile = ft.Container(
        on_click=lambda _e: state.page.run_task(state.shell.go, f"/cases/{report.id}"),
        padding=12, border=ft.Border.all(1, ft.Colors.GREY_400), border_radius=12, ink=True,
        content=ft.Column(spacing=4, controls=[
            ft.Row([ft.Text(name, size=s.body, weight=ft.FontWeight.BOLD, expand=True), status_chip(state, report.status)]),
            ft.Text(report.description.splitlines()[0][:60], size=s.small, color=MUTED_TEXT),
            ft.Text(case_label(report), size=s.small, color=MUTED_TEXT),
            *place_line(state, report),
        ]))
    return ft.Semantics(identifier=identifier or f"case-{report.id}", content=tile, button=True)


def place_line(state: AppState, report: ReportPublic) -> list[ft.Control]:
    """The case's place in the person's language, whole (wrapped, never cut); nothing when it has none."""
    place = state.place(report.address, report.landmark)
    # Plain text: a Semantics of its own inside the tile would take the tile's id off the case button.
    return [ft.Text(place, size=sizes(state.elderly).small, color=MUTED_TEXT)] if place else []


class HomeView:
    def __init__(self, state: AppState) -> None:
        self.state = state
        t, elderly = state.t, state.elderly
        go = lambda route: (lambda _e: state.page.run_task(state.shell.go, route))  # noqa: E731
        self.cases = ft.Column(spacing=8)
        self.outbox_note = ft.Text("", visible=False, size=sizes(elderly).small, color=ft.Colors.ORANGE_900)
        self.unread = ft.TextButton("", visible=False, on_click=go("/notifications"))
        elderly_row, self.elderly_switch = switch(t("home.elderly_on" if elderly else "home.elderly"), elderly,
                                                  self.toggle_elderly, elderly=elderly)
        actions = [
            big_action_button(t("home.report"), ft.Icons.PHOTO_CAMERA, go("/report"), elderly=elderly,
                              identifier="action-report", subtitle=None if elderly else t("home.report_sub")),
            big_action_button(t("home.pay"), ft.Icons.PAYMENTS, go("/pay"), elderly=elderly,
                              color=ft.Colors.BLUE_800, identifier="action-pay",
                              subtitle=None if elderly else t("home.pay_sub")),
            big_action_button(t("home.sos"), ft.Icons.SOS, go("/sos"), elderly=elderly, color=ft.Colors.RED_800,
                              identifier="action-sos", subtitle=None if elderly else t("home.sos_sub")),
        ]
        header = ft.Row([ft.Semantics(identifier="home-cases-title", expand=True, content=text(
                             t("home.latest_case" if elderly else "home.open_cases"), elderly, title=True)),
                         ft.Semantics(identifier="all-cases", content=ft.TextButton(
                             t("home.all_cases"), on_click=go("/cases"), height=sizes(elderly).target))])
        s = sizes(elderly)
        me = ft.IconButton(ft.Icons.PERSON, tooltip=t("home.settings"), on_click=go("/profile"),
                           icon_size=s.title, width=s.target, height=s.target)
        tools = ft.Row([ft.Semantics(identifier="elderly-switch", content=elderly_row, expand=True),
                        ft.Semantics(identifier="me", content=me)])
        # Each choice in its own size, so the person sees what they pick.
        self.text_size = ft.SegmentedButton(
            selected=[str(state.text_step)], on_change=self.choose_text_size, allow_multiple_selection=False,
            show_selected_icon=False, style=tab_style(elderly, TAB_TEXT_MAX),
            segments=[ft.Segment(value=str(step), label=ft.Text(t(f"home.text_size_{step}"), no_wrap=True,
                                                                size=min(TEXT_STEPS[step].body, TAB_TEXT_MAX)))
                      for step in TEXT_STEPS])
        # One line where it fits (the cases below stay in view), the picker under its name where not.
        size_row = [ft.Row([text(t("home.text_size"), elderly, weight=ft.FontWeight.BOLD),
                            ft.Semantics(identifier="text-size", content=self.text_size)],
                           wrap=True, spacing=12, run_spacing=8,
                           vertical_alignment=ft.CrossAxisAlignment.CENTER)] if elderly else []
        self.root = ft.Column(spacing=14, controls=[
            tools, *size_row, *actions, self.unread, self.outbox_note, header, self.cases])

    async def toggle_elderly(self, e) -> None:
        await self.state.set_elderly(bool(self.elderly_switch.value))

    async def choose_text_size(self, _e=None) -> None:
        await self.state.set_text_step(int((self.text_size.selected or [DEFAULT_STEP])[0]))

    def show(self, reports: list[ReportPublic] | None) -> None:
        """`None`: the cases could not be loaded (said so, with a retry), not "no cases"."""
        t = self.state.t
        open_cases = [r for r in reports or [] if r.status in OPEN_STATUSES]
        shown = (reports or [])[:1] if self.state.elderly else open_cases[:5]
        if reports is None:
            self.cases.controls = [load_error(self.state, self.reload, identifier="home-load-error")]
        else:
            self.cases.controls = [case_tile(self.state, r) for r in shown] or [
                text(t("home.no_cases"), self.state.elderly, muted=True)]
        count = len(self.state.unread)
        self.unread.content = t("home.unread", n=count)
        self.unread.visible = bool(count) and not self.state.elderly
        box = self.state.outbox
        waiting = len(box.waiting_reports()) if box else 0
        self.outbox_note.value = t("home.outbox", n=waiting)
        self.outbox_note.visible = bool(waiting)

    async def load(self) -> None:
        await self.state.load_areas()
        await self.state.refresh_unread()
        self.show((await self.state.run(lambda c: c.reports.my_reports(limit=20), busy=None, quiet=True)).value)

    async def reload(self) -> None:
        await self.load()
        self.state.shell.updated()

    def speak(self) -> str:
        t = self.state.t
        return "，".join([t("home.report"), t("home.pay"), t("home.sos")] +
                        [c.content.content.controls[0].controls[0].value for c in self.cases.controls
                         if isinstance(c, ft.Semantics)])


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = HomeView(state)
    listener = lambda _change: state.page.run_task(view.load)  # noqa: E731
    state.report_listeners.append(listener)
    return Screen(content=view.root, title=state.t("app.title"), show=view.load, speak=view.speak,
                  hide=lambda: state.report_listeners.remove(listener))
