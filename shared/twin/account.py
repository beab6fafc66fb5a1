"""The twin's `auth`, `profile` and `reference` facades."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from shared import errors
from shared.facades.auth import SignUpResult, identifier_kind
from shared.models import (AreaLevel, AreaPublic, CategoryPublic, DepartmentPublic, NotificationPublic, ProfilePublic,
                           ProfileUpdate, Role, UserPublic)
from shared.twin import reference
from shared.twin.city import now
from shared.twin.session import ID, Me, Subscription


class TwinAuth:
    def __init__(self, me: Me) -> None:
        self._me = me

    async def sign_up(self, identifier: str, password: str, *, display_name: str | None = None) -> UserPublic:
        return (await self.register(identifier, password, display_name=display_name)).user

    async def register(self, identifier: str, password: str, *, display_name: str | None = None) -> SignUpResult:
        self._me.up()
        if identifier_kind(identifier) != "email":
            raise NotImplementedError("the twin signs up by e-mail only")
        if len(password) < 6:
            raise errors.WeakPassword("Password should be at least 6 characters.", code="weak_password", status=422)
        account = self._me.city.add_user(identifier.strip(), password, display_name=display_name)
        return SignUpResult(user=self._me.open_session(account.user.id), needs_code=False)

    async def send_sign_in_code(self, phone: str) -> None:
        raise NotImplementedError("sign-in by SMS code is not in the twin")

    async def resend_code(self, phone: str) -> None:
        raise NotImplementedError("sign-in by SMS code is not in the twin")

    async def sign_in_with_code(self, phone: str, code: str) -> UserPublic:
        raise NotImplementedError("sign-in by SMS code is not in the twin")

    async def sign_in(self, identifier: str, password: str) -> UserPublic:
        self._me.up()
        kind = identifier_kind(identifier)
        value = identifier.strip()
        for account in self._me.city.accounts.values():
            if getattr(account.user, kind) == value and account.password == password:
                return self._me.open_session(account.user.id)
        raise errors.InvalidCredentials("Invalid login credentials", code="invalid_credentials", status=400)

    async def sign_out(self) -> None:
        self._me.close()
        self._me.up()
        if self._me.session is not None:
            family = self._me.session.family
            for token in [t for t, s in self._me.city.sessions.items() if s.family == family]:
                del self._me.city.sessions[token]
        self._me.session = None
        for callback in self._me.token_callbacks:
            callback(None)

    async def session_tokens(self) -> tuple[str, str] | None:
        s = self._me.session
        return (s.access, s.refresh) if s else None

    async def restore_session(self, refresh_token: str) -> UserPublic:
        self._me.up()
        session = self._me.city.sessions.get(refresh_token)
        if session is None:
            raise errors.AuthError("Invalid Refresh Token: Refresh Token Not Found", code="refresh_token_not_found",
                                   status=400)
        return self._me.open_session(session.uid, session.family)

    def on_tokens_changed(self, callback: Callable[[tuple[str, str] | None], None]) -> None:
        self._me.token_callbacks.append(callback)

    async def current_user(self) -> UserPublic | None:
        uid = self._me.uid
        return self._me.city.accounts[uid].user if uid else None

    async def current_role(self) -> Role | None:
        user = await self.current_user()
        return user.role if user else None


class TwinProfile:
    def __init__(self, me: Me) -> None:
        self._me = me

    async def get_profile(self) -> ProfilePublic:
        return self._me.city.accounts[self._me.need_uid()].profile

    async def update_profile(self, change: ProfileUpdate) -> ProfilePublic:
        account = self._me.city.accounts[self._me.need_uid()]
        values = change.model_dump(exclude_unset=True)
        account.profile = account.profile.model_copy(update=values | {"updated_at": now()})
        return account.profile

    async def notifications(self, *, unread_only: bool = False, limit: int = 50) -> list[NotificationPublic]:
        uid = self._me.need_uid()
        mine = [n for n in self._me.city.notifications if n.user_id == uid and not (unread_only and n.read_at)]
        return sorted(mine, key=lambda n: n.created_at, reverse=True)[:limit]

    async def mark_notifications_read(self, ids: Iterable[ID] | None = None) -> int:
        uid = self._me.need_uid()
        wanted = None if ids is None else {str(i) for i in ids}
        changed, at = 0, now()
        for i, n in enumerate(self._me.city.notifications):
            if n.user_id == uid and n.read_at is None and (wanted is None or str(n.id) in wanted):
                self._me.city.notifications[i] = n.model_copy(update={"read_at": at})
                changed += 1
        return changed

    async def subscribe_notifications(self, callback: Callable[[Any], Any]) -> Subscription:
        return self._me.listen("notifications", callback)


class TwinReference:
    def __init__(self, me: Me) -> None:
        self._me = me

    async def departments(self) -> list[DepartmentPublic]:
        self._me.up()
        return list(reference.departments())

    async def areas(self, level: AreaLevel | None = None, parent_id: ID | None = None) -> list[AreaPublic]:
        self._me.up()
        return [a for a in reference.areas() if (level is None or a.level == AreaLevel(level))
                and (parent_id is None or str(a.parent_id) == str(parent_id))]

    async def categories(self, parent_code: str | None = None, level: int | None = None) -> list[CategoryPublic]:
        self._me.up()
        return [c for c in reference.categories() if (parent_code is None or c.parent_code == parent_code)
                and (level is None or c.level == level)]
