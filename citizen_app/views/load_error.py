"""What a list shows when it could not be loaded: "can't load, retry", never "nothing here".

An empty answer and no answer are different things: a resident told "暂无上报" while the
server is unreachable believes their reports are gone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from ..state.app import AppState
from ..theme import button, text


def load_error(state: AppState, retry: Callable[..., Awaitable[None]], *, identifier: str = "load-error") -> ft.Control:
    """The sentence and a retry button (a main target), in the person's language and size."""
    t, elderly = state.t, state.elderly

    async def again(_e=None) -> None:
        await retry()

    return ft.Semantics(identifier=identifier, content=ft.Column(spacing=8, controls=[
        text(t("app.load_failed"), elderly, color=ft.Colors.RED_900),
        button(t("app.retry"), again, elderly=elderly, primary=False, icon=ft.Icons.REFRESH,
               identifier=f"{identifier}-retry"),
    ]))
