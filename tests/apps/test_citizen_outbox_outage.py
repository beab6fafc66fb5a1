"""The resident app's outbox across a real network outage (a TCP relay cut in front of the real stack).

The other app-state tests run on the in-memory twin (tests/apps/test_citizen_state.py); this one needs
real sockets that go dead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from shared.report_flow import ReportFlow
from tests.apps.citizen_support import Switch, account, demo_city_worker, jpeg, new_state
from tests.backend.core_support import GRID_POINTS


@pytest.fixture(scope="module")
def city(db, make_user):
    """The demo city, with one worker on duty in the first grid."""
    with demo_city_worker(db, make_user) as worker:
        yield worker


def point(n: int) -> tuple[float, float]:
    lat, lon = GRID_POINTS[0]
    return lat + (n % 7 - 3) * 0.0007, lon + (n // 7 % 5 - 2) * 0.0009


async def test_unreachable_backend_keeps_the_report_and_sends_it_once_later(stack, tmp_path, make_user,
                                                                             city) -> None:
    target = urlsplit(stack.url)
    switch = Switch(target.hostname, target.port)
    await switch.on()
    state = new_state(switch.url, stack.anon_key, tmp_path)
    email, password = account(make_user)
    assert await state.sign_in(email, password)
    flow = ReportFlow(state)
    await flow.load_areas()
    flow.add_photo(jpeg())
    flow.set_location(*point(3))
    flow.describe("路灯不亮")

    await switch.off()  # the network goes down
    flow.nearby_dismissed = True
    assert await flow.submit() == "queued"
    assert state.shell.messages[-1] == ("网络不通，已保存，将自动发送", False)
    [waiting] = state.outbox.waiting_reports()
    assert waiting.report.id == flow.draft.id and waiting.photo_count == 1
    assert await state.flush_outbox() == 0 and len(state.outbox.waiting_reports()) == 1  # still down: kept

    await switch.on()  # back (same port)
    assert await state.flush_outbox() == 1
    assert state.outbox.waiting_reports() == []
    assert await state.flush_outbox() == 0
    mine = (await state.run(lambda c: c.reports.my_reports())).value
    assert [r.id for r in mine] == [flow.draft.id]  # filed once, under the client's id
    assert mine[0].status.value == "dispatched" and len(mine[0].photos) == 1
    await state.close()
    await switch.off()
