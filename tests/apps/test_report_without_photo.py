"""Reports without a photo (noise, smells): the resident's form, the outbox and the grid app's
"report for a resident" form file them, and the backend keeps them with no photo."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from grid_app.state.app import AppState as GridAppState
from grid_app.views.report_for_resident import ResidentReportHost
from shared.config import BackendConfig
from shared.report_flow import ReportFlow
from tests.apps.citizen_support import Switch, demo_city_worker, new_state
from tests.backend.core_support import GRID_POINTS

NOISE = "05.03.002"  # 装修噪声: a nuisance nobody can photograph


@pytest.fixture(scope="module")
def city(db, make_user):
    with demo_city_worker(db, make_user) as worker:
        yield worker


def point(n: int) -> tuple[float, float]:
    lat, lon = GRID_POINTS[0]
    return lat - 0.0011 + n * 0.0006, lon - 0.0013


def stored_photos(db, report_id) -> list[str]:
    return db.execute("select photos from public.reports where id = %s", (str(report_id),)).fetchone()[0]


def fill(flow: ReportFlow, n: int, words: str = "楼上每晚装修噪音到半夜") -> None:
    flow.set_location(*point(n))
    flow.describe(words)
    flow.draft.category_code = flow.draft.category_code or NOISE
    flow.nearby_dismissed = True


async def test_a_resident_files_a_report_with_no_photo(stack, tmp_path, make_user, city, db) -> None:
    user = make_user(app_metadata={"role": "citizen"})
    state = new_state(stack.url, stack.anon_key, tmp_path)
    assert await state.sign_in(user.email, user.password)
    flow = ReportFlow(state)
    await flow.load_areas()
    fill(flow, 0)
    assert flow.draft.photos == [] and flow.draft.problems(flow.taxonomy) == []
    assert await flow.submit() == "sent", state.shell.messages
    assert flow.filed.photos == [] and flow.filed.category_code.startswith("05.03")
    assert stored_photos(db, flow.filed.id) == []
    await state.close()


async def test_the_outbox_keeps_and_sends_a_report_with_no_photo(stack, tmp_path, make_user, city, db) -> None:
    target = urlsplit(stack.url)
    switch = Switch(target.hostname, target.port)
    await switch.on()
    user = make_user(app_metadata={"role": "citizen"})
    state = new_state(switch.url, stack.anon_key, tmp_path)
    assert await state.sign_in(user.email, user.password)
    flow = ReportFlow(state)
    await flow.load_areas()
    fill(flow, 1, "楼下垃圾站臭味很大")
    await switch.off()
    assert await flow.submit() == "queued"
    [waiting] = state.outbox.waiting_reports()
    assert waiting.photo_count == 0 and state.outbox.photos(waiting.id) == []
    await switch.on()
    assert await state.flush_outbox() == 1 and state.outbox.waiting_reports() == []
    assert stored_photos(db, flow.draft.id) == []
    await state.close()
    await switch.off()


async def test_a_worker_reports_for_a_resident_with_no_photo(stack, tmp_path, city, db) -> None:
    app = GridAppState(BackendConfig(stack.url, stack.anon_key, "environment"), locale="zh-CN", folder=tmp_path)
    app.on_message = lambda text, error=False: None
    assert (await app.sign_in(city.email, city.password)).ok
    flow = ReportFlow(ResidentReportHost(app), on_behalf=True)
    await flow.load_areas()
    fill(flow, 2, "楼下广场舞音响太吵")
    flow.draft.resident_name, flow.draft.resident_phone = "孙阿姨", "13900001111"
    assert flow.draft.problems(flow.taxonomy) == []
    assert await flow.submit() == "sent"
    assert flow.filed.source.value == "grid_app" and flow.filed.photos == []
    assert stored_photos(db, flow.filed.id) == []
    await app.client.aclose()
