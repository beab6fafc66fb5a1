"""The one screen contract of both apps: what a route's builder gives the shell.

    def build(host, params: dict[str, str]) -> Screen     # `async def` works too

`host` is the app's session state (its AppState); `params` the route's `:name` parts.
The shell shows `content`, awaits `show()` each time the screen is shown (load its data
there, not in the builder), calls `hide()` when it leaves, and asks `speak()` for the
read-aloud text. A screen object with a `.root` control hands those parts over with
`Screen(content=obj.root, show=obj.show, hide=obj.hide)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import flet as ft


@dataclass
class Screen:
    content: ft.Control
    title: str | None = None  # None: the route's title (Route.title_key)
    show: Callable[[], Awaitable[None]] | None = None  # awaited each time the screen is shown
    hide: Callable[[], None] | None = None  # called when another screen replaces it
    speak: Callable[[], str] | None = None  # the words of the read-aloud button
    show_back: bool = True  # the header's back arrow (sign-in pages have none)
    route: str | None = None  # the path it was built for, set by the router


def browser_gone(page: ft.Page) -> bool:
    """Whether the page's browser connection is closed, so a failed redraw is expected, not a bug.
    A session Flet has already destroyed raises on `page.session` (late work such as a message
    hiding itself after the tab's session expired): gone too."""
    try:
        return getattr(getattr(page, "session", None), "connection", None) is None
    except RuntimeError:
        return True
