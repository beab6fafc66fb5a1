"""The per-case rollup (migration 1400) that rpc/performance, rpc/city_summary and rpc/city_trend read.

Cases walk through every kind of step through the real API (file and dispatch, transfer, accept,
category change, ask and answer, resolve, reopen, resolve again, rate, withdraw, left waiting in
needs_info); after each step the table must equal a recomputation from case_events by
private.case_facts (migration 1150, written before the rollup and independent of it): the
triggers cannot drift. Nobody but the definer functions reads or writes the table.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS, GRIDS, People, file_report, item, make_people, only_workers
from tests.backend.test_core_case_rpcs import call

COLUMNS = ("report_id", "street_id", "grid_id", "source", "received_at", "first_resolved_at", "resolved_on_time",
           "reopened", "first_response_minutes", "rating", "rated_at", "transfers", "status", "due_at",
           "department_code", "worker_id", "category_code", "older")
# private.case_facts names the first resolution resolved_at; its transfers are those of the period given.
FACT_COLUMNS = tuple("resolved_at" if c == "first_resolved_at" else c for c in COLUMNS)


def rollup_rows(db: psycopg.Connection, cases: list[str]) -> list[tuple]:
    return db.execute(f"select {', '.join(COLUMNS)} from private.case_rollups where report_id = any(%s::uuid[])"
                      " order by report_id", (cases,)).fetchall()


def recomputed_rows(db: psycopg.Connection, cases: list[str]) -> list[tuple]:
    return db.execute(f"select {', '.join(FACT_COLUMNS)} from private.case_facts('-infinity', 'infinity')"
                      " where report_id = any(%s::uuid[]) order by report_id", (cases,)).fetchall()


def assert_no_drift(db: psycopg.Connection, cases: list[str], step: str) -> None:
    kept = rollup_rows(db, cases)
    assert len(kept) == len(cases), step
    assert kept == recomputed_rows(db, cases), step


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


def test_the_rollup_equals_a_recomputation_after_every_kind_of_step(db, people: People) -> None:
    a, w1, w2 = people.citizen_a, people.worker_1, people.worker_2
    code = item(db, "city_mgmt")["code"]
    other_code = db.execute("select code from public.categories where level = 3 and sla_hours is not null"
                            " and department_code = 'city_mgmt' and code <> %s order by code limit 1",
                            (code,)).fetchone()[0]
    only_workers(db, GRIDS[0], (w1.id, True))  # dispatch and re-routing land on a worker of this test
    main, withdrawn, waiting = (file_report(a, code, GRID_POINTS[0])["id"] for _ in range(3))
    cases = [main, withdrawn, waiting]
    assert_no_drift(db, cases, "filed and dispatched")
    workers = {w1.id: w1, w2.id: w2}

    def holder(rid: str):
        """The worker holding the case's active task (dispatch and category changes route it)."""
        held = db.execute("select assignee_id::text from public.tasks where report_id = %s"
                          " and status in ('open', 'accepted', 'in_progress')", (rid,)).fetchone()
        assert held and held[0] in workers, held
        return workers[held[0]]

    steps = [
        ("category changed", lambda: call(holder(main), "change_report_category", report=main, category=other_code,
                                          reason="分类有误 wrong category")),
        ("transferred", lambda: call(holder(main), "transfer_report", report=main, reason="他负责那一片 his area",
                                     to_worker=w2.id)),
        ("accepted", lambda: call(w2, "accept_report", report=main)),
        ("info requested", lambda: call(w2, "request_report_info", report=main, note="请补充照片 a photo please")),
        ("info answered", lambda: call(a, "answer_report_info", report=main, note="已补充 here it is")),
        ("resolved", lambda: call(w2, "resolve_report", report=main, note="已处理 done")),
        ("reopened", lambda: call(a, "reopen_report", report=main, note="没修好 not fixed")),
        ("accepted after reopening", lambda: call(holder(main), "accept_report", report=main)),
        ("resolved again", lambda: call(holder(main), "resolve_report", report=main, note="这次好了 fixed now")),
        ("rated", lambda: call(a, "rate_report", report=main, score=4)),
        ("withdrawn", lambda: call(a, "withdraw_report", report=withdrawn, reason="自己解决了 sorted myself")),
        ("waiting accepted", lambda: call(holder(waiting), "accept_report", report=waiting)),
        ("waiting asked", lambda: call(holder(waiting), "request_report_info", report=waiting, note="在哪里 where exactly?")),
    ]
    for name, step in steps:
        step()
        assert_no_drift(db, cases, name)
    # The walk did reach every figure the rollup holds.
    row = dict(zip(COLUMNS, rollup_rows(db, [main])[0]))
    assert row["reopened"] and row["rating"] == 4 and row["transfers"] == 2 and row["first_resolved_at"]
    assert row["first_response_minutes"] is not None and row["status"] in ("resolved", "closed")
    statuses = dict(db.execute("select report_id::text, status::text from private.case_rollups"
                               " where report_id = any(%s::uuid[])", (cases,)).fetchall())
    assert statuses[withdrawn] == "withdrawn" and statuses[waiting] == "needs_info"


