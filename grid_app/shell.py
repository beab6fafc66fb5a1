"""The signed-in frame: navigation rail (routes.DESTINATIONS), top bar with duty switch, SOS banner on top.

It draws the session-wide work: the Realtime events (tasks, SOS, notifications) of the
channels the state opens and owns (`AppState.start_live`), the sound, and the offline
queue's flush, whose loops run as the state's (released with it). Screens come from
grid_app/routes.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import flet as ft

from shared.commands import flush_forever
from shared.config import command_flush_seconds
from shared.ui import Screen, browser_gone

from . import routes
from .components.sos_banner import SosBanner
from .components.sound import Sound
from .state.alerts import AlertsState
from .state.app import AppState
from .state.case import send_action
from .state.inbox import InboxState, task_what_where
from .theme import MUTED, TARGET

log = logging.getLogger(__name__)
TICK_EVERY_S = 20  # the banner says minutes: a few updates a minute keep it right


@contextlib.contextmanager
def _browser_may_be_gone(page: ft.Page):
    """A live redraw whose browser went away meanwhile is dropped quietly; any other failure is a bug."""
    try:
        yield
    except (AttributeError, RuntimeError) as exc:
        if not browser_gone(page):
            log.exception("live redraw failed")
        else:  # Flet's connection closed under us
            log.info("not drawn, the browser is gone: %r", exc)


class Shell:
    def __init__(self, page: ft.Page, app: AppState, on_signed_out) -> None:
        self.page, self.app, self.on_signed_out = page, app, on_signed_out
        t = app.t
        self.inbox = InboxState(app)
        self.alerts = AlertsState(app)
        self.sound = Sound()
        self.screens: dict[str, Screen] = {}  # built once per frame, by route, and kept
        self.current: Screen | None = None
        self.current_path: str | None = None
        self.destinations = routes.destinations_for(app.role)
        self.rail = ft.NavigationRail(
            selected_index=0, label_type=ft.NavigationRailLabelType.ALL, min_width=88, group_alignment=-1.0,
            destinations=[ft.NavigationRailDestination(icon=d.icon, selected_icon=d.selected_icon, label=t(d.label_key))
                          for d in self.destinations],
            on_change=self._rail_changed)
        self.body = ft.Container(expand=True)
        # Only grid workers have a duty state; for others the switch (and its Semantics, which Flet
        # refuses to wrap around an invisible control) is left out of the bar.
        self.duty = ft.Switch(label=t("duty.switch"), value=bool(app.on_duty), on_change=self._duty_changed)
        phone = bool(page.width) and page.width < 600  # a phone: the top bar keeps only what must be there
        language = (ft.IconButton(ft.Icons.TRANSLATE, tooltip=t("lang.switch"), on_click=self._switch_language)
                    if phone else ft.TextButton(t("lang.switch"), on_click=self._switch_language, height=TARGET))
        self.who = ft.Text(f"{app.name} · {app.role_label()}", color=MUTED, size=14, visible=not phone)
        self.banner = SosBanner(app, self.alerts)
        top = ft.Container(
            padding=ft.Padding.symmetric(horizontal=8 if phone else 16, vertical=6), bgcolor=ft.Colors.INDIGO_50,
            content=ft.Row([
                ft.Semantics(identifier="app-title", content=ft.Text(t("app.title"), size=15 if phone else 20,
                                                                     weight=ft.FontWeight.BOLD)),
                ft.Container(expand=True),
                self.who,
                ft.Semantics(identifier="duty-switch", content=self.duty, visible=app.on_duty is not None),
                language,
                ft.IconButton(ft.Icons.LOGOUT, tooltip=t("signout"), on_click=self._sign_out),
            ], vertical_alignment=ft.CrossAxisAlignment.CENTER))
        frame = ft.Column(expand=True, spacing=0, controls=[
            top, self.banner.compact,
            ft.Row(expand=True, spacing=0, vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                   controls=[self.rail, ft.VerticalDivider(width=1), self.body])])
        # The SOS banner is drawn over everything (the Stack's last child) until acknowledged.
        self.root = ft.Stack(expand=True, controls=[frame, self.banner.full])
        app.page, app.inbox, app.alerts, app.sos_banner = page, self.inbox, self.alerts, self.banner
        self.inbox.on_new_task = self._new_task
        self.alerts.on_new_sos = self._new_sos
        self.alerts.on_new_notice = self._new_notice
        self.alerts.listeners.append(self._alerts_changed)
        self.stopped = False  # the tab closed or the person signed out: late Realtime events are dropped

    # ---------------------------------------------------------------- start

    async def start(self) -> None:
        # The address bar names the screen: a reload (or a shared link) opens the same one again.
        self.page.on_route_change = self._route_changed
        await self.go(self.page.route or self.destinations[0].route)
        await self.app.start_live(tasks=self._task_event, sos=self._sos_event, notices=self._notice_event)
        await self.alerts.load()
        await self.alerts.learn_callers()
        self._draw()
        self.app.live.spawn(self._flush_forever())
        self.app.live.spawn(self._tick_forever())  # keeps the SOS banner's "3分钟前" current

    async def stop(self) -> None:
        """This frame goes (sign-out, a language switch, the tab closed): its channels and loops too."""
        self.stopped = True
        await self.app.live.release()
        await self.sound.stop()

    # ---------------------------------------------------------------- navigation

    async def go(self, route: str) -> None:
        path = routes.ROUTER.resolve(route, signed_in=True, role=self.app.role)
        dest = routes.find(path, self.app.role)
        if self.current and self.current.hide:
            self.current.hide()
        if path not in self.screens:
            self.screens[path] = await routes.ROUTER.build(self.app, path, translate=self.app.t)
        screen = self.current = self.screens[path]
        self.current_path = path
        if self.page.route != path:
            await self.page.push_route(path)
        self.rail.selected_index = self.destinations.index(dest)
        self.body.content = screen.content
        self.page.update()
        if screen.show:
            await screen.show()
            self.page.update()

    async def _route_changed(self, e: ft.RouteChangeEvent) -> None:
        """The browser's back and forward buttons."""
        if not self.stopped and e.route != self.current_path:
            await self.go(e.route)

    async def _rail_changed(self, e: ft.ControlEvent) -> None:
        await self.go(self.destinations[self.rail.selected_index].route)

    # ---------------------------------------------------------------- top bar

    async def _duty_changed(self, e: ft.ControlEvent) -> None:
        wanted = bool(self.duty.value)
        done = await self.app.set_duty(wanted)
        if not done.ok:
            self.duty.value = not wanted
        self.page.update()

    async def _switch_language(self, e: ft.ControlEvent) -> None:
        self.app.switch_language()

    async def _sign_out(self, e: ft.ControlEvent) -> None:
        await self.stop()
        await self.app.sign_out()
        await self.on_signed_out()

    # ---------------------------------------------------------------- live events

    @property
    def connected(self) -> bool:
        """Whether the browser is there to draw on (Realtime keeps delivering while it reconnects)."""
        return not self.stopped and not browser_gone(self.page)

    def _draw(self) -> None:
        if self.connected:
            self.page.update()

    def _spawn(self, job) -> None:
        if self.connected:
            self.page.run_task(job)

    # Realtime delivers on its own schedule: the browser may have gone between the check and the
    # drawing (Flet then fails inside its send queue). The state is updated first, so nothing is lost.

    async def _task_event(self, task) -> None:
        if not self.stopped:
            with _browser_may_be_gone(self.page):
                await self.inbox.on_task_change(task)
                self._draw()

    async def _sos_event(self, alert) -> None:
        if not self.stopped:
            with _browser_may_be_gone(self.page):
                self.alerts.on_sos_change(alert)
                self._draw()
                await self.alerts.learn_callers()
                self._draw()

    async def _notice_event(self, notice) -> None:
        if not self.stopped:
            with _browser_may_be_gone(self.page):
                await self.alerts.context.learn([notice])  # what and where, before it is shown
                self.alerts.on_notification(notice)
                self._draw()

    def _new_task(self, task) -> None:
        if self.connected:
            self.app.say(self.app.t("inbox.new_task", what=task_what_where(self.app, task)))
        self._spawn(self.sound.ping)

    def _new_sos(self, alert) -> None:
        self._spawn(self.sound.alarm)

    def _new_notice(self, notice) -> None:
        if self.connected:
            self.app.say(self.alerts.describe(notice).line(self.app.t))

    def _alerts_changed(self) -> None:
        self.banner.refresh()
        if self.alerts.banner_alert() is None:
            self._spawn(self.sound.stop)

    # ---------------------------------------------------------------- offline queue

    async def _flush_forever(self) -> None:
        await flush_forever(self.flush, command_flush_seconds(), still=lambda: not self.stopped)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_EVERY_S)
            if self.connected:
                with _browser_may_be_gone(self.page):
                    self.banner.tick()

    async def flush(self) -> None:
        queue = self.app.queue
        if queue is None or not queue.pending():
            return
        result = await queue.flush(lambda command, photos: send_action(self.app, command, photos), self.app.t.locale)
        if result.sent or result.failed:
            if self.connected:
                await self.inbox.queue_flushed()  # the open case shows what was sent
            self._draw()
