"""Performance (考核) and the city summary (migrations 1140-1150) on a fixture with known answers: ten
cases in a street of their own, filed and handled through the real RPCs, then moved to March 2025
(the whole timeline by the same offset): 8 resolved before their deadline, 2 after, 1 reopened,
ratings 5, 5, 4, 2, one transfer. Every figure equals the same figure in plain SQL over case_events,
and each scope is checked allowed and denied."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import STAFF_DEPARTMENT, People, file_report, item, make_people
from tests.backend.test_core_case_rpcs import call
from tests.conftest import TestUser

PERIOD = ("2025-03-01", "2025-03-31")
MOVED_TO = "2025-03-05 10:00:00+08"
FIGURES = ("received", "resolved", "on_time_rate", "first_response_minutes_p50", "one_time_rate", "reopen_rate",
           "satisfaction_rate", "rated", "transfers", "overdue_open")


@dataclass
class Fixture:
    people: People
    admin: TestUser
    worker: TestUser  # holds nine of the cases
    other_worker: TestUser  # got the transferred one
    supervisor: TestUser  # of the fixture's street
    street: str
    street_code: str
    grid: str
    grid_code: str
    point: tuple[float, float]
    cases: list[str]


def make_area(db, level: str, parent: str | None, code: str, polygon: str | None = None) -> str:
    return db.execute("insert into public.areas (parent_id, level, code, name_zh, name_en, polygon)"
                      " values (%s, %s, %s, %s, %s, %s) returning id::text",
                      (parent, level, code, f"考核{level}", f"Perf {level}", polygon)).fetchone()[0]


@pytest.fixture(scope="module")
def fx(db, make_user) -> Fixture:
    people = make_people(db, make_user)
    tag = uuid.uuid4().hex[:6]
    # A street of its own, far from the demo city, so nothing else falls in it.
    district = make_area(db, "district", None, f"pf{tag}")
    street = make_area(db, "street", district, f"pf{tag}-s")
    community = make_area(db, "community", street, f"pf{tag}-c")
    grid = make_area(db, "grid", community, f"pf{tag}-g", "((100.0,30.0),(100.01,30.0),(100.01,30.01),(100.0,30.01))")
    point = (30.005, 100.005)
    admin = make_user(app_metadata={"role": "admin"})
    worker, other = make_user(app_metadata={"role": "grid_worker"}), make_user(app_metadata={"role": "grid_worker"})
    supervisor = make_user(app_metadata={"role": "supervisor"})
    for w, on_duty in ((worker, True), (other, False)):
        db.execute("insert into public.worker_grids (worker_id, grid_id) values (%s, %s)", (w.id, grid))
        db.execute("insert into public.worker_duty (worker_id, on_duty) values (%s, %s)", (w.id, on_duty))
    db.execute("insert into public.supervisor_streets (user_id, street_id) values (%s, %s)", (supervisor.id, street))
    code = item(db, "city_mgmt")["code"]
    a = people.citizen_a
    cases = [file_report(a, code, point)["id"] for _ in range(10)]
    call(worker, "transfer_report", report=cases[0], reason="他负责那一片 his area", to_worker=other.id)
    for i, rid in enumerate(cases):
        handler = other if i == 0 else worker
        call(handler, "accept_report", report=rid)
        if i in (0, 1):  # these two miss their deadline
            db.execute("update public.reports set due_at = now() - interval '1 minute' where id = %s", (rid,))
        call(handler, "resolve_report", report=rid, note="已处理 done")
    call(a, "reopen_report", report=cases[2], note="没修好 not fixed")
    for rid, score in zip(cases[3:7], (5, 5, 4, 2)):
        call(a, "rate_report", report=rid, score=score)
    # Move the whole story to March 2025: every timestamp by the same offset (the timeline is
    # append-only, so the test lifts that guard for this one superuser statement).
    ids = (cases,)
    offset = db.execute("select now() - %s::timestamptz", (MOVED_TO,)).fetchone()[0]
    db.execute("alter table public.case_events disable trigger case_events_append_only")
    try:
        db.execute("update public.case_events set created_at = created_at - %s, due_at = due_at - %s"
                   " where report_id = any(%s::uuid[])", (offset, offset, *ids))
    finally:
        db.execute("alter table public.case_events enable trigger case_events_append_only")
    db.execute("update public.reports set created_at = created_at - %s, due_at = due_at - %s,"
               " resolved_at = resolved_at - %s where id = any(%s::uuid[])", (offset, offset, offset, *ids))
    codes = dict(db.execute("select id::text, code from public.areas where id in (%s, %s)", (street, grid)).fetchall())
    return Fixture(people, admin, worker, other, supervisor, street, codes[street], grid, codes[grid], point, cases)


def performance(user: TestUser, group_by: str, period: tuple[str, str] = PERIOD) -> list[dict]:
    return call(user, "performance", from_date=period[0], to_date=period[1], group_by=group_by)


def row_of(rows: list[dict], code: str | None) -> dict:
    found = [r for r in rows if r["group_code"] == code]
    assert len(found) == 1, rows
    return found[0]


def figures(row: dict) -> dict:
    return {k: (float(row[k]) if isinstance(row[k], (int, float, str)) and k.endswith(("rate", "p50")) else row[k])
            for k in FIGURES}


PLAIN_SQL = """
with c as (select id from public.reports where id = any(%(cases)s::uuid[])),
ev as (select * from public.case_events where report_id in (select id from c)),
p as (select '2025-03-01'::timestamp at time zone 'Asia/Shanghai' as s, '2025-04-01'::timestamp at time zone 'Asia/Shanghai' as u),
fr as (select distinct on (report_id) report_id, created_at, due_at from ev where to_status = 'resolved'
       order by report_id, id),
