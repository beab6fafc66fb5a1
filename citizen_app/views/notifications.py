"""Messages: the newest notifications; opening the screen marks them read."""

from __future__ import annotations

import flet as ft

from shared.timeline import format_when

from ..state.app import AppState
from ..routes import Screen
from ..theme import sizes, text
from .load_error import load_error

FOLLOWED_KIND = "followed_report_status"  # private.record_change's notice to followers


class NotificationsView:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.list = ft.Column(spacing=8)
        self.root = ft.Semantics(identifier="notifications", content=self.list)

    async def load(self) -> None:
        state, s = self.state, sizes(self.state.elderly)
        done = await state.run(lambda c: c.profile.notifications(limit=50), quiet=True)
        found = done.value
        if not done.ok:
            self.list.controls = [load_error(state, self.load, identifier="notifications-load-error")]
            state.shell.updated()
            return
        lang = "en" if state.locale == "en" else "zh"
        rows = []
        for n in found:
            target = notice_target(n)
            rows.append(ft.Container(
                padding=12, border_radius=12, ink=True,
                bgcolor=ft.Colors.TEAL_50 if n.read_at is None else None, border=ft.Border.all(1, ft.Colors.GREY_400),
                on_click=(lambda _e, to=target: state.page.run_task(state.shell.go, to)) if target else None,
                content=ft.Column([ft.Text(n.title(lang), size=s.body, weight=ft.FontWeight.W_600),
                                   ft.Text(format_when(n.created_at, state.locale), size=s.small,
                                           color=ft.Colors.GREY_800)], spacing=2)))
        self.list.controls = rows or [text(state.t("notifications.none"), state.elderly, muted=True)]
        state.shell.updated()
        if any(n.read_at is None for n in found):
            await state.mark_all_read()
            state.shell.updated()


def notice_target(notice) -> str | None:
    """Where a notice opens: a case I follow on its status-only screen, my own case in full."""
    if not notice.report_id:
        return None
    if notice.kind == FOLLOWED_KIND:
        return f"/followed/{notice.report_id}"
    return f"/cases/{notice.report_id}"


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = NotificationsView(state)
    return Screen(content=view.root, show=view.load)
