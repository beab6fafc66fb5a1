"""A resident withdraws an open case in the citizen app (Chromium, phone) while its worker looks at the
grid app (Chromium, tablet): the task leaves the worker's inbox live. The worker's case shows the
landmark and the navigate buttons, and no developer text about map tiles."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, GRIDS, item, make_people, only_workers

from .conftest import quiet_grid
from .flutter import by_id, type_into
from .test_grid_flow import TABLET, sign_in

PHONE = (390, 844)
WAIT = 60_000  # ms: the machine is shared


def test_a_resident_withdraws_and_the_worker_s_inbox_loses_the_task(db, make_user, stack, serve_app, open_app,
                                                                     tmp_path) -> None:
    people = make_people(db, make_user)
    only_workers(db, GRIDS[0], (people.worker_1.id, True))
    quiet_grid(db, GRIDS[0])
    row = {"category_code": item(db, "city_mgmt")["code"], "description": "井盖松动 loose manhole cover",
           "lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1], "address": "和平区 · 第1网格", "landmark": "3号楼东侧"}
    report = people.citizen_a.client.table("reports").insert(row).execute().data[0]

    grid_url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                         CITYLOOP_HOME=str(tmp_path / "grid-data"), CITYLOOP_TILE_URL="")
    tablet = open_app(grid_url, *TABLET)
    tablet.set_default_timeout(WAIT)
    sign_in(tablet, people.worker_1.email, people.worker_1.password)
    task_row = by_id(tablet, f"task-{report['id']}")
    expect(task_row).to_contain_text("3号楼东侧", timeout=WAIT)
    task_row.click()
    expect(by_id(tablet, "case-place")).to_contain_text("和平区 · 第1网格 · 3号楼东侧", timeout=WAIT)
    expect(by_id(tablet, "nav-amap")).to_be_visible(timeout=WAIT)
    expect(tablet.get_by_text("CITYLOOP_TILE_URL")).to_have_count(0)

    citizen_url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                            CITYLOOP_HOME=str(tmp_path / "app-data"))
    phone = open_app(citizen_url, *PHONE)
    phone.set_default_timeout(WAIT)
    by_id(phone, "account-submit").wait_for()
    type_into(phone, "手机号或邮箱", people.citizen_a.email)
    type_into(phone, "密码", people.citizen_a.password)
    by_id(phone, "account-submit").click()
    by_id(phone, "action-report").wait_for()
    by_id(phone, f"case-{report['id']}").click()  # home lists my open cases
    case = phone
    expect(by_id(case, "case-status")).to_contain_text("已派发", timeout=WAIT)
    expect(by_id(case, "case-place")).to_contain_text("3号楼东侧", timeout=WAIT)
    type_into(case, "撤回原因", "已自行解决 fixed it myself")
    by_id(case, "withdraw").click()
    by_id(case, "withdraw-confirm").click()
    expect(by_id(case, "case-status")).to_contain_text("已撤回", timeout=WAIT)

    tablet.bring_to_front()
    expect(by_id(tablet, f"task-{report['id']}")).to_have_count(0, timeout=15_000)  # live, no reload
    status = db.execute("select status::text from public.reports where id = %s", (report["id"],)).fetchone()[0]
    assert status == "withdrawn"
