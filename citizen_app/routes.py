"""The resident app's screens: ONE table from route to view builder, and the sign-in guard.

The contract and the router are shared with the grid app (shared/ui: `Screen`, `Route`,
`Router`); this module holds the resident app's table.

How to add a screen
-------------------
1. Write `citizen_app/views/<name>.py` with a builder:

       def build(state: AppState, params: dict[str, str]) -> Screen | ft.Control: ...

   (`async def` works too). `state` is the session's AppState (citizen_app/state/app.py):
   `state.t("key")` for text (add keys to citizen_app/strings.py), `state.elderly` for
   sizes (citizen_app/theme.py: `sizes`, `text`, `button`, `big_action_button`),
   `await state.run(lambda c: c.some_call(...))` for backend calls with a progress
   indicator and plain-words errors, `state.page` for services (FilePicker, UrlLauncher),
   `await state.shell.go("/route")` to navigate, citizen_app/device.py for plyer.
   `params` holds the route's `:name` parts ("/cases/:id" -> {"id": ...}).
   Return a `Screen` (shared/ui/screen.py) to give a title, a `show()` run after the
   screen is shown (fetch data there, not in the builder), a `hide()` run when leaving,
   and `speak()`, the text of the read-aloud button.
2. Add a line to ROUTES below: `Route("/name", "citizen_app.views.name:build")`
   (`back="/parent"` if the back arrow should not go home).
   The builder is imported when the route is first opened, so a missing module shows
   the "coming soon" screen instead of breaking the app.
3. A home-screen action: the home's three big actions already go to "/report", "/pay"
   and "/sos" (citizen_app/views/home.py); other screens are linked from their parents.
"""

from __future__ import annotations

from typing import Any

from shared.ui import Route, Router, Screen

__all__ = ["HOME", "ROUTES", "SIGN_IN", "Route", "Screen", "build_screen", "guard", "match", "router"]

ROUTES: list[Route] = [
    Route("/sign-in", "citizen_app.views.account:build_sign_in", signed_in=False),
    Route("/sign-up", "citizen_app.views.account:build_sign_up", signed_in=False),
    Route("/sign-in/code", "citizen_app.views.account:build_sign_in_code", signed_in=False),
    Route("/", "citizen_app.views.home:build"),
    Route("/report", "citizen_app.views.report:build", title_key="report.title"),
    Route("/cases", "citizen_app.views.cases:build", title_key="cases.title"),
    Route("/cases/:id", "citizen_app.views.case_detail:build", title_key="cases.detail", back="/cases"),
    Route("/followed/:id", "citizen_app.views.followed_case:build", title_key="followed.title"),
    Route("/notifications", "citizen_app.views.notifications:build", title_key="notifications.title"),
    Route("/profile", "citizen_app.views.profile:build", title_key="profile.title"),
    Route("/pay", "citizen_app.views.pay:build", title_key="home.pay"),
    Route("/pay/receipt/:id", "citizen_app.views.pay_receipt:build", title_key="pay.receipt_title", back="/pay"),
    Route("/sos", "citizen_app.views.sos:build", title_key="home.sos"),
]
HOME = "/"
SIGN_IN = "/sign-in"


def _coming(state: Any, params: dict[str, str]) -> Screen:
    from .views.coming import build

    return build(state, params)


def router() -> Router:
    """The router over ROUTES as they are now (a test may swap the table)."""
    return Router(ROUTES, home=HOME, sign_in=SIGN_IN, missing=_coming)


def match(path: str) -> tuple[Route, dict[str, str]] | None:
    return router().match(path)


def guard(path: str, signed_in: bool) -> str:
    """Where to go instead of `path`: unknown -> home; signed-in pages need an account; no sign-in twice."""
    return router().resolve(path, signed_in=signed_in)


async def build_screen(state: Any, path: str) -> Screen:
    """The screen for an allowed `path` (see `guard`)."""
    return await router().build(state, path, translate=state.t)
