"""What every facade of a `TwinClient` shares: the city, who is signed in, and their Realtime channels."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from shared import errors
from shared.models import ReportPublic, ReportStatus, Role, UserPublic
from shared.status import OPEN_STATUSES
from shared.twin.city import Listener, Session, TwinCity

ID = uuid.UUID | str
MAX_TEXT = 2000  # private.require_text


class Me:
    """What every twin facade shares: the city and who is signed in."""

    def __init__(self, city: TwinCity) -> None:
        self.city = city
        self.session: Session | None = None
        self.token_callbacks: list[Callable[[tuple[str, str] | None], None]] = []
        self.listeners: list[Listener] = []

    def up(self) -> None:
        if self.city.offline:
            raise errors.NetworkError("the twin is offline")

    @property
    def uid(self) -> uuid.UUID | None:
        return self.session.uid if self.session else None

    def need_uid(self) -> uuid.UUID:
        self.up()
        if self.session is None:
            raise errors.AuthError("not signed in")
        return self.session.uid

    def open_session(self, uid: uuid.UUID, family: str | None = None) -> UserPublic:
        self.session = Session(secrets.token_hex(16), secrets.token_hex(16), uid, family or secrets.token_hex(8))
        for token, session in self.city.sessions.items():  # a spent token of the family answers the current session
            if session.family == self.session.family:
                self.city.sessions[token] = self.session
        self.city.sessions[self.session.refresh] = self.session
        for callback in self.token_callbacks:
            callback((self.session.access, self.session.refresh))
        return self.city.accounts[uid].user

    def listen(self, table: str, callback: Callable[[Any], Any],
               match: Callable[[Any], bool] | None = None) -> Subscription:
        listener = Listener(table, callback, self.need_uid(), match=match)
        self.city.listeners.append(listener)
        self.listeners.append(listener)
        return Subscription(self, listener)

    def close(self) -> None:
        for listener in self.listeners:
            if listener in self.city.listeners:
                self.city.listeners.remove(listener)
        self.listeners.clear()


class Subscription:
    def __init__(self, me: Me, listener: Listener) -> None:
        self._me, self._listener = me, listener

    async def unsubscribe(self) -> None:
        if self._listener in self._me.city.listeners:
            self._me.city.listeners.remove(self._listener)


def require_text(value: str | None, what: str) -> str:
    """private.require_text."""
    if value is None or not value.strip():
        raise errors.ValidationError(f"{what} is required", code="PT400", status=400)
    if len(value) > MAX_TEXT:
        raise errors.ValidationError(f"{what} is longer than {MAX_TEXT} characters", code="PT400", status=400)
    return value.strip()


def require_status(r: ReportPublic, allowed: set[ReportStatus], action: str) -> None:
    if r.status not in allowed:
        raise errors.InvalidTransition(f"cannot {action} a report that is {r.status.value}", code="PT409", status=409)


def refuse(message: str) -> errors.CityError:
    return errors.PermissionDenied(message, code="PT403", status=403)


S = ReportStatus
STAFF = {Role.GRID_WORKER, Role.DEPT_STAFF, Role.SUPERVISOR, Role.ADMIN}
HANDLED = OPEN_STATUSES - {S.SUBMITTED}  # the states a handler (or the reporter) still acts on
