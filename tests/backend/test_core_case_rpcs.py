"""Case RPCs: each legal transition writes one case_events row; each refusal has its error code and changes nothing."""

from __future__ import annotations

from typing import Callable

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import city, people  # noqa: F401 - fixtures
from tests.backend.core_support import (GRID_POINTS, OUTSIDE, STAFF_DEPARTMENT, file_report)


@pytest.fixture()
def case(people, city) -> str:
    """A fresh report by citizen A in grid 1, dispatched to worker 1."""
    return file_report(people.citizen_a, city, GRID_POINTS[0])["id"]


def call(user, name: str, **args) -> dict:
    return user.client.rpc(name, args).execute().data


def snapshot(db, rid: str) -> tuple:
    return db.execute(
        """select (select r::text from public.reports r where id = %(r)s),
                  (select count(*) from public.case_events where report_id = %(r)s),
                  (select string_agg(t::text, '|' order by t.created_at, t.id) from public.tasks t where report_id = %(r)s),
                  (select count(*) from public.notifications where report_id = %(r)s),
                  (select count(*) from public.ratings where report_id = %(r)s),
                  (select count(*) from public.report_followers where report_id = %(r)s)""", {"r": rid}).fetchone()


def refused(db, rid: str, code: str, action: Callable[[], object]) -> None:
    before = snapshot(db, rid)
    with pytest.raises(APIError) as err:
        action()
    assert err.value.code == code, err.value.message
    assert snapshot(db, rid) == before


def statuses(db, rid: str) -> list[str]:
    return [r[0] for r in db.execute("select to_status::text from public.case_events where report_id = %s order by id",
                                     (rid,)).fetchall()]


def active_task(db, rid: str) -> tuple:
    return db.execute("select queue::text, assignee_id::text, department_code, status::text from public.tasks"
                      " where report_id = %s and status in ('open', 'accepted', 'in_progress')", (rid,)).fetchone()


