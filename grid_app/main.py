"""Wires the grid-worker app: theme, backend config, sign-in, then the shell; serves it on the web."""

from __future__ import annotations

import logging

import flet as ft

from shared.config import BackendConfig, app_port, load_backend_config, log_tile_setting
from shared.fonts import ASSETS_DIR
from shared.health import backend_answers
from shared.logs import configure_logging
from shared.media import MAX_BYTES
from shared.photo_uploads import OwnerUploads, PhotoUploads
from shared.web_serve import serve

from .notifier import PageNotifier
from .shell import Shell
from .state.app import AppState
from .theme import apply_theme
from .views.sign_in import SignInView


def make_main(config: BackendConfig, uploads: PhotoUploads | None = None):
    async def main(page: ft.Page) -> None:
        notifier = PageNotifier(page)
        app = AppState(config, prefs=ft.SharedPreferences(), client_ip=page.client_ip, notifier=notifier)
        app.photo_uploads = OwnerUploads(uploads) if uploads else None  # "report for a resident" photos
        page.title = app.t("app.title")
        page.padding = 0
        apply_theme(page)
        async def show_sign_in() -> None:
            view = SignInView(app, on_signed_in=show_shell)
            notifier.rebuild = show_sign_in
            page.controls = [ft.SafeArea(expand=True, content=view.root)]
            page.update()
            view.show_backend(await backend_answers(config))
            page.update()

        current: list[Shell] = []

        async def show_shell() -> None:
            shell = Shell(page, app, on_signed_out=show_sign_in)
            current[:] = [shell]

            async def redraw() -> None:  # a language switch rebuilds the frame in the new language
                await shell.stop()
                await show_shell()

            notifier.rebuild = redraw
            page.controls = [ft.SafeArea(expand=True, content=ft.Column(expand=True, spacing=0,
                                                                        controls=[notifier.progress, shell.root]))]
            page.update()
            await shell.start()

        async def closed(e) -> None:  # the browser tab is gone: stop the live channels and the queue loop
            if app.photo_uploads:
                app.photo_uploads.close()
            for shell in current:
                await shell.stop()
            await app.close()

        async def reconnected(e) -> None:
            # Flet re-attached this session to the same tab, but the browser side lost the services
            # made before: the old SharedPreferences would time out. A new one registers again.
            app.prefs = ft.SharedPreferences()

        page.on_close = closed  # the session is gone for good (a disconnect may still reconnect)
        page.on_connect = reconnected
        if await app.restore():  # the session kept in this browser: straight to the inbox
            page.title = app.t("app.title")
            await show_shell()
        else:
            await show_sign_in()

    return main


def run() -> None:
    configure_logging()
    log_tile_setting(logging.getLogger("grid_app"))
    uploads = PhotoUploads(max_bytes=MAX_BYTES)
    serve(make_main(load_backend_config(), uploads), host="127.0.0.1", port=app_port("grid_app"),
          assets_dir=str(ASSETS_DIR), uploads=uploads)
