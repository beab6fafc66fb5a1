"""The grid page as the app core's `Notifier` (shared/app_core.py): a thin progress bar on top,
snack bars for messages, and a rebuild of the current frame when the language changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft


class PageNotifier:
    def __init__(self, page: ft.Page) -> None:
        self.page = page
        self.progress = ft.ProgressBar(visible=False, height=3)
        self.screen: Any = None  # one frame for every screen: a call's error is always said
        self.rebuild: Callable[[], Awaitable[None]] | None = None  # set by main.py: sign-in or the shell

    def set_busy(self, text: str | None) -> None:
        self.progress.visible = text is not None
        self.page.update()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.page.show_dialog(ft.SnackBar(ft.Text(text), bgcolor=ft.Colors.RED_800 if error else None))

    def changed(self) -> None:
        if self.rebuild is not None:
            self.page.run_task(self.rebuild)

    def updated(self) -> None:
        self.page.update()
