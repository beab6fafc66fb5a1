"""Wires the resident app: theme, backend config, the placeholder view; serves it on the web."""

from __future__ import annotations

import flet as ft

from shared.config import BackendConfig, app_port, load_backend_config
from shared.fonts import ASSETS_DIR
from shared.health import backend_answers

from .theme import apply_theme
from .views.placeholder import TITLE, PlaceholderView


def make_main(config: BackendConfig):
    async def main(page: ft.Page) -> None:
        page.title = TITLE
        page.padding = 0
        apply_theme(page)
        view = PlaceholderView()
        page.add(view.root)
        view.show_backend(await backend_answers(config))
        page.update()

    return main


def run() -> None:
    ft.run(make_main(load_backend_config()), view=ft.AppView.WEB_BROWSER, host="127.0.0.1",
           port=app_port("citizen_app"), assets_dir=str(ASSETS_DIR), no_cdn=True)
