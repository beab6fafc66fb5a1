"""Emergency contacts in the resident app, without flet: my invitations and the ones to me.

The rules are the database's (invite_emergency_contact): an 11-digit mainland mobile number, a
name of at most 50 characters, a relation of at most 20, 10 live contacts, 10 invitations a day.
The form checks the same shapes first only to answer before a round trip; what the server refuses
is shown with its own message key.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from shared import errors
from shared.api import ContactsApi
from shared.models import ContactInvitationPublic, ContactStatus, EmergencyContactPublic

if TYPE_CHECKING:  # pragma: no cover
    from citizen_app.state.app import AppState

T = TypeVar("T")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
NAME_MAX, RELATION_MAX = 50, 20
STATUS_KEYS = {ContactStatus.PENDING: "contacts.pending", ContactStatus.ACCEPTED: "contacts.accepted",
               ContactStatus.DECLINED: "contacts.declined", ContactStatus.ENDED: "contacts.ended"}
# What the server's refusals mean to the person, per call (codes of the RPCs).
_INVITE_REFUSALS = {"PT400": "contacts.bad_phone", "PT409": "contacts.too_many", "PT429": "contacts.too_many_today"}
_ANSWER_REFUSALS = {"PT404": "contacts.gone", "PT409": "contacts.answered"}
_END_REFUSALS = {"PT404": "contacts.gone", "PT409": "contacts.already_ended"}


def mobile_digits(text: str) -> str:
    """'+86 138-0000-0001' -> '13800000001' (as private.phone_digits)."""
    digits = re.sub(r"[^0-9]", "", text or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix):]
    return digits


@dataclass
class ContactForm:
    name: str = ""
    phone: str = ""
    relation: str = ""

    def problem(self) -> str | None:
        """The catalogue key of the first problem, or None."""
        if not self.name.strip() or not self.phone.strip():
            return "profile.contact_incomplete"
        if not _MOBILE.match(mobile_digits(self.phone)):
            return "contacts.bad_phone"
        if len(self.name.strip()) > NAME_MAX or len(self.relation.strip()) > RELATION_MAX:
            return "profile.too_long"
        return None


class ContactsModel:
    """My contacts with their state, and the invitations addressed to me; every change reloads both."""

    def __init__(self, state: "AppState") -> None:
        self.state = state
        self.mine: list[EmergencyContactPublic] = []
        self.incoming: list[ContactInvitationPublic] = []

    @property
    def pending_for_me(self) -> list[ContactInvitationPublic]:
        return [i for i in self.incoming if i.status is ContactStatus.PENDING]

    @property
    def i_follow(self) -> list[ContactInvitationPublic]:
        return [i for i in self.incoming if i.status is ContactStatus.ACCEPTED]

    async def load(self) -> bool:
        async def both(api: ContactsApi) -> tuple[list, list]:
            return await api.mine(), await api.invitations()

        loaded = await self._with_contacts(both, busy=None)
        if loaded is None:
            return False
        self.mine, self.incoming = loaded
        return True

    async def invite(self, form: ContactForm) -> bool:
        problem = form.problem()
        if problem:
            self.state.shell.show_message(self.state.t(problem), error=True)
            return False
        done = await self._with_contacts(lambda api: api.invite(mobile_digits(form.phone), form.name.strip(),
                                                       form.relation.strip() or None), refusals=_INVITE_REFUSALS)
        if done is None:
            return False
        self.state.shell.show_message(self.state.t("contacts.invited"))
        return await self.load()

    async def end(self, invitation_id: str) -> bool:
        if await self._with_contacts(lambda api: api.end(invitation_id), done=True, refusals=_END_REFUSALS) is None:
            return False
        return await self.load()

    async def answer(self, invitation_id: str, accept: bool) -> bool:
        status = await self._with_contacts(lambda api: api.answer(invitation_id, accept), refusals=_ANSWER_REFUSALS)
        if status is None:
            return False
        self.state.shell.show_message(self.state.t(STATUS_KEYS[status]))
        return await self.load()

    async def _with_contacts(self, call: Callable[[ContactsApi], Awaitable[T]], *, busy: str | None = "app.busy",
                    done: bool = False, refusals: dict[str, str] | None = None) -> T | bool | None:
        """Run one call; a refusal is shown in the person's words and answers None."""
        if busy:
            self.state.shell.set_busy(self.state.t(busy))
        try:
            result = await call((await self.state.ensure_client()).contacts)
            return True if done else result
        except errors.CityError as exc:
            key = (refusals or {}).get(exc.code or "")
            self.state.shell.show_message(self.state.t(key) if key else exc.message(self.state.locale), error=True)
            return None
        finally:
            if busy:
                self.state.shell.set_busy(None)
