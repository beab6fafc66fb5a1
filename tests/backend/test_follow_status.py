"""Following a case gives status, not the case (migration 20261201000300_follow_status).

A stranger who follows someone else's case reads its category, status, status steps and a
location rounded to about 100 m through followed_reports / followed_report_status, and
nothing else: not the report row, its photos (download or signed URL), case_events, tasks,
ratings, contact, workers to transfer to, nor a comment. nearby_open_reports answers within
200 m, without address, with a rounded distance, and is throttled per person.
"""

from __future__ import annotations

from typing import Callable

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import city, people  # noqa: F401 - fixtures
from tests.backend.core_support import GRID_POINTS, file_report
from tests.backend.storage_support import tag

PHOTOS = "report-photos"
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16
# Off the grid's centre, so that rounding to 0.001 degrees visibly moves the point.
POINT = (GRID_POINTS[0][0] + 0.00037, GRID_POINTS[0][1] + 0.00041)
FOLLOWER_FIELDS = {"id", "category_code", "status", "approx_lat", "approx_lon", "created_at", "updated_at",
                   "followed_at"}


@pytest.fixture()
def case(people, city) -> dict:
    """Citizen A's case with a photo, an exact address and a note on its timeline; accepted, then resolved."""
    a = people.citizen_a
    photo = f"{a.id}/{tag()}/pothole.jpg"
    a.client.storage.from_(PHOTOS).upload(photo, JPEG, {"content-type": "image/jpeg"})
    report = file_report(a, city, POINT, photos=[photo], address="和平路 12 号 3 单元 502")
    rid = report["id"]
    call(people.worker_1, "accept_report", report=rid)
    call(people.worker_1, "comment_report", report=rid, note="联系了上报人 13800001234")
    return {"id": rid, "photo": photo}


def call(user, name: str, **args):
    return user.client.rpc(name, args).execute().data


def snapshot(db, rid: str) -> tuple:
    return db.execute(
        """select (select r::text from public.reports r where id = %(r)s),
                  (select count(*) from public.case_events where report_id = %(r)s),
                  (select string_agg(t::text, '|' order by t.id) from public.tasks t where report_id = %(r)s),
                  (select count(*) from public.ratings where report_id = %(r)s)""", {"r": rid}).fetchone()


def refused(db, rid: str, codes: set[str], action: Callable[[], object]) -> None:
    before = snapshot(db, rid)
    with pytest.raises(APIError) as err:
        action()
    assert err.value.code in codes, err.value.message
    assert snapshot(db, rid) == before


def count(db, sql: str, *args) -> int:
    return db.execute(sql, args).fetchone()[0]


def test_a_stranger_who_follows_reads_status_steps_and_a_rounded_place_only(people, case, db) -> None:
    b, rid = people.citizen_b, case["id"]
    refused(db, rid, {"PT404"}, lambda: call(b, "followed_report_status", report=rid))  # not followed yet
    assert call(b, "follow_report", report=rid) is True
    [row] = [r for r in call(b, "followed_reports") if r["id"] == rid]
    assert set(row) == FOLLOWER_FIELDS
    assert (row["approx_lat"], row["approx_lon"]) == (round(POINT[0], 3), round(POINT[1], 3)) != POINT
    [status] = call(b, "followed_report_status", report=rid)
    assert set(status) == FOLLOWER_FIELDS | {"steps"} and status["status"] == "accepted"
    # The status steps and their times; the comment (status unchanged), actors and notes stay out.
    assert [(s["from_status"], s["to_status"]) for s in status["steps"]] == \
        [(None, "submitted"), ("submitted", "dispatched"), ("dispatched", "accepted")]
    assert all(set(s) == {"from_status", "to_status", "at"} for s in status["steps"])
    assert "13800001234" not in str(status) and "和平路" not in str(status)