def test_the_whole_loop_with_every_wrong_move_refused(people, case, db) -> None:
    a, b, w1, w2 = people.citizen_a, people.citizen_b, people.worker_1, people.worker_2
    refused(db, case, "PT404", lambda: call(w2, "accept_report", report=case))  # not their grid: not even visible
    refused(db, case, "PT404", lambda: call(b, "accept_report", report=case))
    refused(db, case, "PT403", lambda: call(a, "accept_report", report=case))
    refused(db, case, "PT409", lambda: call(w1, "start_report", report=case))
    refused(db, case, "PT409", lambda: call(w1, "resolve_report", report=case, note="done"))
    assert call(w1, "accept_report", report=case)["status"] == "accepted"
    assert active_task(db, case) == ("worker", w1.id, None, "accepted")
    refused(db, case, "PT409", lambda: call(w1, "accept_report", report=case))
    assert call(w1, "start_report", report=case)["status"] == "in_progress"
    refused(db, case, "PT400", lambda: call(w1, "request_report_info", report=case, note="  "))
    assert call(w1, "request_report_info", report=case, note="哪一栋楼？ Which building?")["status"] == "needs_info"
    refused(db, case, "PT403", lambda: call(w1, "answer_report_info", report=case, note="me"))
    refused(db, case, "PT404", lambda: call(b, "answer_report_info", report=case, note="me"))
    assert call(a, "answer_report_info", report=case, note="3号楼")["status"] == "in_progress"
    refused(db, case, "PT400", lambda: call(w1, "resolve_report", report=case, note=""))
    refused(db, case, "PT400", lambda: call(w1, "resolve_report", report=case, note="x", photos=[str(i) for i in range(10)]))
    done = call(w1, "resolve_report", report=case, note="已清理 cleaned", photos=[f"reports/{w1.id}/after.jpg"])
    assert (done["status"], done["resolution_note"], done["resolution_photos"]) == \
        ("resolved", "已清理 cleaned", [f"reports/{w1.id}/after.jpg"])
    assert active_task(db, case) is None
    refused(db, case, "PT403", lambda: call(w1, "reopen_report", report=case, note="no"))
    refused(db, case, "PT400", lambda: call(a, "reopen_report", report=case, note=""))
    assert call(a, "reopen_report", report=case, note="还是很脏 still dirty")["status"] == "reopened"
    assert active_task(db, case) == ("worker", w1.id, None, "open")  # back to the same handler
    kinds = dict(db.execute("select user_id::text, kind from public.notifications where report_id = %s"
                            " and kind = 'case_reopened'", (case,)).fetchall())
    supervisors = {r[0] for r in db.execute("select user_id::text from public.supervisor_streets where street_id ="
                                            " (select street_id from public.reports where id = %s)", (case,)).fetchall()}
    assert people.supervisor.id in supervisors and set(kinds) == {w1.id} | supervisors
    call(w1, "accept_report", report=case)
    call(w1, "resolve_report", report=case, note="再次清理 cleaned again")
    refused(db, case, "PT400", lambda: call(a, "rate_report", report=case, score=6))
    refused(db, case, "PT403", lambda: call(w1, "rate_report", report=case, score=5))
    assert call(a, "rate_report", report=case, score=4, comment="快 fast")["status"] == "closed"
    refused(db, case, "PT409", lambda: call(a, "rate_report", report=case, score=5))
    refused(db, case, "PT409", lambda: call(a, "close_report", report=case))
    refused(db, case, "PT409", lambda: call(a, "reopen_report", report=case, note="again"))
    assert statuses(db, case) == ["submitted", "dispatched", "accepted", "in_progress", "needs_info", "in_progress",
                                  "resolved", "reopened", "accepted", "resolved", "closed"]
    assert db.execute("select score, comment from public.ratings where report_id = %s", (case,)).fetchone() == (4, "快 fast")
    assert [r["score"] for r in a.client.table("ratings").select("score").eq("report_id", case).execute().data] == [4]
    assert b.client.table("ratings").select("score").eq("report_id", case).execute().data == []
    roles = db.execute("select actor_role from public.case_events where report_id = %s order by id", (case,)).fetchall()
    assert [r[0] for r in roles][2:4] == ["grid_worker", "grid_worker"]


def test_every_event_names_its_actor_and_the_reporter_is_told(people, case, db) -> None:
    w1 = people.worker_1
    call(w1, "accept_report", report=case)
    actor = db.execute("select actor_id::text, actor_role, from_status::text from public.case_events"
                       " where report_id = %s order by id desc limit 1", (case,)).fetchone()
    assert actor == (w1.id, "grid_worker", "dispatched")
    timeline = people.citizen_a.client.table("case_events").select("to_status").eq("report_id", case).order("id").execute()
    assert [r["to_status"] for r in timeline.data] == ["submitted", "dispatched", "accepted"]
    assert db.execute("select count(*) from public.notifications where report_id = %s and user_id = %s"
                      " and kind = 'report_status'", (case, people.citizen_a.id)).fetchone()[0] == 1


