"""Emergency contacts as invitations (migration 20261201000100): the four RPCs and the one read.

The database decides who may do what (only the verified phone's owner answers).
"""

from __future__ import annotations

from shared.models import ContactInvitationPublic, ContactStatus, EmergencyContactPublic
from shared.transport import ID, Transport


class EmergencyContacts:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    # ------------------------------------------------------------ as the resident who invites

    async def mine(self) -> list[EmergencyContactPublic]:
        """My contacts that are not ended, oldest first, with their state."""
        uid = await self._t.uid()
        query = self._t.table("emergency_contact_invitations") \
            .select("id,phone,name,relation,status,created_at,answered_at,ended_at") \
            .eq("inviter_id", uid).neq("status", ContactStatus.ENDED.value).order("created_at")
        return self._t.models(EmergencyContactPublic, await self._t.rows(query))

    async def invite(self, phone: str, name: str, relation: str | None = None) -> EmergencyContactPublic:
        data = await self._t.rpc("invite_emergency_contact", {"phone": phone, "name": name, "relation": relation})
        return self._t.model(EmergencyContactPublic, data)

    async def end(self, invitation_id: ID) -> None:
        """Either side ends the link (the inviter also withdraws a pending or declined invitation)."""
        await self._t.rpc("end_emergency_contact", {"invitation": str(invitation_id)})

    # ------------------------------------------------------------ as the invited contact

    async def invitations(self) -> list[ContactInvitationPublic]:
        """Invitations to my verified phone, and the links I accepted."""
        return self._t.models(ContactInvitationPublic, await self._t.rpc("my_contact_invitations", {}))

    async def answer(self, invitation_id: ID, accept: bool) -> ContactStatus:
        data = await self._t.rpc("answer_contact_invitation", {"invitation": str(invitation_id), "accept": accept})
        return ContactStatus(data["status"])
