"""The page's own photo picker (assets/web/photo-picker.js), opened from Python through localStorage.

Flet's web FilePicker reads a whole chosen file into Dart before it uploads it: seconds for a
6.5 MB phone photo. The page's script instead opens a native file input and PUTs each `File`
straight from disk to its upload URL. Flet 1.0 cannot run JavaScript, but its SharedPreferences
is the browser's localStorage on the web: the script marks the page (`READY_KEY`) and opens the
chooser when the session writes a request (`PICK_KEY`), within the tap's user activation. The
chosen names and sizes come back on a one-time URL (shared/photo_uploads.py `expect_choice`),
and the session's `on_choice` judges them. Where the script is absent (a packaged app, another
page) `available()` is False and the caller keeps Flet's FilePicker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import flet as ft

from shared.photo_uploads import ChosenFile, OwnerUploads

log = logging.getLogger(__name__)
READY_KEY = "cityloop.photo_picker"  # written by the page's script at load
PICK_KEY = "cityloop.photo_pick"  # a request: {"choice": the one-time URL of the choice}
SCRIPT_VERSION = "1"


class PagePhotoPicker:
    def __init__(self, page: Any, uploads: OwnerUploads | None,
                 prefs: Callable[[], Any] = ft.SharedPreferences) -> None:
        self.page = page
        self.uploads = uploads
        # A new service per call: one made before a reconnect would wait for an answer that never comes.
        self.prefs = prefs
        self._available: bool | None = None

    async def available(self) -> bool:
        """Whether this page runs the script (asked once: a web page keeps its script)."""
        if self._available is None:
            self._available = False
            if self.uploads is not None and getattr(self.page, "web", False):
                try:
                    self._available = await self.prefs().get(READY_KEY) == SCRIPT_VERSION
                except Exception:  # noqa: BLE001 - no answer from the page: Flet's picker still works
                    log.warning("could not ask the page for its photo picker", exc_info=True)
        return self._available

    async def pick(self, on_choice: Callable[[list[ChosenFile]], list[str | None]]) -> None:
        """Open the chooser; `on_choice(files)` is called when the person has chosen (not if they cancel)."""
        assert self.uploads is not None
        url = self.uploads.expect_choice(on_choice)
        await self.prefs().set(PICK_KEY, json.dumps({"choice": url}))