def test_a_transfer_to_a_department_moves_the_case(people, case, db) -> None:
    w1, staff = people.worker_1, people.staff
    refused(db, case, "PT404", lambda: call(staff, "accept_report", report=case))
    refused(db, case, "PT400", lambda: call(w1, "transfer_report", report=case, reason="", to_department=STAFF_DEPARTMENT))
    refused(db, case, "PT400", lambda: call(w1, "transfer_report", report=case, reason="x"))
    refused(db, case, "PT400", lambda: call(w1, "transfer_report", report=case, reason="x",
                                            to_department=STAFF_DEPARTMENT, to_worker=people.worker_2.id))
    refused(db, case, "PT400", lambda: call(w1, "transfer_report", report=case, reason="x", to_department="nope"))
    refused(db, case, "PT400", lambda: call(w1, "transfer_report", report=case, reason="x",
                                            to_worker=people.citizen_b.id))
    refused(db, case, "PT403", lambda: call(people.citizen_a, "transfer_report", report=case, reason="x",
                                            to_department=STAFF_DEPARTMENT))
    moved = call(w1, "transfer_report", report=case, reason="油烟归环保 fumes are environment's",
                 to_department=STAFF_DEPARTMENT)
    assert (moved["status"], moved["department_code"]) == ("transferred", STAFF_DEPARTMENT)
    assert active_task(db, case) == ("department", None, STAFF_DEPARTMENT, "open")
    assert db.execute("select count(*) from public.notifications where report_id = %s and user_id = %s"
                      " and kind = 'task_assigned'", (case, staff.id)).fetchone()[0] == 1
    # The old holder no longer handles it, but keeps seeing the case they held.
    refused(db, case, "PT403", lambda: call(w1, "accept_report", report=case))
    assert call(staff, "accept_report", report=case)["status"] == "accepted"
    assert active_task(db, case) == ("department", staff.id, STAFF_DEPARTMENT, "accepted")
    assert call(staff, "resolve_report", report=case, note="已处罚 fined")["status"] == "resolved"
    assert statuses(db, case)[-3:] == ["transferred", "accepted", "resolved"]


def test_a_transfer_to_another_grid_worker(people, case, db) -> None:
    w1, w2 = people.worker_1, people.worker_2
    call(w1, "accept_report", report=case)
    call(w1, "transfer_report", report=case, reason="跨网格 other grid", to_worker=w2.id)
    assert active_task(db, case) == ("worker", w2.id, None, "open")
    assert call(w2, "accept_report", report=case)["status"] == "accepted"


def test_reject_a_duplicate_with_a_reason(people, case, city, db) -> None:
    w1 = people.worker_1
    dup = file_report(people.citizen_b, city, GRID_POINTS[0])["id"]
    refused(db, dup, "PT400", lambda: call(w1, "reject_report", report=dup, reason=""))
    refused(db, dup, "PT400", lambda: call(w1, "reject_report", report=dup, reason="dup", duplicate_of=dup))
    refused(db, dup, "PT403", lambda: call(people.citizen_b, "reject_report", report=dup, reason="mine"))
    out = call(w1, "reject_report", report=dup, reason="重复上报 duplicate", duplicate_of=case)
    assert (out["status"], out["duplicate_of"]) == ("rejected", case)
    assert active_task(db, dup) is None
    reason = people.citizen_b.client.table("case_events").select("note").eq("report_id", dup).eq("to_status", "rejected")
    assert reason.execute().data == [{"note": "重复上报 duplicate"}]
    refused(db, dup, "PT409", lambda: call(w1, "accept_report", report=dup))
    refused(db, dup, "PT409", lambda: call(w1, "reject_report", report=dup, reason="again"))
    assert statuses(db, case) == ["submitted", "dispatched"]  # the original is untouched


def test_supervisors_handle_their_queue_and_oversee_their_street(people, city, db) -> None:
    sup, w1 = people.supervisor, people.worker_1
    outside = file_report(people.citizen_a, city, OUTSIDE)["id"]
    refused(db, outside, "PT404", lambda: call(w1, "accept_report", report=outside))
    refused(db, outside, "PT404", lambda: call(people.staff, "accept_report", report=outside))
    assert call(sup, "accept_report", report=outside)["status"] == "accepted"
    assert active_task(db, outside) == ("supervisor", sup.id, None, "accepted")
    assert call(sup, "resolve_report", report=outside, note="已转交区里 passed to the district")["status"] == "resolved"
    refused(db, outside, "PT404", lambda: call(people.citizen_b, "close_report", report=outside))
    assert call(sup, "close_report", report=outside)["status"] == "closed"
    # Oversight: a supervisor may act on a worker's case in their street; another street's may not.
    in_street = file_report(people.citizen_a, city, GRID_POINTS[0])["id"]
    assert call(sup, "reject_report", report=in_street, reason="无效 invalid")["status"] == "rejected"
    other = file_report(people.citizen_b, city, GRID_POINTS[4])["id"]
    refused(db, other, "PT404", lambda: call(sup, "accept_report", report=other))


