"""shared/ui: one screen contract and one router for both apps (guards, back navigation, building)."""

from __future__ import annotations

import flet as ft

from citizen_app import routes as citizen_routes
from grid_app import routes as grid_routes
from shared.models import Role
from shared.ui import Route, Router, Screen

STAFF = frozenset({"staff"})
ROUTER = Router([
    Route("/sign-in", "tests.unit.test_ui_router:plain", signed_in=False),
    Route("/", "tests.unit.test_ui_router:plain"),
    Route("/cases/:id", "tests.unit.test_ui_router:with_params", title_key="case", back="/cases"),
    Route("/desk", "tests.unit.test_ui_router:async_screen", roles=STAFF),
    Route("/later", "tests.unit.not_written_yet:build"),
], home="/", sign_in="/sign-in", missing=lambda host, params: Screen(content=ft.Text("coming")))


class Host:
    def t(self, key: str) -> str:
        return {"case": "Case"}[key]


def plain(host, params):
    return ft.Text("plain")


def with_params(host, params):
    return Screen(content=ft.Text(params["id"]))


async def async_screen(host, params):
    return Screen(content=ft.Text("desk"), title="Desk")


def test_the_guard_sends_each_visitor_where_they_may_be() -> None:
    assert ROUTER.resolve("/cases/7", signed_in=False) == "/sign-in"
    assert ROUTER.resolve("/sign-in", signed_in=True) == "/"
    assert ROUTER.resolve("/nowhere", signed_in=True) == "/"
    assert ROUTER.resolve("/nowhere", signed_in=False) == "/sign-in"
    assert ROUTER.resolve("/desk", signed_in=True, role="resident") == "/"  # not for this role
    assert ROUTER.resolve("/desk", signed_in=True, role="staff") == "/desk"
    assert [r.pattern for r in ROUTER.visible("staff")] == ["/", "/cases/:id", "/desk", "/later"]


def test_back_goes_to_the_parent_or_home() -> None:
    assert ROUTER.back("/cases/7") == "/cases" and ROUTER.back("/desk") == "/" and ROUTER.back("/x/y") == "/"


async def test_building_gives_a_screen_with_its_title_and_route() -> None:
    shown = await ROUTER.build(Host(), "/cases/42", translate=Host().t)
    assert isinstance(shown, Screen) and shown.content.value == "42" and shown.title == "Case"
    assert shown.route == "/cases/42"
    control = await ROUTER.build(Host(), "/")
    assert control.content.value == "plain" and control.title is None  # a bare control is wrapped
    desk = await ROUTER.build(Host(), "/desk", translate=Host().t)
    assert desk.title == "Desk"  # the screen's own title wins
    assert (await ROUTER.build(Host(), "/later")).content.value == "coming"


def test_both_apps_route_through_the_shared_router() -> None:
    assert isinstance(citizen_routes.router(), Router) and isinstance(grid_routes.ROUTER, Router)
    assert citizen_routes.router().back("/pay/receipt/1") == "/pay"
    assert grid_routes.ROUTER.resolve("/report", signed_in=True, role=Role.SUPERVISOR) == "/inbox"
    assert grid_routes.ROUTER.resolve("/report", signed_in=True, role=Role.GRID_WORKER) == "/report"
