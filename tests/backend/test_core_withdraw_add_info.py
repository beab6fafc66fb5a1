"""Migration 20261201000800: withdraw_report, add_report_info and reports.landmark, through the HTTP API.

Allowed for the reporter on open cases; refused (with its code, nothing changed, checked in SQL)
for anon, a stranger who knows the id, a follower, the handling worker, another street's worker,
the supervisor, and on closed cases. withdrawn counts as closed wherever open cases are listed.
"""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from shared.models import LANDMARK_MAX_LENGTH, ReportStatus
from shared.status import OPEN_STATUSES
from tests.backend.case_fixtures import city, people  # noqa: F401 - fixtures
from tests.backend.core_support import GRID_POINTS, file_report
from tests.backend.test_core_case_rpcs import call, refused

PHOTOS = "report-photos"
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16


@pytest.fixture()
def case(people, city) -> str:
    """A fresh report by citizen A in grid 1, dispatched to worker 1; citizen B follows it."""
    rid = file_report(people.citizen_a, city, GRID_POINTS[0])["id"]
    call(people.citizen_b, "follow_report", report=rid)
    return rid


def upload(user, name: str | None = None) -> str:
    name = name or f"{user.id}/{uuid.uuid4().hex}.jpg"
    user.client.storage.from_(PHOTOS).upload(name, JPEG, {"content-type": "image/jpeg"})
    return name


def notified(db, rid: str, user_id: str, kind: str) -> int:
    return db.execute("select count(*) from public.notifications where report_id = %s and user_id = %s and kind = %s",
                      (rid, user_id, kind)).fetchone()[0]


def event_count(db, rid: str) -> int:
    return db.execute("select count(*) from public.case_events where report_id = %s", (rid,)).fetchone()[0]


def visible_active_tasks(user, rid: str) -> list[dict]:
    return (user.client.table("tasks").select("id").eq("report_id", rid)
            .in_("status", ["open", "accepted", "in_progress"]).execute().data)


def test_python_mirrors_the_sql_status_enum_and_the_closed_states(db) -> None:
    values = [r[0] for r in db.execute("select unnest(enum_range(null::public.report_status))::text").fetchall()]
    assert sorted(values) == sorted(s.value for s in ReportStatus)
    open_in_sql = {r[0] for r in db.execute(
        "select s::text from unnest(enum_range(null::public.report_status)) s where private.is_open_status(s)")}
    assert open_in_sql == {s.value for s in OPEN_STATUSES}
    assert "withdrawn" not in open_in_sql


# ---------------------------------------------------------------- withdraw_report


def test_the_reporter_withdraws_an_open_case_and_it_leaves_the_worker_s_inbox(people, case, db) -> None:
    a, w1 = people.citizen_a, people.worker_1
    call(w1, "accept_report", report=case)
    assert len(visible_active_tasks(w1, case)) == 1
    before = event_count(db, case)
    out = call(a, "withdraw_report", report=case, reason="已自行解决 fixed it myself")
    assert out["status"] == "withdrawn"
    assert event_count(db, case) == before + 1
    assert db.execute("select actor_id::text, actor_role, from_status::text, to_status::text, note"
                      " from public.case_events where report_id = %s order by id desc limit 1", (case,)).fetchone() == \
        (a.id, "citizen", "accepted", "withdrawn", "已自行解决 fixed it myself")
    assert visible_active_tasks(w1, case) == []
    assert db.execute("select status::text from public.tasks where report_id = %s order by created_at desc limit 1",
                      (case,)).fetchone()[0] == "cancelled"
    assert notified(db, case, w1.id, "report_withdrawn") == 1
    assert notified(db, case, people.citizen_b.id, "followed_report_status") >= 1  # the follower sees the status
    assert notified(db, case, a.id, "report_withdrawn") == 0


