"""The twin's reference data is the stack's: departments, the taxonomy, the demo city's areas."""

from __future__ import annotations

from shared.models import AreaLevel
from shared.twin import TwinCity, TwinClient


async def test_reference_data_is_the_same_on_the_twin_and_on_the_stack(world) -> None:
    twin = TwinClient(TwinCity())
    api = await world.client()
    assert await api.reference.departments() == await twin.reference.departments()
    real, copy = await api.reference.categories(), await twin.reference.categories()
    assert [(c.code, c.level, c.parent_code, c.name_zh, c.department_code, c.sla_hours, c.priority) for c in real] \
        == [(c.code, c.level, c.parent_code, c.name_zh, c.department_code, c.sla_hours, c.priority) for c in copy]
    assert [sorted(c.keywords) for c in real] == [sorted(c.keywords) for c in copy]
    demo = [a for a in await api.reference.areas() if a.code.startswith("120101")]
    assert [(a.id, a.parent_id, a.level, a.code, a.name_zh, a.name_en, a.polygon) for a in demo] == \
        [(a.id, a.parent_id, a.level, a.code, a.name_zh, a.name_en, a.polygon) for a in await twin.reference.areas()]
    grids = await api.reference.areas(level=AreaLevel.GRID)
    assert {a.id for a in await twin.reference.areas(level=AreaLevel.GRID)} <= {a.id for a in grids}
