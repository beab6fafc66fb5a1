"""The page side of the app: one view per route, progress bar, message banner, app bar.

Messages are an inline banner, not a pop-up (the elderly mode has no pop-ups, and one
way for everyone keeps the tests simple); it hides by itself only in normal mode.
In the elderly mode the header's icons are main targets (60 px and more) and the screen's
title moves from the bar into the page, where it has the full width to wrap at word
boundaries (a 390 px phone has no room beside three 60 px icons).
"""

from __future__ import annotations

import asyncio
import logging
import time

import flet as ft

from shared.ui import browser_gone

from .state.app import AppState
from .read_aloud import ReadAloud
from .routes import HOME, Screen, build_screen, guard, router
from .speech import default_speech
from .theme import MAIN_TEXT, apply_theme, sizes, text

log = logging.getLogger(__name__)


class FletShell:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.state: AppState | None = None
        self.screen: Screen | None = None
        self.progress = ft.ProgressBar(visible=False)
        self.busy_text = ft.Text("", visible=False, size=14)
        self.message_text = ft.Text("", color=MAIN_TEXT)
        self.banner = ft.Container(visible=False, padding=12, border_radius=8,
                                   margin=ft.Margin.symmetric(horizontal=8, vertical=4))
        self.bell_icon = ft.Icon(ft.Icons.NOTIFICATIONS_OUTLINED)
        self.bell = ft.IconButton(self.bell_icon, on_click=self._open_notifications)
        self.read_aloud = ReadAloud(web=bool(page.web), speech=default_speech())
        self._message_task: asyncio.Task | None = None
        self._rendering = asyncio.Lock()
        self._message_at = 0.0
        self._message_error = False

    # ------------------------------------------------------------ Shell protocol

    def set_busy(self, text: str | None) -> None:
        self.busy_text.size = sizes(self.state.elderly).small if self.state else 14
        self.progress.visible = text is not None
        self.busy_text.visible = text is not None
        self.busy_text.value = text or ""
        self._update()

    def show_message(self, text: str, *, error: bool = False) -> None:
        elderly = bool(self.state and self.state.elderly)
        self.message_text.value = text
        self.message_text.size = sizes(elderly).body
        self.banner.bgcolor = ft.Colors.RED_50 if error else ft.Colors.GREEN_50
        self.banner.border = ft.Border.all(2, ft.Colors.RED_700 if error else ft.Colors.GREEN_700)
        self.banner.visible = True
        self._message_at, self._message_error = time.monotonic(), error
        self._update()
        if self._message_task:
            self._message_task.cancel()
        if not elderly:  # elderly mode: the message stays until closed or replaced
            self._message_task = asyncio.get_running_loop().create_task(self._hide_later(8))

    async def _hide_later(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.banner.visible = False
        self._update()

    async def go(self, route: str) -> None:
        if self.page.route == route:
            await self.render()
        else:
            await self.page.push_route(route)

    def changed(self) -> None:
        self.page.run_task(self.render)

    def updated(self) -> None:
        self._refresh_bell()
        self._update()

    def _update(self) -> None:
        try:
            self.page.update()
        except Exception as exc:  # noqa: BLE001 - a redraw must not stop the flow that asked for it
            if browser_gone(self.page):
                log.debug("not drawn, the browser is gone: %r", exc)
            else:
                log.exception("page update failed")

    # ------------------------------------------------------------ rendering

    def _refresh_bell(self) -> None:
        count = len(self.state.unread) if self.state else 0
        # On the icon, not the button: the badge then sits inside the button's box (never clipped
        # by the bar's edge, never over the next icon).
        self.bell_icon.badge = ft.Badge(label=str(count)) if count else None
        self.bell.tooltip = self.state.t("home.unread", n=count) if self.state else None

    async def _open_notifications(self, _e=None) -> None:
        await self.go("/notifications")

    def _close_banner(self, _e=None) -> None:
        self.banner.visible = False

    async def _read_aloud(self, _e=None) -> None:
        # Awaited here, in the tap's handler: the browser is asked to play while the tap still counts.
        if not await self.read_aloud.tap(self._page_words(), self.state.locale):
            self.show_message(self.state.t("app.no_tts"))

    def _page_words(self) -> str:
        return self.screen.speak() if self.screen and self.screen.speak else (self.screen.title or "")

    def _header_button(self, icon: ft.IconData | ft.IconButton, on_click, tooltip: str | None,
                       identifier: str) -> ft.Control:
        """A header icon a main target in size (60 px and more in the elderly mode)."""
        s = sizes(self.state.elderly)
        button = icon if isinstance(icon, ft.IconButton) else ft.IconButton(icon, on_click=on_click)
        button.tooltip, button.icon_size = tooltip, s.title
        button.width = button.height = s.target
        return ft.Semantics(identifier=identifier, content=button)

    def leave(self) -> None:
        """The screen shown goes (another replaces it, or the tab closed): it lets go of what it holds,
        once. It stays `self.screen` until the next is built (a late call's error still finds it)."""
        screen = self.screen
        if screen and screen.hide:
            hide, screen.hide = screen.hide, None
            hide()

    async def render(self) -> None:
        state = self.state
        path = guard(self.page.route or HOME, state.signed_in)
        if path != (self.page.route or HOME):
            # Through the browser, so its address (and a later push of the first route) stays in step.
            await self.page.push_route(path)
            return
        async with self._rendering:
            self.leave()
            apply_theme(self.page, state.elderly)
            # A message said just before navigating ("sent") stays; an error belongs to its screen.
            if self._message_error or time.monotonic() - self._message_at > 2:
                self.banner.visible = False
            screen = await build_screen(state, path)
            self.screen = screen
            s = sizes(state.elderly)
            self.banner.content = ft.Row([ft.Semantics(identifier="message", content=self.message_text, expand=True),
                                          ft.IconButton(ft.Icons.CLOSE, on_click=self._close_banner,
                                                        tooltip=state.t("app.close"))])
            self.message_text.expand = True
            self._refresh_bell()
            actions: list[ft.Control] = []
            if state.signed_in:
                actions.append(self._header_button(self.bell, None, self.bell.tooltip, "bell"))
            if state.elderly and self.read_aloud.available:  # hidden where no speech can be made
                actions.append(self._header_button(ft.Icons.VOLUME_UP, self._read_aloud, state.t("app.read_aloud"),
                                                   "read-aloud"))
            back = None
            if screen.show_back and path != HOME and state.signed_in:
                target = router().back(path)
                back = self._header_button(ft.Icons.ARROW_BACK, lambda _e, to=target: self.page.run_task(self.go, to),
                                           state.t("app.back"), "back")
            appbar = heading = None
            if screen.title:
                title = None if state.elderly else ft.Text(screen.title, size=s.title, weight=ft.FontWeight.BOLD,
                                                           max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
                appbar = ft.AppBar(title=title, leading=back, leading_width=s.target + 8 if back else None,
                                   actions=[ft.Row(actions, spacing=4, tight=True), ft.Container(width=8)],
                                   toolbar_height=max(56, s.target + 12), bgcolor=ft.Colors.TEAL_50)
                if state.elderly and path != HOME:  # home: the app's name only; its room goes to the actions
                    heading = ft.Semantics(identifier="screen-title", header=True,
                                           content=text(screen.title, state.elderly, title=True))
            body = [heading, screen.content] if heading else [screen.content]
            view = ft.View(route=path, appbar=appbar, padding=0, scroll=ft.ScrollMode.AUTO,
                           controls=[self.progress, self.busy_text, self.banner,
                                     ft.Container(content=ft.Column(body, spacing=8),
                                                  padding=ft.Padding.symmetric(horizontal=16, vertical=8))])
            self.page.views.clear()
            self.page.views.append(view)
            self._update()
        if screen.show:
            try:
                await screen.show()
            finally:
                self._update()
        if state.elderly and self.read_aloud.available and screen is self.screen:
            await self.read_aloud.prepare(self._page_words(), state.locale)
