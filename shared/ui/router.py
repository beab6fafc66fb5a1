"""One router for both apps: a table of routes, its guards, back navigation, and screen building.

A `Route` names its path pattern ("/cases/:id"), its builder as "module:function"
(imported when first opened, so a screen not written yet shows the app's "coming soon"
screen instead of breaking the app), and its guards: `signed_in` (True: an account is
needed; False: only for signed-out visitors, the sign-in pages) and `roles` (who may open
it; None: anyone signed in). `Router.resolve` is the guard: where a path really goes.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .screen import Screen

Builder = Callable[..., Any]  # (host, params) -> Screen | ft.Control, or a coroutine of one


@dataclass(frozen=True)
class Route:
    pattern: str  # "/cases/:id"
    builder: str  # "module:function"
    signed_in: bool = True  # the guard sends signed-out visitors to the sign-in route
    roles: frozenset[Any] | None = None  # who may open it (None: anyone the signed_in guard lets in)
    title_key: str | None = None  # the screen's title, a key of the app's catalogue
    back: str | None = None  # where the back arrow goes (None: home)
    nav: Any = None  # the app's navigation entry for it (icon, label), if it has one


class Router:
    def __init__(self, routes: Sequence[Route], *, home: str, sign_in: str | None = None,
                 missing: Builder | None = None) -> None:
        self.routes = list(routes)
        self.home = home
        self.sign_in = sign_in
        self.missing = missing  # the builder of a route whose module is not there yet

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for `path` ("/cases/abc" matches "/cases/:id" with {"id": "abc"}), or None."""
        parts = [p for p in path.split("?")[0].split("/") if p]
        for route in self.routes:
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

    def allows(self, route: Route, *, signed_in: bool, role: Any = None) -> bool:
        if route.signed_in != signed_in:
            return False
        return route.roles is None or role in route.roles

    def visible(self, role: Any) -> list[Route]:
        """The signed-in routes `role` may open, in table order (a navigation bar's entries)."""
        return [r for r in self.routes if self.allows(r, signed_in=True, role=role)]

    def resolve(self, path: str, *, signed_in: bool, role: Any = None) -> str:
        """Where to go instead of `path`: unknown or not allowed -> home (or sign-in when signed
        out); signed-in pages need an account; no sign-in page twice."""
        found = self.match(path)
        fallback = self.home if signed_in or self.sign_in is None else self.sign_in
        if found is None:
            return fallback
        route, _ = found
        if route.signed_in and not signed_in:
            return fallback
        if not route.signed_in and signed_in:
            return self.home
        if route.roles is not None and role not in route.roles:
            return fallback
        return path

    def back(self, path: str) -> str:
        found = self.match(path)
        return (found[0].back if found else None) or self.home

    async def build(self, host: Any, path: str, *, translate: Callable[[str], str] | None = None) -> Screen:
        """The screen for an allowed `path` (see `resolve`); `translate` turns a title key into words."""
        found = self.match(path)
        if found is None:
            raise LookupError(f"no route for {path!r}")
        route, params = found
        builder = _load_builder(route.builder) or self.missing
        if builder is None:
            raise LookupError(f"no screen for {route.pattern!r} yet")
        result = builder(host, params)
        if inspect.isawaitable(result):
            result = await result
        screen = result if isinstance(result, Screen) else Screen(content=result)
        if screen.title is None and route.title_key and translate is not None:
            screen.title = translate(route.title_key)
        screen.route = path
        return screen


def _load_builder(spec: str) -> Builder | None:
    module_name, _, function = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # a real missing dependency inside the module: do not hide it
            raise
        return None
    return getattr(module, function)


__all__ = ["Builder", "Route", "Router"]
