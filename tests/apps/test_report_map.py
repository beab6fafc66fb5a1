"""The maps inside the resident's scrolling pages (report form, case page): the wheel is left to the page
(zoom has buttons; drag and pinch stay), and the map keeps where it was moved to, so a reloaded tab (Flet
re-attaches the session and the browser draws the map again from its properties) opens there."""

from __future__ import annotations

import flet_map as fm

from shared.ui.map_panel import move_map
from shared.ui.report_form import ReportForm
from tests.apps.test_citizen_views import state  # noqa: F401  (a fixture)

WHEEL = fm.InteractionFlag.SCROLL_WHEEL_ZOOM


def ids(control, found=None) -> list[str]:
    found = [] if found is None else found
    if getattr(control, "identifier", None):
        found.append(control.identifier)
    for child in list(getattr(control, "controls", None) or []) + [getattr(control, "content", None)]:
        if child is not None and not isinstance(child, str):
            ids(child, found)
    return found


async def test_the_report_map_leaves_the_wheel_to_the_page_and_has_zoom_buttons(state) -> None:  # noqa: F811
    form = ReportForm(state)
    flags = form.map.interaction_configuration.flags
    assert not flags & WHEEL
    assert flags & fm.InteractionFlag.DRAG and flags & fm.InteractionFlag.PINCH_ZOOM
    assert {"map-zoom-in", "map-zoom-out"} <= set(ids(form.root))


async def test_the_map_is_drawn_again_where_it_was_moved(state) -> None:  # noqa: F811
    form = ReportForm(state)
    await form.set_location(39.1123, 117.2045)
    assert (form.map.initial_center.latitude, form.map.initial_center.longitude) == (39.1123, 117.2045)
    assert form.pin.visible and form.pin.coordinates.latitude == 39.1123
    other = fm.Map(layers=[])
    await move_map(other, 1.5, 2.5)  # not on a page: nothing raised, and it opens there once drawn
    assert (other.initial_center.latitude, other.initial_center.longitude) == (1.5, 2.5)
