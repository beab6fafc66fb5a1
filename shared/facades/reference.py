"""Reference data anyone may read: departments, areas, categories."""

from __future__ import annotations

from shared.models import AreaLevel, AreaPublic, CategoryPublic, DepartmentPublic
from shared.transport import ID, Transport


class ReferenceFacade:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def departments(self) -> list[DepartmentPublic]:
        query = self._t.table("departments").select("*").order("code")
        return self._t.models(DepartmentPublic, await self._t.rows(query))

    async def areas(self, level: AreaLevel | None = None, parent_id: ID | None = None) -> list[AreaPublic]:
        query = self._t.table("areas").select("*")
        if level is not None:
            query = query.eq("level", AreaLevel(level).value)
        if parent_id is not None:
            query = query.eq("parent_id", str(parent_id))
        return self._t.models(AreaPublic, await self._t.rows(query.order("code")))

    async def categories(self, parent_code: str | None = None, level: int | None = None) -> list[CategoryPublic]:
        query = self._t.table("categories").select("*")
        if parent_code is not None:
            query = query.eq("parent_code", parent_code)
        if level is not None:
            query = query.eq("level", level)
        return self._t.models(CategoryPublic, await self._t.rows(query.order("code")))
