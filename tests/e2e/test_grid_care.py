"""Care watch in the grid app, in Chromium on a 1280x800 tablet: an alert made by a scan of a month of
readings shows up with its evidence chart, the worker records the outcome and closes it; the Residents
screen lists the people living alone in the grid. Screenshots: docs/screenshots/grid-care-*.png."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from backend.jobs.care_watch import run_scan
from tests.backend.care_support import add_month_of_readings, make_subject
from tests.backend.core_support import GRIDS, People, make_people, only_workers

from .conftest import quiet_grid
from .flutter import by_id
from .test_grid_flow import TABLET, shot, sign_in


@pytest.fixture()
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    quiet_grid(db, GRIDS[0])
    return p


def open_destination(page, label: str) -> None:
    page.get_by_role("tab", name=label).or_(page.get_by_text(label)).first.click()


def test_care_alert_follow_up_and_residents(people, db, service, stack, serve_app, open_app, tmp_path) -> None:
    s = make_subject(db, GRIDS[0], name="刘淑珍")
    add_month_of_readings(db, s["id"], silent_hours=20)
    run_scan(service)
    alert_id = db.execute("select id from public.care_alerts where subject_id = %s", (s["id"],)).fetchone()[0]

    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "grid-data"))
    page = open_app(url, *TABLET)
    sign_in(page, people.worker_1.email, people.worker_1.password)
    open_destination(page, "关爱预警")
    row = by_id(page, f"care-alert-{alert_id}")
    expect(row).to_be_visible(timeout=20_000)
    row.click()
    expect(by_id(page, "care-evidence")).to_be_visible(timeout=15_000)
    expect(by_id(page, "care-call-person")).to_contain_text("13800009999")
    expect(by_id(page, "care-call-family-0")).to_contain_text("13900009999")
    shot(page, "grid-care-alert.png")

    page.get_by_role("radio", name="已上门查看").click()
    by_id(page, "care-outcome-safe").click()
    by_id(page, "care-close").click()
    expect(row).to_be_hidden(timeout=15_000)  # closed: it leaves the list
    status, = db.execute("select status from public.care_alerts where id = %s", (alert_id,)).fetchone()
    assert status == "closed"
    action, outcome = db.execute("select action, outcome from public.care_followups where alert_id = %s",
                                 (alert_id,)).fetchone()
    assert (action, outcome) == ("visited", "safe")

    open_destination(page, "独居老人")
    expect(by_id(page, f"resident-{s['id']}")).to_be_visible(timeout=15_000)
    shot(page, "grid-care-residents.png")  # "last visit: today", from the visit just recorded
    by_id(page, f"resident-visit-{s['id']}").click()  # log a routine visit
    deadline = time.monotonic() + 15
    while db.execute("select count(*) from public.care_followups where subject_id = %s and alert_id is null",
                     (s["id"],)).fetchone()[0] != 1:
        assert time.monotonic() < deadline, "the visit was not logged"
        time.sleep(0.2)
