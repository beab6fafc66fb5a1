"""The "导航" row of a case: one button per maps app, no tiles needed (links from shared.navigation).

The Chinese maps get the GCJ-02 point (said in each link); the last button is a geo: URI in
WGS-84 for any other maps app. A caption says which coordinate system each uses.
"""

from __future__ import annotations

import flet as ft

from shared.navigation import MapLink, map_links

from ..theme import MUTED, TARGET


def nav_row(lat: float, lon: float, name: str, t) -> ft.Control:
    links = map_links(lat, lon, name)
    buttons = [ft.Semantics(identifier=f"nav-{link.key}", content=(ft.Button if i == 0 else ft.OutlinedButton)(
        t("nav.go") if i == 0 else link.label(t.locale), icon=ft.Icons.NAVIGATION if i == 0 else None,
        height=TARGET, tooltip=link.label(t.locale), on_click=_open(link)))
        for i, link in enumerate(links)]
    return ft.Column(tight=True, spacing=4, controls=[
        ft.Row(buttons, wrap=True, spacing=8),
        ft.Text(t("nav.datum"), color=MUTED, size=12)])


def _open(link: MapLink):
    async def handler(e: ft.ControlEvent) -> None:
        await ft.UrlLauncher().launch_url(link.url)
    return handler
