"""The profile form without flet: checks and the ProfileUpdate it sends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.models import EmergencyContact, ProfileUpdate

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")
MAX_CONTACTS = 5


@dataclass
class ProfileDraft:
    display_name: str = ""
    phone: str = ""
    home_address: str = ""
    contacts: list[tuple[str, str, str]] = field(default_factory=list)  # (name, phone, relation)

    def problem(self) -> str | None:
        """The catalogue key of the first problem, or None."""
        if self.phone.strip() and not _PHONE.match(self.phone.strip()):
            return "profile.bad_phone"
        if len(self.display_name) > 100 or len(self.home_address) > 300:
            return "profile.too_long"
        for name, phone, _relation in self.contacts:
            if not name.strip() and not phone.strip():
                continue
            if not name.strip() or not phone.strip():
                return "profile.contact_incomplete"
            if not _PHONE.match(phone.strip()):
                return "profile.bad_phone"
        return None

    def to_update(self) -> ProfileUpdate:
        contacts = [EmergencyContact(name=n.strip(), phone=p.strip(), relation=r.strip() or None)
                    for n, p, r in self.contacts if n.strip() and p.strip()][:MAX_CONTACTS]
        return ProfileUpdate(display_name=self.display_name.strip() or None, phone=self.phone.strip() or None,
                             home_address=self.home_address.strip() or None, emergency_contacts=contacts)