def test_following_opens_nothing_of_the_case(people, case, db) -> None:
    b, rid, photo = people.citizen_b, case["id"], case["photo"]
    call(b, "follow_report", report=rid)
    assert count(db, "select count(*) from public.report_followers where report_id = %s and user_id = %s", rid, b.id) == 1
    # Reads: the rows exist (SQL), the follower sees none of them.
    for table, column in (("reports", "id"), ("case_events", "report_id"), ("tasks", "report_id"),
                          ("ratings", "report_id")):
        assert b.client.table(table).select("*").eq(column, rid).execute().data == [], table
    assert count(db, "select count(*) from public.case_events where report_id = %s", rid) >= 4
    assert count(db, "select count(*) from public.tasks where report_id = %s", rid) == 1
    bucket = b.client.storage.from_(PHOTOS)
    with pytest.raises(Exception):
        bucket.download(photo)
    with pytest.raises(Exception):
        bucket.create_signed_url(photo, 60)
    assert people.citizen_a.client.storage.from_(PHOTOS).download(photo) == JPEG  # the photo is there
    # Writes and staff reads: refused, nothing changed.
    refused(db, rid, {"PT404"}, lambda: call(b, "comment_report", report=rid, note="我也看到了"))
    refused(db, rid, {"PT403"}, lambda: call(b, "report_contact", report=rid))
    refused(db, rid, {"PT403"}, lambda: call(b, "transfer_workers", report=rid))
    call(people.worker_1, "resolve_report", report=rid, note="已修好")
    refused(db, rid, {"PT404"}, lambda: call(b, "rate_report", report=rid, score=1))
    refused(db, rid, {"PT404"}, lambda: call(b, "reopen_report", report=rid, note="没修好"))
    # The follower is told the status changed, and only that.
    [(title, payload)] = db.execute(
        "select title_zh, payload from public.notifications where report_id = %s and user_id = %s"
        " and payload ->> 'to' = 'resolved'", (rid, b.id)).fetchall()
    assert title == "您关注的案件状态已更新" and payload == {"from": "accepted", "to": "resolved"}
    # The reporter's own notice says "your report", never "a case you follow".
    assert db.execute("select title_zh from public.notifications where report_id = %s and user_id = %s"
                      " and payload ->> 'to' = 'resolved'", (rid, people.citizen_a.id)).fetchone()[0] == "您的上报状态已更新"


def test_a_worker_of_another_street_who_follows_gets_no_contact(people, case, db) -> None:
    w2, rid = people.worker_2, case["id"]
    assert call(w2, "follow_report", report=rid) is True
    refused(db, rid, {"PT404"}, lambda: call(w2, "report_contact", report=rid))
    refused(db, rid, {"PT404"}, lambda: call(w2, "transfer_workers", report=rid))
    refused(db, rid, {"PT404"}, lambda: call(w2, "comment_report", report=rid, note="x"))
    assert w2.client.table("reports").select("id").eq("id", rid).execute().data == []
    assert [r["status"] for r in call(w2, "followed_report_status", report=rid)] == ["accepted"]
    # The handler still gets it.
    assert len(call(people.worker_1, "report_contact", report=rid)) == 1


def test_ones_own_case_is_never_followed(people, case, db) -> None:
    a, rid = people.citizen_a, case["id"]
    assert call(a, "follow_report", report=rid) is True
    assert count(db, "select count(*) from public.report_followers where report_id = %s and user_id = %s", rid, a.id) == 0
    assert rid not in [r["id"] for r in call(a, "followed_reports")]
    assert [r["id"] for r in a.client.table("reports").select("id").eq("id", rid).execute().data] == [rid]


def test_anon_and_strangers_get_nothing(people, case, anon, db) -> None:
    rid = case["id"]
    for name, args in (("followed_reports", {}), ("followed_report_status", {"report": rid}),
                       ("nearby_open_reports", {"lat": POINT[0], "lon": POINT[1]})):
        with pytest.raises(APIError) as err:
            anon.rpc(name, args).execute()
        assert err.value.code == "42501", name
    stranger = people.staff  # knows the id, follows nothing
    assert call(stranger, "followed_reports") == []
    refused(db, rid, {"PT404"}, lambda: call(stranger, "followed_report_status", report=rid))
    # The follower tables stay out of the API's reach.
    for table in ("limits", "nearby_lookups"):
        with pytest.raises(APIError):
            people.citizen_b.client.schema("private").table(table).select("*").execute()


