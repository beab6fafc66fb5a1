"""Sign-up, sign-in (password or SMS code), the session's tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from shared import errors
from shared.models import Role, UserPublic
from shared.transport import Transport, user_public


class SignUpResult(BaseModel):
    user: UserPublic
    needs_code: bool  # a phone sign-up: no session until the SMS code comes back


class AuthFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    @property
    def _auth(self) -> Any:
        return self._t.supabase.auth

    async def _opened(self, session: Any) -> None:
        """Realtime joins as the person the new session belongs to."""
        await self._t.call(self._t.supabase.realtime.set_auth(session.access_token))

    async def sign_up(self, identifier: str, password: str, *, display_name: str | None = None) -> UserPublic:
        """A new citizen account with an e-mail address or a phone number (see `register`)."""
        return (await self.register(identifier, password, display_name=display_name)).user

    async def register(self, identifier: str, password: str, *, display_name: str | None = None) -> SignUpResult:
        """`sign_up`, saying whether the account still waits for the code sent to its phone."""
        credentials: dict[str, Any] = {identifier_kind(identifier): identifier.strip(), "password": password}
        if display_name:
            credentials["options"] = {"data": {"display_name": display_name}}
        response = await self._t.call(self._auth.sign_up(credentials))
        if response.user is None:
            raise errors.AuthError("sign-up returned no user")
        if response.session is not None:
            await self._opened(response.session)
        return SignUpResult(user=user_public(response.user), needs_code=response.session is None)

    async def send_sign_in_code(self, phone: str) -> None:
        """An SMS code to sign in with, for an existing account only (never creates one)."""
        await self._t.call(self._auth.sign_in_with_otp({"phone": phone.strip(),
                                                        "options": {"should_create_user": False}}))

    async def resend_code(self, phone: str) -> None:
        """The sign-up (or sign-in) code again."""
        await self._t.call(self._auth.resend({"type": "sms", "phone": phone.strip()}))

    async def sign_in_with_code(self, phone: str, code: str) -> UserPublic:
        """Sign in (and confirm the number) with the code the SMS carried."""
        response = await self._t.call(self._auth.verify_otp({"type": "sms", "phone": phone.strip(),
                                                             "token": code.strip()}))
        if response.session is None or response.user is None:
            raise errors.AuthError("the code gave no session")
        await self._opened(response.session)
        return user_public(response.user)

    async def sign_in(self, identifier: str, password: str) -> UserPublic:
        """Sign in with an e-mail address or a phone number and a password."""
        credentials = {identifier_kind(identifier): identifier.strip(), "password": password}
        response = await self._t.call(self._auth.sign_in_with_password(credentials))
        if response.session is None or response.user is None:
            raise errors.AuthError("sign-in returned no session")
        await self._opened(response.session)
        return user_public(response.user)

    async def sign_out(self) -> None:
        await self._t.unsubscribe_all()
        await self._t.call(self._auth.sign_out())

    async def session_tokens(self) -> tuple[str, str] | None:
        """(access token, refresh token) of the current session, to keep across app restarts; None if signed out."""
        session = await self._t.call(self._auth.get_session())
        return (session.access_token, session.refresh_token) if session else None

    async def restore_session(self, refresh_token: str) -> UserPublic:
        """Sign in again from a refresh token kept by `session_tokens` (it is used up: keep the new one)."""
        response = await self._t.call(self._auth.refresh_session(refresh_token))
        if response.session is None or response.user is None:
            raise errors.AuthError("the refresh token gave no session")
        await self._opened(response.session)
        return user_public(response.user)

    def on_tokens_changed(self, callback: Callable[[tuple[str, str] | None], None]) -> None:
        """`callback((access, refresh))` whenever the session's tokens change (sign-in, refresh), None on sign-out."""
        def relay(_event: Any, session: Any) -> None:
            callback((session.access_token, session.refresh_token) if session else None)

        self._auth.on_auth_state_change(relay)

    async def current_user(self) -> UserPublic | None:
        """The signed-in account (from the session, no request), or None."""
        return await self._t.current_user()

    async def current_role(self) -> Role | None:
        user = await self.current_user()
        return user.role if user else None


def identifier_kind(identifier: str) -> str:
    """"email" or "phone": which GoTrue field a sign-in identifier goes in."""
    value = identifier.strip()
    if "@" in value:
        return "email"
    if value.lstrip("+").replace(" ", "").replace("-", "").isdigit():
        return "phone"
    raise errors.ValidationError("an e-mail address or a phone number", code="identifier")
