"""Signing in by an SMS code, as a small state machine both apps' sign-in views drive.

    ask_phone --send--> code_sent --verify(right code)--> signed_in
                          |  ^ resend (after the countdown)
                          +--+ wrong / expired / too many tries: stays, says which

Two purposes share it: `SIGN_IN` sends a code to an existing account ("forgot the
password? sign in with a code"); `SIGN_UP` starts at `code_sent`, the sign-up itself
having sent the code, and "resend" asks for the sign-up code again. Every problem is
a catalogue key (`code.*`) the app translates; the backend decides what is wrong.

The clock is injected so tests run the resend countdown instantly. Never imports flet.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from shared import errors
from shared.limits import is_phone
from shared.models import UserPublic

# Seconds between two codes to one number: mirrors [auth.sms] max_frequency of
# backend/supabase/config.toml (a test keeps the two equal); the server's own
# answer (429 over_sms_send_rate_limit) still decides.
RESEND_WAIT_S = 60
CODE_LENGTH = 6
_CODE = re.compile(r"^[0-9]{%d}$" % CODE_LENGTH)


class CodePurpose(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_UP = "sign_up"


class CodePhase(StrEnum):
    ASK_PHONE = "ask_phone"
    CODE_SENT = "code_sent"
    SIGNED_IN = "signed_in"


class CodeBackend(Protocol):
    """What the flow needs of the client's `auth` facade (shared.api.AuthApi)."""

    async def send_sign_in_code(self, phone: str) -> None: ...
    async def resend_code(self, phone: str) -> None: ...
    async def sign_in_with_code(self, phone: str, code: str) -> UserPublic: ...


# The backend's refusals the person can act on -> catalogue key.
_PROBLEMS: tuple[tuple[type[errors.CityError], str], ...] = (
    (errors.CodeWrong, "code.wrong"),
    (errors.CodeExpired, "code.expired"),
    (errors.CodeTooManyTries, "code.too_many"),
    (errors.CodeTooSoon, "code.too_soon"),
    (errors.NoAccountForPhone, "code.no_account"),
    (errors.RateLimited, "code.rate_limited"),
    (errors.ValidationError, "code.bad_phone"),
)


def problem_key(exc: errors.CityError) -> str | None:
    for cls, key in _PROBLEMS:
        if isinstance(exc, cls):
            return key
    return None


class CodeFlow:
    def __init__(self, purpose: CodePurpose, *, phone: str = "", clock: Callable[[], float] = time.monotonic,
                 resend_wait_s: float = RESEND_WAIT_S) -> None:
        self.purpose = purpose
        self.phone = phone.strip()
        self._clock = clock
        self._wait = resend_wait_s
        self._sent_at: float | None = None
        self.user: UserPublic | None = None
        self.phase = CodePhase.ASK_PHONE
        if purpose is CodePurpose.SIGN_UP:  # the sign-up sent the first code
            self.phase, self._sent_at = CodePhase.CODE_SENT, clock()

    def seconds_until_resend(self) -> int:
        if self._sent_at is None:
            return 0
        return max(0, int(self._sent_at + self._wait - self._clock() + 0.999))

    def phone_problem(self, phone: str) -> str | None:
        value = phone.strip()
        if not value:
            return "code.need_phone"
        if not is_phone(value) or "@" in value:
            return "code.bad_phone"
        return None

    async def send(self, backend: CodeBackend, phone: str | None = None) -> str | None:
        """Ask for a code (first or again); a catalogue key if that was refused, else None."""
        if phone is not None and self.phase is CodePhase.ASK_PHONE:
            self.phone = phone.strip()
        if problem := self.phone_problem(self.phone):
            return problem
        if self.seconds_until_resend() > 0:
            return "code.too_soon"
        try:
            if self.purpose is CodePurpose.SIGN_UP or self.phase is CodePhase.CODE_SENT:
                await backend.resend_code(self.phone)
            else:
                await backend.send_sign_in_code(self.phone)
        except errors.CityError as exc:
            if isinstance(exc, errors.CodeTooSoon):  # the server remembers a code this flow did not see
                self._sent_at = self._clock()
            key = problem_key(exc)
            if key is None:
                raise
            return key
        self.phase, self._sent_at = CodePhase.CODE_SENT, self._clock()
        return None

    async def verify(self, backend: CodeBackend, code: str) -> str | None:
        """Sign in with `code`; a catalogue key if refused, else None (`user` is set)."""
        value = code.strip().replace(" ", "")
        if not value:
            return "code.need_code"
        if not _CODE.match(value):
            return "code.bad_code"
        try:
            self.user = await backend.sign_in_with_code(self.phone, value)
        except errors.CityError as exc:
            key = problem_key(exc)
            if key is None:
                raise
            if key in ("code.expired", "code.too_many"):
                self._sent_at = None  # a new code may be asked for at once
            return key
        self.phase = CodePhase.SIGNED_IN
        return None
