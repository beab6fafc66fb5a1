"""Emergency contacts as invitations (migration 20261201000100), over a `CityClient`.

Kept beside the client rather than in it: `EmergencyContacts(client)` shapes the four RPCs and the
one read; the database decides who may do what (only the verified phone's owner answers).
"""

from __future__ import annotations

import uuid

from shared.client import CityClient
from shared.models import ContactInvitationPublic, ContactStatus, EmergencyContactPublic

ID = uuid.UUID | str


class EmergencyContacts:
    def __init__(self, client: CityClient) -> None:
        self.client = client

    # ------------------------------------------------------------ as the resident who invites

    async def mine(self) -> list[EmergencyContactPublic]:
        """My contacts that are not ended, oldest first, with their state."""
        uid = await self.client._uid()
        query = self.client.supabase.table("emergency_contact_invitations") \
            .select("id,phone,name,relation,status,created_at,answered_at,ended_at") \
            .eq("inviter_id", uid).neq("status", ContactStatus.ENDED.value).order("created_at")
        response = await self.client._call(query.execute())
        return self.client._models(EmergencyContactPublic, response.data)

    async def invite(self, phone: str, name: str, relation: str | None = None) -> EmergencyContactPublic:
        data = await self.client._rpc("invite_emergency_contact", {"phone": phone, "name": name, "relation": relation})
        return self.client._model(EmergencyContactPublic, data)

    async def end(self, invitation_id: ID) -> None:
        """Either side ends the link (the inviter also withdraws a pending or declined invitation)."""
        await self.client._rpc("end_emergency_contact", {"invitation": str(invitation_id)})

    # ------------------------------------------------------------ as the invited contact

    async def invitations(self) -> list[ContactInvitationPublic]:
        """Invitations to my verified phone, and the links I accepted."""
        return self.client._models(ContactInvitationPublic, await self.client._rpc("my_contact_invitations", {}))

    async def answer(self, invitation_id: ID, accept: bool) -> ContactStatus:
        data = await self.client._rpc("answer_contact_invitation", {"invitation": str(invitation_id), "accept": accept})
        return ContactStatus(data["status"])