def test_withdraw_is_refused_to_everyone_but_the_reporter(people, case, db, anon) -> None:
    refused(db, case, "PT404", lambda: call(people.worker_2, "withdraw_report", report=case, reason="x"))
    refused(db, case, "PT404", lambda: call(people.staff, "withdraw_report", report=case, reason="x"))
    # A follower does not read the case, so to them it does not exist.
    refused(db, case, "PT404", lambda: call(people.citizen_b, "withdraw_report", report=case, reason="x"))
    refused(db, case, "PT403", lambda: call(people.worker_1, "withdraw_report", report=case, reason="x"))
    refused(db, case, "PT403", lambda: call(people.supervisor, "withdraw_report", report=case, reason="x"))
    refused(db, case, "42501", lambda: anon.rpc("withdraw_report", {"report": case, "reason": "x"}).execute())
    refused(db, case, "PT400", lambda: call(people.citizen_a, "withdraw_report", report=case, reason="  "))
    refused(db, case, "PT400", lambda: call(people.citizen_a, "withdraw_report", report=case, reason="x" * 2001))
    with pytest.raises(APIError) as err:
        call(people.citizen_a, "withdraw_report", report=str(uuid.uuid4()), reason="x")
    assert err.value.code == "PT404"


def test_a_stranger_who_knows_the_id_is_refused(people, city, db, make_user) -> None:
    rid = file_report(people.citizen_a, city, GRID_POINTS[0])["id"]  # nobody follows this one
    stranger = make_user(app_metadata={"role": "citizen"})
    refused(db, rid, "PT404", lambda: call(stranger, "withdraw_report", report=rid, reason="x"))
    refused(db, rid, "PT404", lambda: call(stranger, "add_report_info", report=rid, note="x"))


def test_closed_cases_cannot_be_withdrawn(people, case, city, db) -> None:
    a, w1 = people.citizen_a, people.worker_1
    call(w1, "accept_report", report=case)
    call(w1, "resolve_report", report=case, note="修好了 fixed")
    refused(db, case, "PT409", lambda: call(a, "withdraw_report", report=case, reason="x"))
    rejected = file_report(a, city, GRID_POINTS[0])["id"]
    call(w1, "reject_report", report=rejected, reason="重复 duplicate")
    refused(db, rejected, "PT409", lambda: call(a, "withdraw_report", report=rejected, reason="x"))
    withdrawn = file_report(a, city, GRID_POINTS[0])["id"]
    call(a, "withdraw_report", report=withdrawn, reason="不需要了")
    refused(db, withdrawn, "PT409", lambda: call(a, "withdraw_report", report=withdrawn, reason="x"))
    refused(db, withdrawn, "PT409", lambda: call(w1, "accept_report", report=withdrawn))
    refused(db, withdrawn, "PT409", lambda: call(a, "add_report_info", report=withdrawn, note="x"))


def test_a_withdrawn_case_is_closed_for_duplicates_follows_and_escalations(people, city, db, service) -> None:
    a, b = people.citizen_a, people.citizen_b
    lat, lon = GRID_POINTS[0]
    rid = file_report(a, city, (lat, lon))["id"]
    assert rid in [r["id"] for r in call(b, "nearby_open_reports", lat=lat, lon=lon, category=city)]
    call(a, "withdraw_report", report=rid, reason="不需要了")
    assert rid not in [r["id"] for r in call(b, "nearby_open_reports", lat=lat, lon=lon, category=city)]
    refused(db, rid, "PT404", lambda: call(b, "follow_report", report=rid))
    db.execute("update public.reports set due_at = now() - interval '1 hour' where id = %s", (rid,))
    service.rpc("run_escalations", {}).execute()
    assert db.execute("select count(*) from public.case_events where report_id = %s and note like 'overdue%%'",
                      (rid,)).fetchone()[0] == 0


# ---------------------------------------------------------------- add_report_info


def test_the_reporter_adds_a_note_with_photos_the_handler_sees_them(people, case, db) -> None:
    a, w1, w2 = people.citizen_a, people.worker_1, people.worker_2
    photo = upload(a)
    before = event_count(db, case)
    out = call(a, "add_report_info", report=case, note="在3号楼东侧 east of building 3", photos=[photo, photo])
    assert out["status"] == "dispatched"
    assert event_count(db, case) == before + 1
    rows = w1.client.table("case_events").select("from_status,to_status,kind,note,photos,actor_role") \
        .eq("report_id", case).eq("kind", "info_added").execute().data
    assert rows == [{"from_status": "dispatched", "to_status": "dispatched", "kind": "info_added",
                     "note": "在3号楼东侧 east of building 3", "photos": [photo], "actor_role": "citizen"}]
    assert notified(db, case, w1.id, "info_added") == 1
    assert w1.client.storage.from_(PHOTOS).download(photo) == JPEG
    with pytest.raises(Exception):
        w2.client.storage.from_(PHOTOS).download(photo)
    # Attached to the timeline: its uploader can no longer delete it.
    a.client.storage.from_(PHOTOS).remove([photo])
    assert db.execute("select count(*) from storage.objects where bucket_id = %s and name = %s",
                      (PHOTOS, photo)).fetchone()[0] == 1


