"""Wires the resident app: one AppState and shell per browser session, routes rendered on change."""

from __future__ import annotations

import logging

import flet as ft

from shared.config import BackendConfig, app_port, load_backend_config
from shared.fonts import ASSETS_DIR
from shared.logs import configure_logging

from .app_state import AppState
from .shell import FletShell
from .theme import apply_theme

log = logging.getLogger(__name__)


def make_main(config: BackendConfig):
    async def main(page: ft.Page) -> None:
        page.title = "城市圈 · 市民端"
        page.padding = 0
        apply_theme(page)
        shell = FletShell(page)
        state = AppState(config, ft.SharedPreferences(), shell)
        state.page = page
        shell.state = state

        async def on_route_change(_e) -> None:
            await shell.render()

        async def on_close(_e) -> None:
            await state.close()

        async def on_connect(_e) -> None:
            # The same tab came back (Flet re-attached this session, the form as it was), but the
            # browser side lost the services made before: a call to the old SharedPreferences
            # would wait 10 s and fail. A new one registers with the reconnected client.
            state.prefs = ft.SharedPreferences()

        page.on_route_change = on_route_change
        page.on_close = on_close
        page.on_connect = on_connect
        await state.start()
        await shell.render()

    return main


def run() -> None:
    configure_logging()
    ft.run(make_main(load_backend_config()), view=ft.AppView.WEB_BROWSER, host="127.0.0.1",
           port=app_port("citizen_app"), assets_dir=str(ASSETS_DIR), no_cdn=True)
