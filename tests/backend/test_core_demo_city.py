"""The demo city of seed.sql and demo_users.json, as `cityloop run` leaves it.

Demo accounts sign in and carry their role; the workers, staff and supervisor have their
assignments; the sample cases cover every state, each with a consistent timeline made by
dispatch and the case RPCs; the elderly resident's profile is set; the seed runs twice
without adding anything.
"""

from __future__ import annotations

import pytest

from backend.local_supabase.demo import demo_users
from tests.backend.core_support import GRIDS, STREETS, ensure_demo_city
from tests.conftest import StackInfo

SAMPLE = "00000000-0000-4000-b000-%"
ELDERLY = "00000000-0000-4000-8000-000000000103"
EVERY_STATE = {"dispatched", "accepted", "in_progress", "needs_info", "transferred", "resolved", "closed",
               "rejected", "reopened"}


def user(email_prefix: str) -> dict:
    return next(u for u in demo_users() if u["email"].startswith(email_prefix + "@"))


@pytest.fixture(scope="module")
def seeded(db) -> None:
    """Apply the seed again (it is idempotent) so assignments other tests moved are back."""
    ensure_demo_city(db)


def test_the_demo_accounts_cover_every_role() -> None:
    roles = [u["app_metadata"]["role"] for u in demo_users()]
    assert {r: roles.count(r) for r in set(roles)} == {"citizen": 3, "grid_worker": 4, "dept_staff": 1,
                                                      "supervisor": 1, "admin": 1}
    for u in demo_users():
        assert u["email"] and u["phone"] and u["password"] and u["user_metadata"]["display_name"]
    assert len({u["id"] for u in demo_users()}) == len(demo_users())


def test_demo_names_are_plain_chinese_names() -> None:
    # Residents read the handler's name on their case: "李强", never "李强 (demo grid worker)".
    names = [u["user_metadata"]["display_name"] for u in demo_users()]
    assert all(2 <= len(n) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in n) for n in names), names
    assert "李强" in names and len(set(names)) == len(names)


@pytest.mark.parametrize("account", demo_users(), ids=lambda u: u["email"].split("@")[0])
def test_each_demo_account_signs_in_with_its_role(stack: StackInfo, seeded, account) -> None:
    client = stack.client()
    session = client.auth.sign_in_with_password({"email": account["email"], "password": account["password"]}).session
    assert session.user.id == account["id"]
    assert session.user.app_metadata["role"] == account["app_metadata"]["role"]
    profile = client.table("profiles").select("role, display_name, phone").execute().data
    assert profile == [{"role": account["app_metadata"]["role"],
                        "display_name": account["user_metadata"]["display_name"], "phone": account["phone"]}]
    by_phone = stack.client().auth.sign_in_with_password({"phone": account["phone"], "password": account["password"]})
    assert by_phone.session.user.id == account["id"]


def test_assignments(seeded, db) -> None:
    workers = [u["id"] for u in demo_users() if u["app_metadata"]["role"] == "grid_worker"]
    rows = db.execute("select worker_id::text, grid_id::text from public.worker_grids where worker_id = any(%s::uuid[])"
                      " order by grid_id", (workers,)).fetchall()
    assert [g for _, g in rows] == list(GRIDS)  # every grid served, by exactly one demo worker
    assert sorted(w for w, _ in rows) == sorted(workers * 2)  # two grids each
    assert db.execute("select count(*) from public.worker_duty where worker_id = any(%s::uuid[]) and on_duty",
                      (workers,)).fetchone()[0] == 4
    assert db.execute("select department_code from public.department_staff where user_id = %s",
                      (user("staff")["id"],)).fetchall() == [("environment",)]
    assert sorted(r[0] for r in db.execute("select street_id::text from public.supervisor_streets where user_id = %s",
                                           (user("supervisor")["id"],))) == sorted(STREETS)


def test_the_elderly_residents_profile(stack: StackInfo, seeded) -> None:
    elderly = next(u for u in demo_users() if u["id"] == ELDERLY)
    client = stack.client()
    client.auth.sign_in_with_password({"email": elderly["email"], "password": elderly["password"]})
    profile = client.table("profiles").select("*").execute().data[0]
    assert profile["elderly_mode"] is True
    assert profile["home_area_id"] == GRIDS[2]
    assert len(profile["emergency_contacts"]) >= 1
    assert all(c["name"] and c["phone"] and c["relation"] for c in profile["emergency_contacts"])


