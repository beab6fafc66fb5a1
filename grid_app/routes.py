"""The grid app's screens: ONE table of the navigation rail's destinations.

The contract and the router are shared with the citizen app (shared/ui: `Screen`, `Route`,
`Router`); this module holds the grid app's table and its role guard.

How to add a screen
-------------------
1. Write a builder in `grid_app/views/<name>.py`:

       def build(state: AppState, params: dict[str, str]) -> Screen   # shared.ui.Screen

   The screen's `content` is the control shown right of the rail; `show` (awaited each
   time the screen is opened: load its data there with `await state.run(...)`, which shows
   progress and plain-words errors and returns an Outcome) and `hide` are optional. A
   screen class hands its parts over: `Screen(content=s.root, show=s.show, hide=s.hide)`.
   Screens are built once per signed-in frame and kept. Keep rules in `shared/` and state
   in plain classes. Besides `client`, `t`, `user`, `role`, the state carries `page` and
   the session-wide `inbox`, `alerts` and `sos_banner` (set by the shell), e.g. to raise
   a care alert's notice with `state.say(...)`.
2. Add ONE `Destination(...)` line to `DESTINATIONS` below: its route, icon, label key,
   builder (as "module:function", imported when first opened) and the roles that see it.
3. Add the label and every text of the screen to `grid_app/strings.py` (zh-CN, en), then
   regenerate the font subset: `.venv/bin/python assets/fonts/make_subset.py`.

The shell (grid_app/shell.py) builds the NavigationRail (tablet) or NavigationBar (phone)
from this table, so no other file changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import flet as ft

from shared.models import Role
from shared.ui import Route, Router

STAFF = frozenset({Role.GRID_WORKER, Role.DEPT_STAFF, Role.SUPERVISOR, Role.ADMIN})
WORKERS = frozenset({Role.GRID_WORKER})


@dataclass(frozen=True)
class Destination:
    """A rail entry: its route, icons and label, the screen's builder, the roles that see it."""

    route: str
    icon: ft.IconData
    selected_icon: ft.IconData
    label_key: str  # in grid_app/strings.py
    builder: str  # "grid_app.views.module:function", called with the AppState and the route's params
    roles: frozenset[Role] = STAFF

    def as_route(self) -> Route:
        return Route(self.route, self.builder, roles=self.roles, title_key=self.label_key, nav=self)


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
    Destination("/brain", ft.Icons.HUB_OUTLINED, ft.Icons.HUB, "nav.brain", "grid_app.views.brain:build",
                frozenset({Role.SUPERVISOR, Role.ADMIN})),
)
HOME = DESTINATIONS[0].route
ROUTER = Router([d.as_route() for d in DESTINATIONS], home=HOME)


def destinations_for(role: Role | None) -> list[Destination]:
    return [route.nav for route in ROUTER.visible(role)]


def find(route: str, role: Role | None) -> Destination | None:
    """The destination `route` opens for `role`, or None (unknown, or not for this role)."""
    found = ROUTER.match(route)
    if found is None or not ROUTER.allows(found[0], signed_in=True, role=role):
        return None
    return found[0].nav
