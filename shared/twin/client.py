"""`TwinClient`: one person's client of a `TwinCity`, with the facades of `shared.api`.

Hand it to an app's state where a `CityClient` would go (tests set `state.client = TwinClient(city)`):
the state cannot tell the difference for the calls the twin covers. Areas the twin does not
cover yet (sos, payments, care, contacts, brain) raise NotImplementedError, never a silent answer.
"""

from __future__ import annotations

from typing import Any

from shared.twin.account import TwinAuth, TwinProfile, TwinReference
from shared.twin.city import TwinCity
from shared.twin.reports import TwinReports
from shared.twin.session import Me
from shared.twin.worker import TwinWorker


class _NotInTwin:
    def __init__(self, area: str) -> None:
        self._area = area

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"{self._area}.{name} is not in the twin")


class TwinClient:
    """One person's client of a `TwinCity` (the same facades as `shared.client.CityClient`)."""

    def __init__(self, city: TwinCity) -> None:
        self._me = Me(city)
        self.auth = TwinAuth(self._me)
        self.profile = TwinProfile(self._me)
        self.reference = TwinReference(self._me)
        self.reports = TwinReports(self._me)
        self.worker = TwinWorker(self._me)
        self.sos = _NotInTwin("sos")
        self.payments = _NotInTwin("payments")
        self.care = _NotInTwin("care")
        self.contacts = _NotInTwin("contacts")
        self.brain = _NotInTwin("brain")

    async def aclose(self) -> None:
        self._me.close()

    async def unsubscribe_all(self) -> None:
        self._me.close()
