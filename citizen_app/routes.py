"""The resident app's screens: ONE table from route to view builder, and the sign-in guard.

How to add a screen
-------------------
1. Write `citizen_app/views/<name>.py` with a builder:

       def build(state: AppState, params: dict[str, str]) -> Screen | ft.Control: ...

   (`async def` works too). `state` is the session's AppState (citizen_app/app_state.py):
   `state.t("key")` for text (add keys to citizen_app/strings.py), `state.elderly` for
   sizes (citizen_app/theme.py: `sizes`, `text`, `button`, `big_action_button`),
   `await state.run(lambda c: c.some_call(...))` for backend calls with a progress
   indicator and plain-words errors, `state.page` for services (FilePicker, UrlLauncher),
   `await state.shell.go("/route")` to navigate, citizen_app/device.py for plyer.
   `params` holds the route's `:name` parts ("/cases/:id" -> {"id": ...}).
   Return a `Screen` to give a title, a `load()` run after the screen is shown (fetch
   data there, not in the builder), a `dispose()` run when leaving, and `speak()`,
   the text of the read-aloud button.
2. Add a line to ROUTES below: `Route("/name", "citizen_app.views.name:build")`.
   The builder is imported when the route is first opened, so a missing module shows
   the "coming soon" screen instead of breaking the app.
3. A home-screen action: the home's three big actions already go to "/report", "/pay"
   and "/sos" (citizen_app/views/home.py); other screens are linked from their parents.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

log = logging.getLogger(__name__)


@dataclass
class Screen:
    content: ft.Control
    title: str | None = None
    load: Callable[[], Awaitable[None]] | None = None
    dispose: Callable[[], None] | None = None
    speak: Callable[[], str] | None = None
    show_back: bool = True


@dataclass(frozen=True)
class Route:
    pattern: str  # "/cases/:id"
    builder: str  # "module:function"
    signed_in: bool = True  # the guard sends signed-out visitors to /sign-in
    title_key: str | None = None


ROUTES: list[Route] = [
    Route("/sign-in", "citizen_app.views.account:build_sign_in", signed_in=False),
    Route("/sign-up", "citizen_app.views.account:build_sign_up", signed_in=False),
    Route("/sign-in/code", "citizen_app.views.account:build_sign_in_code", signed_in=False),
    Route("/", "citizen_app.views.home:build"),
    Route("/report", "citizen_app.views.report:build", title_key="report.title"),
    Route("/cases", "citizen_app.views.cases:build", title_key="cases.title"),
    Route("/cases/:id", "citizen_app.views.case_detail:build", title_key="cases.detail"),
    Route("/followed/:id", "citizen_app.views.followed_case:build", title_key="followed.title"),
    Route("/notifications", "citizen_app.views.notifications:build", title_key="notifications.title"),
    Route("/profile", "citizen_app.views.profile:build", title_key="profile.title"),
    Route("/pay", "citizen_app.views.pay:build", title_key="home.pay"),
    Route("/pay/receipt/:id", "citizen_app.views.pay_receipt:build", title_key="pay.receipt_title"),
    Route("/sos", "citizen_app.views.sos:build", title_key="home.sos"),
]
HOME = "/"
SIGN_IN = "/sign-in"


def match(path: str, routes: list[Route] | None = None) -> tuple[Route, dict[str, str]] | None:
    """The route for `path` ("/cases/abc" matches "/cases/:id" with {"id": "abc"}), or None."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    for route in routes if routes is not None else ROUTES:
        pattern = [p for p in route.pattern.split("/") if p]
        if len(pattern) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, parts):
            if want.startswith(":"):
                params[want[1:]] = got
            elif want != got:
                break
        else:
            return route, params
    return None


def guard(path: str, signed_in: bool) -> str:
    """Where to go instead of `path`: unknown -> home; signed-in pages need an account; no sign-in twice."""
    found = match(path)
    if found is None:
        return HOME if signed_in else SIGN_IN
    route, _ = found
    if route.signed_in and not signed_in:
        return SIGN_IN
    if not route.signed_in and signed_in:
        return HOME
    return path


def _load_builder(spec: str) -> Callable[..., Any] | None:
    module_name, _, function = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # a real missing dependency inside the module: do not hide it
            raise
        return None
    return getattr(module, function)


async def build_screen(state: Any, path: str) -> Screen:
    """The screen for an allowed `path` (see `guard`)."""
    found = match(path)
    assert found is not None, path
    route, params = found
    builder = _load_builder(route.builder)
    title = state.t(route.title_key) if route.title_key else None
    if builder is None:
        from .views.coming import build as coming

        builder = coming
    result = builder(state, params)
    if inspect.isawaitable(result):
        result = await result
    screen = result if isinstance(result, Screen) else Screen(content=result)
    if screen.title is None:
        screen.title = title
    return screen