def test_reopen_only_within_seven_days(people, case, db) -> None:
    w1, a = people.worker_1, people.citizen_a
    call(w1, "accept_report", report=case)
    call(w1, "resolve_report", report=case, note="done")
    db.execute("update public.reports set resolved_at = now() - interval '8 days' where id = %s", (case,))
    refused(db, case, "PT409", lambda: call(a, "reopen_report", report=case, note="late"))
    refused(db, case, "PT403", lambda: call(w1, "close_report", report=case))
    assert call(a, "close_report", report=case)["status"] == "closed"


def test_comments_keep_the_status(people, case, db) -> None:
    assert call(people.citizen_a, "comment_report", report=case, note="还在 still there")["status"] == "dispatched"
    assert call(people.worker_1, "comment_report", report=case, note="马上到 on my way")["status"] == "dispatched"
    refused(db, case, "PT404", lambda: call(people.staff, "comment_report", report=case, note="x"))
    refused(db, case, "PT400", lambda: call(people.citizen_a, "comment_report", report=case, note=""))
    events = db.execute("select from_status::text, to_status::text, note from public.case_events"
                        " where report_id = %s order by id", (case,)).fetchall()[2:]
    assert events == [("dispatched", "dispatched", "还在 still there"), ("dispatched", "dispatched", "马上到 on my way")]


def test_nearby_open_reports_and_follow(people, case, city, db, anon) -> None:
    b = people.citizen_b
    lat, lon = GRID_POINTS[0]
    near = call(b, "nearby_open_reports", lat=lat + 0.00027, lon=lon, category=city)  # about 30 m north
    hit = [r for r in near if r["id"] == case]
    assert len(hit) == 1 and hit[0]["distance_m"] == 30 and set(hit[0]) == \
        {"id", "category_code", "status", "distance_m", "mine", "created_at"}  # no address; rounded to 10 m
    assert case not in [r["id"] for r in call(b, "nearby_open_reports", lat=lat + 0.0009, lon=lon, category=city)]
    assert case in [r["id"] for r in call(b, "nearby_open_reports", lat=lat + 0.0009, lon=lon, category=city,
                                          radius_m=120)]
    other = db.execute("select code from public.categories where level = 3 and code <> %s limit 1", (city,)).fetchone()[0]
    assert case not in [r["id"] for r in call(b, "nearby_open_reports", lat=lat, lon=lon, category=other)]
    assert b.client.table("reports").select("id").eq("id", case).execute().data == []
    assert call(b, "follow_report", report=case) is True
    assert call(b, "follow_report", report=case) is True  # idempotent
    # Following gives status, not the case (test_follow_status.py).
    assert b.client.table("reports").select("id").eq("id", case).execute().data == []
    assert [r["status"] for r in call(b, "followed_report_status", report=case)] == ["dispatched"]
    call(people.worker_1, "accept_report", report=case)
    assert db.execute("select count(*) from public.notifications where report_id = %s and user_id = %s"
                      " and kind = 'followed_report_status'", (case, b.id)).fetchone()[0] == 1
    call(people.worker_1, "reject_report", report=case, reason="x")
    assert case not in [r["id"] for r in call(b, "nearby_open_reports", lat=lat, lon=lon, category=city)]
    refused(db, case, "PT404", lambda: call(people.staff, "follow_report", report=case))
    with pytest.raises(APIError) as err:
        anon.rpc("follow_report", {"report": case}).execute()
    assert err.value.code == "42501"


def test_the_service_role_acts_as_a_job(people, case, service, db) -> None:
    out = service.rpc("accept_report", {"report": case}).execute().data
    assert out["status"] == "accepted"
    assert db.execute("select actor_id, actor_role from public.case_events where report_id = %s order by id desc limit 1",
                      (case,)).fetchone() == (None, "service")