def test_a_report_change_the_facts_read_rewrites_the_row(db, people: People) -> None:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    other_street_grid = db.execute("select id::text from public.areas where level = 'grid' and id <> "
                                   " (select grid_id from public.reports where id = %s) order by code limit 1",
                                   (rid,)).fetchone()[0]
    db.execute("update public.reports set grid_id = %s, source = 'hotline' where id = %s", (other_street_grid, rid))
    assert_no_drift(db, [rid], "moved to another grid, source changed")
    assert db.execute("select grid_id::text, source::text from private.case_rollups where report_id = %s",
                      (rid,)).fetchone() == (other_street_grid, "hotline")


def test_the_backfill_writes_what_the_triggers_keep(db, people: People) -> None:
    before = db.execute("select r::text from private.case_rollups r order by report_id").fetchall()
    written = db.execute("select private.backfill_case_rollups()").fetchone()[0]
    assert written == len(before)
    assert db.execute("select r::text from private.case_rollups r order by report_id").fetchall() == before


ROLES = {
    "anon": {"role": "anon"},
    "citizen": {"role": "authenticated", "app_metadata": {"role": "citizen"}},
    "admin": {"role": "authenticated", "app_metadata": {"role": "admin"}},
    "service_role": {"role": "service_role"},
}
ATTEMPTS = {
    "select": "select count(*) from private.case_rollups",
    "insert": "insert into private.case_rollups (report_id, received_at, reopened, transfers, status, older)"
              " select id, now(), false, 0, 'submitted', false from public.reports limit 1",
    "update": "update private.case_rollups set rating = 1",
    "delete": "delete from private.case_rollups",
    "source": "select count(*) from private.case_rollup_source",
    "refresh": "select private.refresh_case_rollup(gen_random_uuid())",
    "backfill": "select private.backfill_case_rollups()",
}


@pytest.fixture(scope="module")
def a_case(db, people: People) -> str:
    """A case the rollup holds, so a denied read or write has something to reach."""
    return file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
def test_no_api_role_reads_or_writes_the_rollup(db, people: People, a_case: str, role: str, attempt: str) -> None:
    claims = {"sub": people.citizen_b.id, **ROLES[role]}
    before = db.execute("select md5(string_agg(r::text, '|' order by report_id)) from private.case_rollups r").fetchone()
    with db.transaction():
        db.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        db.execute(f"set local role {ROLES[role]['role']}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with db.transaction():
                db.execute(ATTEMPTS[attempt])
    after = db.execute("select md5(string_agg(r::text, '|' order by report_id)) from private.case_rollups r").fetchone()
    assert after == before and before[0] is not None


def test_the_api_does_not_reach_the_rollup(people: People, anon) -> None:
    """Through the HTTP API: the private schema is not served, to anyone."""
    for client in (anon, people.citizen_b.client, people.supervisor.client):
        with pytest.raises(APIError):
            client.schema("private").table("case_rollups").select("*").execute()
        with pytest.raises(APIError):
            client.schema("private").rpc("backfill_case_rollups", {}).execute()
