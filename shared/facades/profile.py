"""The signed-in person's own profile and notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from shared.models import NotificationPublic, ProfilePublic, ProfileUpdate
from shared.realtime import Callback, Subscription
from shared.transport import ID, Transport, jsonable


class ProfileFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def get_profile(self) -> ProfilePublic:
        uid = await self._t.uid()
        return self._t.model(ProfilePublic, await self._t.rows(self._t.table("profiles").select("*").eq("id", uid)))

    async def update_profile(self, change: ProfileUpdate) -> ProfilePublic:
        uid = await self._t.uid()
        values = jsonable(change.model_dump(exclude_unset=True, mode="json"))
        if not values:
            return await self.get_profile()
        return self._t.model(ProfilePublic, await self._t.rows(self._t.table("profiles").update(values).eq("id", uid)))

    async def notifications(self, *, unread_only: bool = False, limit: int = 50) -> list[NotificationPublic]:
        uid = await self._t.uid()
        query = self._t.table("notifications").select("*").eq("user_id", uid)
        if unread_only:
            query = query.is_("read_at", "null")
        query = query.order("created_at", desc=True).limit(limit)
        return self._t.models(NotificationPublic, await self._t.rows(query))

    async def mark_notifications_read(self, ids: Iterable[ID] | None = None) -> int:
        """Mark these (or all unread) notifications read; how many changed."""
        uid = await self._t.uid()
        now = datetime.now(timezone.utc).isoformat()
        query = self._t.table("notifications").update({"read_at": now}).eq("user_id", uid).is_("read_at", "null")
        if ids is not None:
            id_list = [str(i) for i in ids]
            if not id_list:
                return 0
            query = query.in_("id", id_list)
        return len(await self._t.rows(query))

    async def subscribe_notifications(self, callback: Callback) -> Subscription:
        """`callback(NotificationPublic)` for each new notification of the signed-in person."""
        uid = await self._t.uid()
        return await self._t.subscribe("notifications",
                                       [("INSERT", "notifications", f"user_id=eq.{uid}", NotificationPublic)], callback)
