"""Placeholder until the Realtime server lands."""

from __future__ import annotations

from starlette.routing import BaseRoute


class RealtimeService:
    async def start(self, state) -> None:
        self.state = state

    async def stop(self) -> None:
        pass

    def routes(self) -> list[BaseRoute]:
        return []