disp as (select distinct on (report_id) report_id, id, created_at from ev where kind = 'dispatched' order by report_id, id),
resp as (select distinct on (e.report_id) e.report_id, e.created_at - d.created_at as took
         from ev e join disp d using (report_id)
         where e.id > d.id and e.kind in ('accepted', 'info_requested', 'transferred') order by e.report_id, e.id),
latest as (select distinct on (report_id) report_id, to_status, due_at from ev order by report_id, id desc),
reopened as (select distinct report_id from ev where kind = 'reopened')
select (select count(*) from ev, p where kind = 'filed' and created_at >= p.s and created_at < p.u),
       (select count(*) from fr, p where created_at >= p.s and created_at < p.u),
       round((select count(*) from fr where created_at < due_at)::numeric / nullif((select count(*) from fr), 0), 4),
       (select round(percentile_cont(0.5) within group (order by extract(epoch from took) / 60)::numeric, 1) from resp),
       round((select count(*) from fr where report_id not in (select report_id from reopened))::numeric
             / nullif((select count(*) from fr), 0), 4),
       round((select count(*) from fr where report_id in (select report_id from reopened))::numeric
             / nullif((select count(*) from fr), 0), 4),
       round((select count(*) from ev where kind = 'rated' and rating >= 4)::numeric
             / nullif((select count(*) from ev where kind = 'rated'), 0), 4),
       (select count(*) from ev where kind = 'rated'),
       (select count(*) from ev where kind in ('transferred', 'category_changed')),
       (select count(*) from latest where to_status not in ('resolved', 'closed', 'rejected', 'withdrawn', 'needs_info')
          and due_at < now())
