"""`Transport`: the one thing every facade of `shared.client.CityClient` talks through.

It holds the async supabase-py client and does the plumbing each call needs: mapping any
failure to a `shared.errors.CityError`, calling an RPC, turning rows into models, the signed-in
person's id, and the Realtime subscriptions (owned here so `unsubscribe_all` releases them all).
Facades (`shared/facades/`) get a `Transport` and nothing else; none knows another.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from supabase import AsyncClient

from shared import errors
from shared.models import Role, UserPublic
from shared.realtime import Binding, Callback, Subscription, subscribe

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
ID = uuid.UUID | str


class Transport:
    """One person's connection: the supabase-py async client plus the plumbing shared by the facades."""

    def __init__(self, supabase: AsyncClient) -> None:
        self.supabase = supabase
        self.subscriptions: list[Subscription] = []

    async def call(self, awaitable: Awaitable[T]) -> T:
        """Await a supabase-py call; any failure becomes a `CityError`."""
        try:
            return await awaitable
        except errors.CityError:
            raise
        except Exception as exc:
            raise errors.from_exception(exc) from exc

    async def rpc(self, name: str, args: dict[str, Any]) -> Any:
        response = await self.call(self.supabase.rpc(name, jsonable(args)).execute())
        return response.data

    async def rows(self, query: Any) -> list[Any]:
        """The rows a PostgREST query builder answers."""
        return (await self.call(query.execute())).data or []

    def table(self, name: str) -> Any:
        return self.supabase.table(name)

    @staticmethod
    def model(model: type[M], data: Any) -> M:
        """One row (or the first of a list) as `model`; NotFound for an empty list."""
        if isinstance(data, list):
            if not data:
                raise errors.NotFound("empty answer")
            data = data[0]
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            raise errors.ServerError(f"unexpected answer for {model.__name__}: {exc}") from exc

    @classmethod
    def models(cls, model: type[M], rows: Iterable[Any]) -> list[M]:
        return [cls.model(model, row) for row in rows or []]

    async def current_user(self) -> UserPublic | None:
        """The signed-in account (from the session, no request), or None."""
        session = await self.call(self.supabase.auth.get_session())
        return user_public(session.user) if session and session.user else None

    async def uid(self) -> str:
        """The signed-in person's id; AuthError when signed out."""
        user = await self.current_user()
        if user is None:
            raise errors.AuthError("not signed in")
        return str(user.id)

    async def subscribe(self, name: str, bindings: list[Binding], callback: Callback,
                        on_status: Callable[[bool], None] | None = None) -> Subscription:
        """A Realtime channel as the signed-in person, released by `unsubscribe_all`; `on_status` hears
        when the joined channel is lost (False) and joined again (True), see `shared.realtime.subscribe`."""
        session = await self.call(self.supabase.auth.get_session())
        if session is None:
            raise errors.AuthError("not signed in")
        sub = await self.call(subscribe(self.supabase, name, bindings, callback, session.access_token,
                                        on_status=on_status))
        self.subscriptions.append(sub)
        return sub

    async def unsubscribe_all(self) -> None:
        """Close every subscription this person opened (the transport stays usable, and may subscribe again)."""
        subscriptions, self.subscriptions = list(self.subscriptions), []
        for sub in subscriptions:
            await sub.unsubscribe()


def user_public(user: Any) -> UserPublic:
    role = (getattr(user, "app_metadata", None) or {}).get("role")
    return UserPublic(id=user.id, email=user.email or None, phone=user.phone or None,
                      role=role if role in Role.__members__.values() else Role.CITIZEN)


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in values.items()}
