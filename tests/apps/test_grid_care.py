"""Care alerts and Residents screens of the grid app without a browser, against the real local stack."""

from __future__ import annotations


import pytest

from grid_app import routes
from grid_app.state.app import AppState
from grid_app.state.care import CareState, ResidentsState, care_translator
from grid_app.care_strings import CARE_STRINGS
from grid_app.views.care_alerts import CareAlertsScreen
from grid_app.views.residents import ResidentsScreen
from backend.jobs.care_watch import run_scan
from shared.care_chart import evidence_series, tel_url
from shared.config import BackendConfig
from shared.models import Role
from tests.backend.care_support import add_month_of_readings, make_subject
from tests.backend.core_support import GRIDS, People, make_people, only_workers


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


async def signed_in(stack, tmp_path, user, locale: str = "zh-CN") -> AppState:
    app = AppState(BackendConfig(stack.url, stack.anon_key, "environment"), locale=locale, folder=tmp_path)
    assert (await app.sign_in(user.email, user.password)).ok
    return app


def texts(control) -> list[str]:
    """Every text value under a control (Text values, button contents)."""
    out, stack = [], [control]
    while stack:
        c = stack.pop()
        for attr in ("value", "label", "text"):
            v = getattr(c, attr, None)
            if isinstance(v, str):
                out.append(v)
        v = getattr(c, "content", None)
        if isinstance(v, str):
            out.append(v)
        elif v is not None:
            stack.append(v)
        stack.extend(getattr(c, "controls", None) or [])
    return out


def test_both_screens_are_on_the_rail_for_workers_and_supervisors_only():
    for role in (Role.GRID_WORKER, Role.SUPERVISOR):
        assert {"/care", "/residents"} <= {d.route for d in routes.destinations_for(role)}
    assert not {"/care", "/residents"} & {d.route for d in routes.destinations_for(Role.DEPT_STAFF)}


def test_every_care_text_has_both_languages():
    assert all(zh and en for zh, en in CARE_STRINGS.values())


def test_tel_links_and_the_chart():
    assert tel_url("139 0000 9999") == "tel:13900009999" and tel_url("") is None and tel_url(None) is None
    from shared.care import Evidence
    from datetime import datetime, timedelta, timezone
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    ev = Evidence(meter_kind="water", hours=[start + timedelta(hours=i) for i in range(24)], observed=[0.0] * 24,
                  expected=[10.0] * 24, band_low=[2.0] * 24, band_high=[20.0] * 24, onset=start + timedelta(hours=5))
    series = evidence_series(ev, "L")
    assert series.band_high == [(float(i), 20.0) for i in range(24)]
    assert series.scale.top >= 20 and series.observed[0] == (0.0, 0.0)


async def test_worker_sees_the_alert_with_evidence_calls_and_records_the_outcome(people, stack, db, service, tmp_path):
    s = make_subject(db, GRIDS[0], name="界面测试")
    add_month_of_readings(db, s["id"], silent_hours=20)
    run_scan(service)
    app = await signed_in(stack, tmp_path, people.worker_1)
    screen = CareAlertsScreen(app)
    await screen.show()
    mine = [a for a in screen.state.alerts if str(a.subject_id) == s["id"]]
    assert len(mine) == 1 and mine[0].kind == "inactivity"
    screen._select(str(mine[0].id))
    shown = texts(screen.detail)
    assert any("界面测试" in x for x in shown)
    assert any("13800009999" in x for x in shown) and any("13900009999" in x for x in shown)  # person and family
    # Nothing chosen yet: a plain-words refusal, nothing recorded.
    said = app.notifier.messages  # (text, error) as the page would show them
    assert not await screen.state.record("close")
    assert said[-1] == (care_translator(app)("care.pick_outcome"), True)
    screen.state.action, screen.state.outcome, screen.state.note = "called_person", "safe", "电话已接通"
    assert await screen.state.record("close")
    assert said[-1] == ("处理结果已记录", False)
    assert all(str(a.subject_id) != s["id"] for a in screen.state.alerts)  # closed alerts leave the list
    assert db.execute("select status from public.care_alerts where subject_id = %s", (s["id"],)).fetchone()[0] == "closed"
    await app.client.aclose()


async def test_escalating_from_the_form(people, stack, db, service, tmp_path):
    s = make_subject(db, GRIDS[0], name="上报测试")
    add_month_of_readings(db, s["id"], gas_on_hours=3)
    run_scan(service)
    app = await signed_in(stack, tmp_path, people.worker_1, locale="en")
    state = CareState(app)
    await state.load()
    [alert] = [a for a in state.alerts if str(a.subject_id) == s["id"]]
    state.select(str(alert.id))
    state.action, state.outcome = "visited", "needs_help"
    assert await state.record("escalate")
    [alert] = [a for a in state.alerts if str(a.subject_id) == s["id"]]
    assert alert.status == "escalated"
    await app.client.aclose()


async def test_residents_lists_my_grids_only_and_logs_a_visit(people, stack, db, tmp_path):
    mine = make_subject(db, GRIDS[0], name="走访测试")
    other = make_subject(db, GRIDS[4], name="别的网格")
    app = await signed_in(stack, tmp_path, people.worker_1)
    screen = ResidentsScreen(app)
    await screen.show()
    ids = {str(r.id) for r in screen.state.residents}
    assert mine["id"] in ids and other["id"] not in ids
    r = next(r for r in screen.state.residents if str(r.id) == mine["id"])
    assert screen.last_visit_text(r) == "尚未走访"
    assert await screen.state.log_visit(mine["id"], "一切正常")
    r = next(r for r in screen.state.residents if str(r.id) == mine["id"])
    assert screen.last_visit_text(r) == "上次走访：今天"
    assert any("走访测试" in x for x in texts(screen.column))
    outsider = await signed_in(stack, tmp_path, people.worker_2)
    theirs = ResidentsState(outsider)
    assert not await theirs.log_visit(mine["id"])  # not theirs: refused, with a message
    await app.client.aclose()
    await outsider.client.aclose()
