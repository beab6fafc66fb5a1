"""Wires the resident app: one AppState and shell per browser session, routes rendered on change."""

from __future__ import annotations

import logging

import flet as ft

from shared.config import BackendConfig, app_port, load_backend_config, log_tile_setting
from shared.fonts import ASSETS_DIR
from shared.logs import configure_logging
from shared.media import MAX_BYTES
from shared.photo_uploads import OwnerUploads, PhotoUploads
from shared.web_serve import serve

from .app_state import AppState
from .shell import FletShell
from .theme import apply_theme

log = logging.getLogger(__name__)


def make_main(config: BackendConfig, uploads: PhotoUploads | None = None):
    async def main(page: ft.Page) -> None:
        page.title = "城市圈 · 市民端"
        page.padding = 0
        apply_theme(page)
        shell = FletShell(page)
        state = AppState(config, ft.SharedPreferences(), shell)
        state.page = page
        state.photo_uploads = OwnerUploads(uploads) if uploads else None
        shell.state = state

        async def on_route_change(_e) -> None:
            await shell.render()

        page.on_route_change = on_route_change
        wire_session(page, state, new_prefs=ft.SharedPreferences)
        await state.start()
        await shell.render()

    return main


def wire_session(page: ft.Page, state: AppState, new_prefs=None) -> None:
    """What the session does when its tab goes, comes back (Flet re-attaches the same session)
    and finally ends (Flet closes it a while after the tab went)."""

    async def on_close(_e) -> None:
        if state.photo_uploads:  # photos chosen but never sent: their files go now
            state.photo_uploads.close()
        await state.close()

    async def on_connect(_e) -> None:
        # The same tab came back (the form as it was), but the browser side lost the services
        # made before: a call to the old SharedPreferences would wait 10 s and fail. A new one
        # registers with the reconnected client.
        if new_prefs is not None:
            state.prefs = new_prefs()
        await state.browser_back()

    async def on_disconnect(_e) -> None:
        await state.browser_left()

    page.on_close = on_close
    page.on_connect = on_connect
    page.on_disconnect = on_disconnect


def run() -> None:
    configure_logging()
    log_tile_setting(log)
    # Photos come by HTTP to a private temporary folder, each at most the size a photo may have.
    uploads = PhotoUploads(max_bytes=MAX_BYTES)
    serve(make_main(load_backend_config(), uploads), host="127.0.0.1", port=app_port("citizen_app"),
          assets_dir=str(ASSETS_DIR), uploads=uploads)
