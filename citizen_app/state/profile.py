"""The profile form without flet: checks and the ProfileUpdate it sends.

Emergency contacts are not part of it: they are invitations (citizen_app/state/contacts.py)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.limits import is_phone
from shared.models import ProfileUpdate


@dataclass
class ProfileDraft:
    display_name: str = ""
    phone: str = ""
    home_address: str = ""

    def problem(self) -> str | None:
        """The catalogue key of the first problem, or None."""
        if self.phone.strip() and not is_phone(self.phone):
            return "profile.bad_phone"
        if len(self.display_name) > 100 or len(self.home_address) > 300:
            return "profile.too_long"
        return None

    def to_update(self) -> ProfileUpdate:
        return ProfileUpdate(display_name=self.display_name.strip() or None, phone=self.phone.strip() or None,
                             home_address=self.home_address.strip() or None)
