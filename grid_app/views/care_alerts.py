"""Care alerts: the list on the left, the selected alert on the right with its evidence chart,
one-tap calls (tel:) to the resident and the family, and the follow-up form."""

from __future__ import annotations

import flet as ft

from shared.care import ACTIONS, OUTCOMES, CareAlertPublic
from shared.care_chart import evidence_series, meter_unit, tel_url
from shared.localtime import city_tz, local_text
from shared.ui import Screen

from ..components.charts import evidence_chart
from ..state.app import AppState
from ..state.care import CareState, care_translator
from ..components.refresh import update_if_shown
from ..theme import MUTED, SOS

SEVERITY_COLOURS = {1: ft.Colors.AMBER_700, 2: ft.Colors.DEEP_ORANGE_600, 3: SOS}


def build(app: AppState, params: dict[str, str]) -> Screen:
    screen = CareAlertsScreen(app)
    return Screen(content=screen.root, show=screen.show)


async def open_url(url: str) -> None:
    await ft.UrlLauncher().launch_url(url)


class CareAlertsScreen:
    def __init__(self, app: AppState, state: CareState | None = None) -> None:
        self.app = app
        self.state = state or CareState(app)
        self.list = ft.Column(scroll=ft.ScrollMode.AUTO, spacing=6, expand=True)
        self.detail = ft.Column(scroll=ft.ScrollMode.AUTO, spacing=10, expand=True)
        self.root = ft.Semantics(identifier="care-alerts", content=ft.Container(expand=True, padding=16, content=ft.Row(
            expand=True, vertical_alignment=ft.CrossAxisAlignment.START,
            controls=[ft.Container(width=360, content=self.list), ft.VerticalDivider(width=1),
                      ft.Container(expand=True, content=self.detail)])))

    async def show(self) -> None:
        await self.state.load()
        self.draw()

    def _t(self):
        return care_translator(self.app)

    def _when(self, dt) -> str:
        # The city's clock (as the chart's hours), whatever the server's zone.
        return local_text(dt)

    def draw(self) -> None:
        t = self._t()
        rows = [self._row(a) for a in self.state.alerts]
        self.list.controls = [ft.Text(t("care.title"), size=22, weight=ft.FontWeight.BOLD),
                              *(rows or [ft.Text(t("care.none"), color=MUTED)])]
        self.detail.controls = self._detail(self.state.selected) if self.state.selected else [
            ft.Text(t("care.pick"), color=MUTED)]
        update_if_shown(self.list)
        update_if_shown(self.detail)

    def _row(self, a: CareAlertPublic) -> ft.Control:
        t = self._t()
        name = a.subject.name if a.subject else "—"
        chosen = self.state.selected is not None and self.state.selected.id == a.id
        return ft.Semantics(identifier=f"care-alert-{a.id}", button=True, content=ft.Container(
            padding=10, border_radius=8, on_click=lambda e, i=str(a.id): self._select(i),
            bgcolor=ft.Colors.INDIGO_50 if chosen else ft.Colors.GREY_50,
            content=ft.Row([ft.Icon(ft.Icons.ELDERLY, color=SEVERITY_COLOURS.get(a.severity, SOS)),
                            ft.Column(tight=True, expand=True, spacing=2, controls=[
                                ft.Text(f"{name} · {t(f'care.kind.{a.kind}')}", weight=ft.FontWeight.BOLD),
                                ft.Text(f"{t('care.severity', n=a.severity)} · {t(f'care.status.{a.status}')} · "
                                        f"{self._when(a.detected_at)}", color=MUTED, size=12)])])))

    def _select(self, alert_id: str) -> None:
        self.state.select(alert_id)
        self.draw()

    def _detail(self, a: CareAlertPublic) -> list[ft.Control]:
        t = self._t()
        s = a.subject
        calls = [self._phone_button(t("care.call_person"), s.phone if s else None, "care-call-person")]
        for i, c in enumerate(s.family_contacts if s else []):
            calls.append(self._phone_button(t("care.call_family", name=c.name, relation=c.relation), c.phone,
                                           f"care-call-family-{i}"))
        meter = t(f"care.meter.{a.meter_kind}") if a.meter_kind else ""
        unit = meter_unit(a.meter_kind)
        chart = (evidence_chart(evidence_series(a.evidence, unit, city_tz()),
                                t("care.axis.use", meter=meter, unit=unit or "—"), t("care.axis.hour"), 720, 240)
                 if a.evidence.hours else ft.Text("—", color=MUTED))
        action = ft.RadioGroup(value=self.state.action, on_change=self._set_action, content=ft.Row(controls=[
            ft.Radio(value=k, label=t(f"care.action.{k}")) for k in ACTIONS]))
        outcome = ft.RadioGroup(value=self.state.outcome, on_change=self._set_outcome, content=ft.Row(controls=[
            ft.Semantics(identifier=f"care-outcome-{k}", content=ft.Radio(value=k, label=t(f"care.outcome.{k}")))
            for k in OUTCOMES]))
        note = ft.TextField(label=t("care.note"), value=self.state.note, multiline=True, max_length=2000,
                            on_change=self._set_note)
        return [
            ft.Text(f"{s.name if s else '—'} · {t(f'care.kind.{a.kind}')}", size=20, weight=ft.FontWeight.BOLD),
            ft.Text(f"{t('care.severity', n=a.severity)} · {t(f'care.status.{a.status}')} · "
                    f"{t('care.since', time=self._when(a.onset_at))} · {t('care.detected', time=self._when(a.detected_at))}",
                    color=MUTED),
            ft.Text(t("residents.address", address=s.address or "—") if s else "", color=MUTED),
            ft.Row(calls, wrap=True),
            ft.Text(t("care.evidence", meter=meter, unit=meter_unit(a.meter_kind) or "—")),
            ft.Semantics(identifier="care-evidence", content=chart),
            ft.Text(t("care.followup"), weight=ft.FontWeight.BOLD),
            ft.Text(t("care.action"), color=MUTED), ft.Semantics(identifier="care-action", content=action),
            ft.Text(t("care.outcome"), color=MUTED), ft.Semantics(identifier="care-outcome", content=outcome),
            ft.Semantics(identifier="care-note", content=note),
            ft.Row(wrap=True, controls=[
                ft.Semantics(identifier="care-close", content=ft.FilledButton(
                    t("care.close"), icon=ft.Icons.CHECK, on_click=self._close)),
                ft.OutlinedButton(t("care.keep"), on_click=self._keep),
                ft.Semantics(identifier="care-escalate", content=ft.OutlinedButton(
                    t("care.escalate"), icon=ft.Icons.ARROW_UPWARD, on_click=self._escalate)),
            ]),
        ]

    def _phone_button(self, label: str, phone: str | None, ident: str) -> ft.Control:
        url = tel_url(phone)
        t = self._t()

        async def call(e: ft.ControlEvent) -> None:
            await open_url(url)

        return ft.Semantics(identifier=ident, content=ft.OutlinedButton(
            f"{label} {phone}" if url else f"{label} · {t('care.no_phone')}", icon=ft.Icons.PHONE,
            disabled=url is None, on_click=call if url else None))

    def _set_action(self, e: ft.ControlEvent) -> None:
        self.state.action = e.control.value

    def _set_outcome(self, e: ft.ControlEvent) -> None:
        self.state.outcome = e.control.value

    def _set_note(self, e: ft.ControlEvent) -> None:
        self.state.note = e.control.value or ""

    async def _close(self, e: ft.ControlEvent) -> None:
        await self._record("close")

    async def _keep(self, e: ft.ControlEvent) -> None:
        await self._record("keep")

    async def _escalate(self, e: ft.ControlEvent) -> None:
        await self._record("escalate")

    async def _record(self, resolution: str) -> None:
        if await self.state.record(resolution):
            self.draw()