def test_add_info_is_refused_to_everyone_but_the_reporter(people, case, db, anon) -> None:
    mine = upload(people.citizen_a)
    refused(db, case, "PT404", lambda: call(people.worker_2, "add_report_info", report=case, note="x"))
    refused(db, case, "PT404", lambda: call(people.citizen_b, "add_report_info", report=case, note="x"))  # follower
    refused(db, case, "PT403", lambda: call(people.worker_1, "add_report_info", report=case, note="x"))
    refused(db, case, "PT403", lambda: call(people.supervisor, "add_report_info", report=case, note="x"))
    refused(db, case, "42501", lambda: anon.rpc("add_report_info", {"report": case, "note": "x"}).execute())
    a = people.citizen_a
    refused(db, case, "PT400", lambda: call(a, "add_report_info", report=case, note=" "))
    others = upload(people.citizen_b)
    refused(db, case, "PT400", lambda: call(a, "add_report_info", report=case, note="x", photos=[others]))
    refused(db, case, "PT400", lambda: call(a, "add_report_info", report=case, note="x",
                                           photos=[f"{a.id}/{uuid.uuid4().hex}.jpg"]))  # never uploaded
    refused(db, case, "PT400", lambda: call(a, "add_report_info", report=case, note="x",
                                           photos=[upload(a) for _ in range(10)]))
    refused(db, case, "PT400", lambda: call(a, "add_report_info", report=case, note="x", photos=[mine, None]))


def test_add_info_is_refused_on_a_closed_case(people, case, db) -> None:
    call(people.worker_1, "accept_report", report=case)
    call(people.worker_1, "resolve_report", report=case, note="修好了")
    refused(db, case, "PT409", lambda: call(people.citizen_a, "add_report_info", report=case, note="x"))


# ---------------------------------------------------------------- landmark


def test_landmark_is_kept_and_shown_to_the_worker(people, city) -> None:
    rid = file_report(people.citizen_a, city, GRID_POINTS[0], landmark="3号楼东侧")["id"]
    row = people.worker_1.client.table("reports").select("landmark").eq("id", rid).execute().data
    assert row == [{"landmark": "3号楼东侧"}]


def test_landmark_length_is_checked_in_sql_and_mirrored(people, city, db) -> None:
    a = people.citizen_a
    before = db.execute("select count(*) from public.reports where reporter_id = %s", (a.id,)).fetchone()[0]
    for bad in ("x" * (LANDMARK_MAX_LENGTH + 1), ""):
        with pytest.raises(APIError) as err:
            file_report(a, city, GRID_POINTS[0], landmark=bad)
        assert err.value.code == "23514" and "reports_landmark_length" in err.value.message
    assert db.execute("select count(*) from public.reports where reporter_id = %s", (a.id,)).fetchone()[0] == before
    assert file_report(a, city, GRID_POINTS[0], landmark="楼" * LANDMARK_MAX_LENGTH)["landmark"] == "楼" * 100
    definition = db.execute("select pg_get_constraintdef(oid) from pg_constraint"
                            " where conname = 'reports_landmark_length'").fetchone()[0]
    assert f"(length(landmark) <= {LANDMARK_MAX_LENGTH})" in definition


def test_deleting_the_reporter_unlinks_the_photos_they_added(people, city, db, make_user, service) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    rid = file_report(person, city, GRID_POINTS[0])["id"]
    photo = upload(person)
    call(person, "add_report_info", report=rid, note="补充", photos=[photo])
    service.auth.admin.delete_user(person.id)
    assert db.execute("select actor_id, note, photos from public.case_events where report_id = %s and kind = 'info_added'",
                      (rid,)).fetchone() == (None, None, [])
