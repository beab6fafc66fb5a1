"""client.worker: duty and the inbox, allowed and denied, on the twin and on the stack."""

from __future__ import annotations

import pytest

from shared import errors
from shared.models import ReportCreate, Role, TaskQueue
from tests.backend.core_support import GRIDS
from tests.contract.conftest import LAMP, spot


async def test_a_worker_goes_off_duty_and_new_cases_go_to_the_supervisors(world) -> None:
    worker = await world.sole_worker(GRIDS[1])
    alice = await world.person()
    assert await worker.api.worker.my_duty() is True
    assert (await worker.api.worker.set_my_duty(False)).on_duty is False
    assert await worker.api.worker.my_duty() is False
    lat, lon = spot(1)
    filed = await alice.api.reports.submit_report(ReportCreate(category_code=LAMP, description="灯不亮",
                                                               lat=lat, lon=lon))
    [task] = (await alice.api.reports.report_detail(filed.id)).tasks
    assert task.queue is TaskQueue.SUPERVISOR and task.assignee_id is None
    assert await worker.api.worker.tasks() == []
    assert filed.id in {t.report_id for t in await worker.api.worker.inbox_tasks()}  # still in their grid
    assert (await worker.api.worker.set_my_duty(True)).on_duty is True


async def test_duty_is_for_grid_workers_and_the_inbox_for_their_grids(world) -> None:
    await world.sole_worker(GRIDS[2])
    other = await world.sole_worker(GRIDS[6])
    alice = await world.person()
    with pytest.raises(errors.PermissionDenied):
        await alice.api.worker.set_my_duty(True)
    assert await alice.api.worker.my_duty() is False
    lat, lon = spot(2)
    filed = await alice.api.reports.submit_report(ReportCreate(category_code=LAMP, description="灯不亮",
                                                               lat=lat, lon=lon))
    assert filed.id not in {t.report_id for t in await other.api.worker.inbox_tasks()}
    assert await other.api.worker.task_for(filed.id) is None
    assert await alice.api.auth.current_role() is Role.CITIZEN