"""


def plain(db, cases: list[str]) -> dict:
    values = db.execute(PLAIN_SQL, {"cases": cases}).fetchone()
    return {k: (float(v) if v is not None and k.endswith(("rate", "p50")) else v) for k, v in zip(FIGURES, values)}


def test_every_typed_column_is_written(fx, db) -> None:
    rows = db.execute("select kind, typed, department_code, assignee_id::text, category_code, due_at is not null, rating"
                      " from public.case_events where report_id = %s order by id", (fx.cases[3],)).fetchall()
    code = item(db, "city_mgmt")["code"]
    assert [r[0] for r in rows] == ["filed", "dispatched", "accepted", "resolved", "rated"]
    assert all(r[1] and r[2] == "city_mgmt" and r[4] == code and r[5] for r in rows)
    assert [r[3] for r in rows] == [fx.worker.id] * 5  # the task was the worker's from dispatch on
    assert [r[6] for r in rows] == [None, None, None, None, 5]
    transferred = db.execute("select kind, assignee_id::text from public.case_events where report_id = %s"
                             " and to_status = 'transferred'", (fx.cases[0],)).fetchall()
    assert transferred == [("transferred", fx.other_worker.id)]


def test_the_figures_are_the_known_answers_and_the_plain_sql(fx, db) -> None:
    street = row_of(performance(fx.admin, "street"), fx.street_code)
    got = figures(street)
    assert {k: got[k] for k in ("received", "resolved", "on_time_rate", "one_time_rate", "reopen_rate",
                                "satisfaction_rate", "rated", "transfers", "overdue_open")} == {
        "received": 10, "resolved": 10, "on_time_rate": 0.8, "one_time_rate": 0.9, "reopen_rate": 0.1,
        "satisfaction_rate": 0.75, "rated": 4, "transfers": 1, "overdue_open": 1}
    assert got == plain(db, fx.cases)
    assert street["group_name"] == "考核street" and street["older_events"] == 0
    grid = row_of(performance(fx.admin, "grid"), fx.grid_code)
    assert figures(grid) == got


def test_a_case_counts_with_whoever_held_it_at_its_first_resolution(fx, db) -> None:
    rows = performance(fx.admin, "worker")
    mine, theirs = row_of(rows, fx.worker.id), row_of(rows, fx.other_worker.id)
    assert figures(mine) == plain(db, fx.cases[1:])
    assert figures(theirs) == plain(db, fx.cases[:1])
    assert (theirs["received"], theirs["transfers"], theirs["on_time_rate"]) == (1, 1, 0)


def test_rates_are_null_when_nothing_to_divide(fx) -> None:
    # The period holds the ten cases' later steps only if they fell in it: April 2025 holds none of them,
    # yet the reopened case is open and overdue, so its street still has a row, with no rate.
    row = row_of(performance(fx.admin, "street", ("2025-04-01", "2025-04-30")), fx.street_code)
    assert (row["received"], row["resolved"], row["rated"], row["overdue_open"]) == (0, 0, 0, 1)
    assert all(row[k] is None for k in ("on_time_rate", "one_time_rate", "reopen_rate", "satisfaction_rate",
                                        "first_response_minutes_p50"))


def test_each_scope_sees_its_own_cases_only(fx, db) -> None:
    # The street's supervisor sees the street; the demo street's supervisor does not.
    assert figures(row_of(performance(fx.supervisor, "street"), fx.street_code)) == plain(db, fx.cases)
    assert {r["group_code"] for r in performance(fx.supervisor, "street")} <= {fx.street_code, None}
    assert fx.street_code not in {r["group_code"] for r in performance(fx.people.supervisor, "street")}
    # A grid worker: their own rows only, whatever the grouping.
    assert [r["group_code"] for r in performance(fx.worker, "worker")] == [fx.worker.id]
    assert figures(row_of(performance(fx.worker, "street"), fx.street_code)) == plain(db, fx.cases[1:])
    assert fx.street_code not in {r["group_code"] for r in performance(fx.people.worker_1, "street")}
    # Department staff: their department only (the fixture is city_mgmt's).
    assert {r["group_code"] for r in performance(fx.people.staff, "department")} <= {STAFF_DEPARTMENT}
    assert fx.street_code not in {r["group_code"] for r in performance(fx.people.staff, "street")}


@pytest.mark.parametrize("who", ["citizen_a", "citizen_b"])
def test_residents_are_refused(fx, who) -> None:
    for name, args in (("performance", {"from_date": PERIOD[0], "to_date": PERIOD[1], "group_by": "street"}),
                       ("city_summary", {})):
        with pytest.raises(APIError) as err:
            getattr(fx.people, who).client.rpc(name, args).execute()
        assert err.value.code == "PT403"


def test_anon_may_not_call(fx, anon) -> None:
    for name, args in (("performance", {"from_date": PERIOD[0], "to_date": PERIOD[1], "group_by": "street"}),
                       ("city_summary", {})):
        with pytest.raises(APIError) as err:
            anon.rpc(name, args).execute()
        assert err.value.code == "42501"


@pytest.mark.parametrize("args, message", [
    ({"from_date": "2025-03-31", "to_date": "2025-03-01", "group_by": "street"}, "not after"),
    ({"from_date": "2025-03-01", "to_date": "2025-03-31", "group_by": "house"}, "group_by is one of"),
    ({"from_date": "2000-01-01", "to_date": "2025-03-31", "group_by": "street"}, "at most ten years"),
])
def test_bad_arguments_are_refused_clearly(fx, args, message) -> None:
    with pytest.raises(APIError) as err:
        fx.admin.client.rpc("performance", args).execute()
    assert err.value.code == "PT400" and message in err.value.message


def test_the_city_summary_counts_the_callers_scope(fx, db) -> None:
    today = file_report(fx.people.citizen_b, item(db, "city_mgmt")["code"], fx.point)["id"]
    try:
        mine = call(fx.supervisor, "city_summary")
        # A supervisor oversees their street and the cases outside every grid (street_id null), which
        # other tests file too: the fixture's own figures are its grid's; the totals equal plain SQL.
        assert mine["grids"] == [{"grid_id": fx.grid, "grid_code": fx.grid_code, "open": 2, "overdue": 1}]
        assert mine["received_today_by_source"].get("citizen_app", 0) >= 1
        open_, overdue = db.execute(
            "select count(*) filter (where to_status not in ('resolved', 'closed', 'rejected', 'withdrawn')),"
            " count(*) filter (where to_status not in ('resolved', 'closed', 'rejected', 'withdrawn', 'needs_info')"
            " and due_at < now())"
            " from (select distinct on (e.report_id) e.to_status, e.due_at from public.case_events e"
            " join public.reports r on r.id = e.report_id where r.street_id = %s or r.street_id is null"
            " order by e.report_id, e.id desc) l",
            (fx.street,)).fetchone()
        assert (mine["open"], mine["overdue"]) == (open_, overdue)
        # The demo street's supervisor and worker 1 do not see the fixture's grid; the admin does.
        for other in (fx.people.supervisor, fx.people.worker_1, fx.people.staff):
            assert fx.grid not in {g["grid_id"] for g in call(other, "city_summary")["grids"]}
        city = call(fx.admin, "city_summary")
        assert {"grid_id": fx.grid, "grid_code": fx.grid_code, "open": 2, "overdue": 1} in city["grids"]
        assert city["open"] >= 2 and city["hotspots_open"] == len(call(fx.admin, "hotspots"))  # migration 1310
    finally:
        call(fx.worker, "reject_report", report=today, reason="测试结束 end of test")


def export(stack, *args: str):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, SUPABASE_URL=stack.url, SUPABASE_SERVICE_ROLE_KEY=stack.service_key)
    return subprocess.run([sys.executable, "-m", "backend.cli", "report", "export", *args], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120)


def test_the_export_has_the_rpc_rows_with_formula_safe_cells(fx, stack, db, tmp_path) -> None:
    import csv
    import io
    import zipfile

    db.execute("update public.areas set name_zh = '=1+1 考核' where id = %s", (fx.street,))
    try:
        done = export(stack, "--by", "street", "--from", PERIOD[0], "--to", PERIOD[1], "--format", "csv")
        assert done.returncode == 0, done.stderr
        lines = list(csv.reader(io.StringIO(done.stdout)))
        mine = [line for line in lines if line[0] == fx.street_code]
        rpc = row_of(performance(fx.admin, "street"), fx.street_code)
        assert mine == [["" if v is None else str(v) for v in (
            rpc["group_code"], "'=1+1 考核", rpc["received"], rpc["resolved"], rpc["on_time_rate"],
            rpc["first_response_minutes_p50"], rpc["one_time_rate"], rpc["reopen_rate"], rpc["satisfaction_rate"],
            rpc["rated"], rpc["transfers"], rpc["overdue_open"], rpc["older_events"])]]
        out = tmp_path / "p.xlsx"
        done = export(stack, "--by", "street", "--from", PERIOD[0], "--to", PERIOD[1], "--format", "xlsx",
                      "--out", str(out))
        assert done.returncode == 0 and "rows to" in done.stdout, done.stderr
        with zipfile.ZipFile(out) as z:
            assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
            assert "'=1+1 考核" in z.read("xl/sharedStrings.xml").decode()
    finally:
        db.execute("update public.areas set name_zh = '考核street' where id = %s", (fx.street,))
    bad = export(stack, "--by", "street", "--from", PERIOD[1], "--to", PERIOD[0])
    assert bad.returncode == 2 and "not after" in bad.stderr and "Traceback" not in bad.stderr