def test_sample_cases_cover_every_state(seeded, db) -> None:
    states = {r[0] for r in db.execute("select status::text from public.reports where id::text like %s", (SAMPLE,))}
    assert states >= EVERY_STATE
    # `submitted` is a moment, not a resting state: dispatch moves every report on at once.
    assert db.execute("select count(*) from public.case_events e join public.reports r on r.id = e.report_id"
                      " where r.id::text like %s and e.to_status = 'submitted'", (SAMPLE,)).fetchone()[0] \
        == db.execute("select count(*) from public.reports where id::text like %s", (SAMPLE,)).fetchone()[0]
    assert db.execute("select count(*) from public.ratings g where g.report_id::text like %s",
                      (SAMPLE,)).fetchone()[0] >= 1


def test_each_sample_case_has_a_consistent_history(seeded, db) -> None:
    reports = db.execute("select id::text, status::text, reporter_id::text, created_at from public.reports"
                         " where id::text like %s order by id", (SAMPLE,)).fetchall()
    assert len(reports) >= len(EVERY_STATE)
    for rid, status, reporter, created_at in reports:
        events = db.execute("select from_status::text, to_status::text, actor_id::text, created_at"
                            " from public.case_events where report_id = %s order by id", (rid,)).fetchall()
        assert events[0][:3] == (None, "submitted", reporter), rid
        assert events[1][:2] == ("submitted", "dispatched"), rid
        for before, after in zip(events, events[1:]):
            assert after[0] == before[1], (rid, events)  # each change starts where the last ended
            assert after[3] >= before[3], (rid, events)  # and comes later
        assert events[-1][1] == status, rid
        assert events[0][3] == created_at, rid
        # Exactly one active task while the case is open, none once it is finished.
        active = db.execute("select count(*) from public.tasks where report_id = %s"
                            " and status in ('open', 'accepted', 'in_progress')", (rid,)).fetchone()[0]
        assert active == (0 if status in ("resolved", "closed", "rejected") else 1), (rid, status)


def test_the_reporter_and_handler_see_the_case_through_the_api(stack: StackInfo, seeded, db) -> None:
    rid, reporter = db.execute("select id::text, reporter_id::text from public.reports where id::text like %s"
                               " and status = 'in_progress' order by id limit 1", (SAMPLE,)).fetchone()
    assignee = db.execute("select assignee_id::text from public.tasks where report_id = %s"
                          " and status = 'in_progress'", (rid,)).fetchone()[0]
    for account_id in (reporter, assignee):
        account = next(u for u in demo_users() if u["id"] == account_id)
        client = stack.client()
        client.auth.sign_in_with_password({"email": account["email"], "password": account["password"]})
        assert client.table("reports").select("status").eq("id", rid).execute().data == [{"status": "in_progress"}]
        timeline = client.table("case_events").select("to_status").eq("report_id", rid).order("id").execute().data
        assert timeline[0]["to_status"] == "submitted" and timeline[-1]["to_status"] == "in_progress"
    other = user("resident2" if reporter != user("resident2")["id"] else "resident")
    client = stack.client()
    client.auth.sign_in_with_password({"email": other["email"], "password": other["password"]})
    assert client.table("reports").select("id").eq("id", rid).execute().data == []


def test_the_seed_runs_again_without_adding_anything(seeded, db) -> None:
    def counts():
        return db.execute(
            "select (select count(*) from public.reports), (select count(*) from public.case_events),"
            " (select count(*) from public.tasks), (select count(*) from public.notifications),"
            " (select count(*) from public.areas), (select count(*) from public.department_staff)").fetchone()

    before = counts()
    ensure_demo_city(db)
    assert counts() == before
    # The seed leaves no caller identity behind on the connection.
    assert db.execute("select current_user = session_user, coalesce(current_setting('request.jwt.claims', true), '')"
                      ).fetchone() == (True, "")