def test_nearby_answers_within_200_m_without_address_with_a_rounded_distance(people, case, city, db) -> None:
    b, rid = people.citizen_b, case["id"]
    db.execute("delete from private.nearby_lookups where user_id = %s", (b.id,))
    near = call(b, "nearby_open_reports", lat=POINT[0] + 0.00027, lon=POINT[1], category=city)  # about 30 m north
    [hit] = [r for r in near if r["id"] == rid]
    assert set(hit) == {"id", "category_code", "status", "distance_m", "mine", "created_at"}
    assert hit["distance_m"] == 30 and hit["mine"] is False
    mine = [r for r in call(people.citizen_a, "nearby_open_reports", lat=POINT[0], lon=POINT[1], category=city)
            if r["id"] == rid]
    assert mine[0]["mine"] is True and mine[0]["distance_m"] == 0
    assert rid in [r["id"] for r in call(b, "nearby_open_reports", lat=POINT[0] + 0.0015, lon=POINT[1], category=city,
                                         radius_m=200)]  # about 167 m
    before = count(db, "select count(*) from private.nearby_lookups where user_id = %s", b.id)
    for radius in (201, 5000, 0, -1):
        with pytest.raises(APIError) as err:
            call(b, "nearby_open_reports", lat=POINT[0], lon=POINT[1], category=city, radius_m=radius)
        assert (err.value.code, err.value.hint) == ("PT400", "nearby_radius_m")
        assert "200" in err.value.message
    assert count(db, "select count(*) from private.nearby_lookups where user_id = %s", b.id) == before


def test_nearby_is_throttled_per_person(people, db) -> None:
    b, a = people.citizen_b, people.citizen_a
    most, per = db.execute("select value, per from private.limits where name = 'nearby_lookups'").fetchone()
    db.execute("delete from private.nearby_lookups where user_id in (%s, %s)", (a.id, b.id))
    db.execute("insert into private.nearby_lookups (user_id) select %s from generate_series(1, %s - 1)", (b.id, most))
    lat, lon = GRID_POINTS[0]
    call(b, "nearby_open_reports", lat=lat, lon=lon)  # the last one allowed
    with pytest.raises(APIError) as err:
        call(b, "nearby_open_reports", lat=lat, lon=lon)
    assert (err.value.code, err.value.hint) == ("PT429", "nearby_lookups")
    assert f"at most {most} in {int(per.total_seconds()) // 60} minutes" in err.value.message
    assert count(db, "select count(*) from private.nearby_lookups where user_id = %s", b.id) == most
    assert isinstance(call(a, "nearby_open_reports", lat=lat, lon=lon), list)  # someone else is not held back
    # After the window the person may look again.
    db.execute("update private.nearby_lookups set looked_at = looked_at - %s where user_id = %s", (per, b.id))
    assert isinstance(call(b, "nearby_open_reports", lat=lat, lon=lon), list)


async def test_realtime_brings_the_follower_the_notice_not_the_case(rt, people, case) -> None:
    import asyncio

    from tests.backend.realtime_support import binding, subscribe

    b, rid = people.citizen_b, case["id"]
    call(b, "follow_report", report=rid)
    _, inbox = await subscribe(await rt(b.access_token), binding("reports", "*", schema="public"),
                               binding("case_events", "INSERT", schema="public"),
                               binding("tasks", "*", schema="public"),
                               binding("notifications", "INSERT", schema="public"))
    call(people.worker_1, "start_report", report=rid)
    _, notice = await inbox.wait_for(lambda d: d["table"] == "notifications" and d["record"]["report_id"] == rid)
    assert notice["data"]["record"]["payload"] == {"from": "accepted", "to": "in_progress"}
    await asyncio.sleep(1)  # what the same transaction changed would have arrived by now
    assert [d["data"]["table"] for _, d in inbox.changes] == ["notifications"]
