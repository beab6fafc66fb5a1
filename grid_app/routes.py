"""The grid app's screens: ONE table of the navigation rail's destinations.

How to add a screen
-------------------
1. Write a builder in `grid_app/views/<name>.py`:

       def build(state: AppState) -> Screen      # or return a plain ft.Control

   A screen object has `.root` (the control shown right of the rail) and may have
   `async def show(self)` (awaited each time the screen is opened: load its data there
   with `await state.run(state.client....)`, which shows progress and plain-words
   errors) and `def hide(self)`. Keep rules in `shared/` and state in plain classes.
   Besides `client`, `t`, `user`, `role`, the state carries `page` and the session-wide
   `inbox`, `alerts` and `sos_banner` (set by the shell), e.g. to raise a care alert's
   notice with `state.say(...)`.
2. Add ONE `Destination(...)` line to `DESTINATIONS` below: its route, icon, label key,
   builder (as "module:function", imported when first opened) and the roles that see it.
3. Add the label and every text of the screen to `grid_app/strings.py` (zh-CN, en), then
   regenerate the font subset: `.venv/bin/python assets/fonts/make_subset.py`.

The shell (grid_app/shell.py) builds the NavigationRail (tablet) or NavigationBar (phone)
from this table, so no other file changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from shared.models import Role

STAFF = frozenset({Role.GRID_WORKER, Role.DEPT_STAFF, Role.SUPERVISOR, Role.ADMIN})
WORKERS = frozenset({Role.GRID_WORKER})


@dataclass(frozen=True)
class Destination:
    route: str
    icon: ft.IconData
    selected_icon: ft.IconData
    label_key: str  # in grid_app/strings.py
    builder: str  # "grid_app.views.module:function", called with the AppState
    roles: frozenset[Role] = STAFF

    def build(self, state: Any) -> Any:
        module, _, name = self.builder.partition(":")
        factory: Callable[[Any], Any] = getattr(importlib.import_module(module), name)
        return factory(state)


DESTINATIONS: tuple[Destination, ...] = (
    Destination("/inbox", ft.Icons.INBOX_OUTLINED, ft.Icons.INBOX, "nav.inbox", "grid_app.views.inbox:build"),
    Destination("/alerts", ft.Icons.NOTIFICATIONS_OUTLINED, ft.Icons.NOTIFICATIONS, "nav.alerts",
                "grid_app.views.alerts:build"),
    Destination("/dashboard", ft.Icons.INSIGHTS_OUTLINED, ft.Icons.INSIGHTS, "nav.dashboard",
                "grid_app.views.dashboard:build"),
    Destination("/report", ft.Icons.ADD_A_PHOTO_OUTLINED, ft.Icons.ADD_A_PHOTO, "nav.report",
                "grid_app.views.report_for_resident:build", WORKERS),
    Destination("/care", ft.Icons.ELDERLY_OUTLINED, ft.Icons.ELDERLY, "nav.care", "grid_app.views.care_alerts:build",
                frozenset({Role.GRID_WORKER, Role.SUPERVISOR})),
    Destination("/residents", ft.Icons.PEOPLE_OUTLINE, ft.Icons.PEOPLE, "nav.residents",
                "grid_app.views.residents:build", frozenset({Role.GRID_WORKER, Role.SUPERVISOR})),
)


def destinations_for(role: Role | None) -> list[Destination]:
    return [d for d in DESTINATIONS if role in d.roles]


def find(route: str, role: Role | None) -> Destination | None:
    for d in destinations_for(role):
        if route == d.route or route.startswith(d.route + "/"):
            return d
    return None
