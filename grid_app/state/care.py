"""State of the Care alerts and Residents screens: plain classes over CityClient, browserless-testable."""

from __future__ import annotations

from datetime import datetime, timezone

from shared.care import (
    CareAlertPublic,
    CareSubjectPublic,
    FollowupAction,
    FollowupOutcome,
    Resolution,
)
from shared.i18n import Translator

from ..care_strings import CARE_STRINGS
from ..strings import STRINGS
from .app import AppState


def care_translator(app: AppState) -> Translator:
    """The app's catalogue plus the care screens' own texts, in the app's current language."""
    return Translator({**STRINGS, **CARE_STRINGS}, app.t.locale)


def days_since(when: datetime | None, now: datetime | None = None) -> int | None:
    if when is None:
        return None
    now = now or datetime.now(timezone.utc)
    return max(0, (now - when).days)


class CareState:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.alerts: list[CareAlertPublic] = []
        self.selected: CareAlertPublic | None = None
        self.action: FollowupAction | None = None
        self.outcome: FollowupOutcome | None = None
        self.note = ""

    async def load(self) -> None:
        done = await self.app.run(self.app.client.care.list_care_alerts())
        if done.ok:
            self.alerts = done.value
            if self.selected is not None:
                self.selected = next((a for a in self.alerts if a.id == self.selected.id), None)

    def select(self, alert_id: str) -> None:
        self.selected = next((a for a in self.alerts if str(a.id) == str(alert_id)), None)
        self.action = self.outcome = None
        self.note = ""

    async def record(self, resolution: Resolution) -> bool:
        t = care_translator(self.app)
        if self.selected is None or self.action is None or self.outcome is None:
            self.app.say(t("care.pick_outcome"), error=True)
            return False
        done = await self.app.run(
            self.app.client.care.record_care_followup(self.selected.id, self.action, self.outcome,
                                                 self.note.strip() or None, resolution),
            success=t("care.recorded"))
        if not done.ok:
            return False
        self.selected = None
        await self.load()
        return True


class ResidentsState:
    def __init__(self, app: AppState) -> None:
        self.app = app
        self.residents: list[CareSubjectPublic] = []

    async def load(self) -> None:
        done = await self.app.run(self.app.client.care.list_care_subjects())
        if done.ok:
            self.residents = done.value

    async def log_visit(self, subject_id: str, note: str = "") -> bool:
        t = care_translator(self.app)
        done = await self.app.run(self.app.client.care.log_care_visit(subject_id, "safe", note.strip() or None),
                                  success=t("residents.visit_logged"))
        if done.ok:
            self.residents = [done.value if str(r.id) == str(subject_id) else r for r in self.residents]
        return done.ok
