"""A case I follow (someone else's report): category, status and its steps, a rough place.

No description, photos, exact address or people: following gives status, not the case
(citizen_app/state/followed.py). My own cases open in case_detail.py instead.
"""

from __future__ import annotations

import flet as ft

from shared.status import status_label
from shared.taxonomy import default_taxonomy

from ..app_state import AppState
from ..routes import Screen
from ..state.followed import FollowedCase
from ..theme import BRAND, sizes, text
from .home import status_chip


class FollowedCaseView:
    def __init__(self, state: AppState, report_id: str) -> None:
        self.state = state
        self.followed = FollowedCase(state, report_id)
        self.body = ft.Column(spacing=12)
        self.root = ft.Semantics(identifier="followed-case", content=self.body)

    async def load(self) -> None:
        if await self.followed.load():
            self.show()

    def show(self) -> None:
        t, elderly, s = self.state.t, self.state.elderly, sizes(self.state.elderly)
        case = self.followed.case
        category = default_taxonomy().get(case.category_code)
        name = t.pick(category.name_zh, category.name_en) if category else case.category_code
        lat, lon = self.followed.place()
        steps = [ft.Semantics(identifier=f"followed-step-{i}", content=ft.Container(
            padding=ft.Padding.only(left=12, top=6, bottom=6), border=ft.Border.only(left=ft.BorderSide(3, BRAND)),
            content=ft.Row([ft.Text(step.what, size=s.body, weight=ft.FontWeight.BOLD, expand=True),
                            ft.Text(step.when, size=s.small, color=ft.Colors.GREY_800)])))
            for i, step in enumerate(self.followed.steps())]
        self.body.controls = [
            text(t("followed.badge"), elderly, small=True, color=BRAND, weight=ft.FontWeight.BOLD),
            ft.Row([text(name, elderly, title=True, expand=True),
                    ft.Semantics(identifier="case-status", content=status_chip(self.state, case.status))]),
            text(t("followed.note"), elderly, small=True, muted=True),
            ft.Semantics(identifier="followed-place", content=text(
                t("followed.where", place=self.followed.area() or f"{lat:.3f}, {lon:.3f}"), elderly, small=True)),
            text(t("cases.timeline"), elderly, title=True),
            ft.Semantics(identifier="followed-steps", content=ft.Column(steps, spacing=4)),
        ]

    def speak(self) -> str:
        case = self.followed.case
        if case is None:
            return ""
        steps = self.followed.steps()
        return "，".join([self.state.t("followed.badge"), status_label(case.status, self.state.locale)] +
                        ([f"{steps[-1].what} {steps[-1].when}"] if steps else []))


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = FollowedCaseView(state, params["id"])
    return Screen(content=view.root, load=view.load, speak=view.speak)
