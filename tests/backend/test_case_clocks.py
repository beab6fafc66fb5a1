"""Working-day clocks and case numbers (migrations 1110-1130): the official calendar and its
provisional years, deadlines across a national holiday and an adjusted working Sunday, the pause
in needs_info, a new deadline on reopen, case numbers at filing; the calendar loader allowed for
the service role only."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS, GRIDS, OUTSIDE, People, file_report, make_people, only_workers
from tests.backend.test_core_case_rpcs import call

CITY = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


def item_with(db, *, working_days: int | None) -> dict:
    """A city_mgmt item whose deadline is `working_days` working days (None: hours, an urgent item)."""
    row = db.execute("select code, sla_hours, sla_working_days from public.categories"
                     " where level = 3 and department_code = 'city_mgmt' and sla_working_days is not distinct from %s"
                     " order by code limit 1", (working_days,)).fetchone()
    assert row, f"no city_mgmt item of {working_days} working days"
    return dict(zip(("code", "sla_hours", "sla_working_days"), row))


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CITY)


def deadline(db, code: str, received: dt.datetime) -> dt.datetime:
    return db.execute("select private.case_deadline(c, %s) from public.categories c where c.code = %s",
                      (received, code)).fetchone()[0]


def working(db, day: dt.date) -> tuple:
    return db.execute("select is_working_day, provisional, name from private.calendar_day(%s)", (day,)).fetchone()


def test_the_official_calendar_knows_holidays_and_adjusted_working_days(db) -> None:
    assert working(db, dt.date(2026, 10, 1)) == (False, False, "National Day")
    assert working(db, dt.date(2026, 10, 7)) == (False, False, "National Day")  # a Wednesday off
    assert working(db, dt.date(2026, 10, 8)) == (True, False, None)
    assert working(db, dt.date(2026, 9, 20)) == (True, False, "National Day")  # a Sunday worked (调休)
    assert working(db, dt.date(2026, 9, 19)) == (False, False, None)  # an ordinary Saturday
    assert working(db, dt.date(2026, 2, 18)) == (False, False, "Spring Festival")


def test_later_years_are_provisional_weekends_and_fixed_date_holidays(db) -> None:
    assert working(db, dt.date(2027, 10, 1)) == (False, True, "National Day")
    assert working(db, dt.date(2027, 10, 4)) == (True, True, None)  # golden week unknown until loaded
    assert working(db, dt.date(2027, 5, 2)) == (False, True, "Labour Day")
    assert working(db, dt.date(2027, 1, 9)) == (False, True, None)  # a Saturday
    assert working(db, dt.date(2027, 1, 11)) == (True, True, None)


def test_deadlines_across_national_day_and_an_adjusted_working_day(db) -> None:
    two, five = item_with(db, working_days=2), item_with(db, working_days=5)
    # Received Wed 30 Sep 2026: 1-7 October off; Thu 8 and Fri 9 are the two working days.
    assert deadline(db, two["code"], local(2026, 9, 30, 10, 0)) == local(2026, 10, 10)
    # Five: Oct 8, 9, Sat 10 (worked, 调休), 12, 13: the end of Tuesday 13 October.
    assert deadline(db, five["code"], local(2026, 9, 30, 10, 0)) == local(2026, 10, 14)
    # The day of receipt never counts, even at one minute past midnight city time.
    assert deadline(db, two["code"], local(2026, 9, 29, 0, 1)) == local(2026, 10, 9)


def test_deadlines_across_an_adjusted_working_sunday(db) -> None:
    one = item_with(db, working_days=1)
    # Received Fri 18 Sep 2026: Sat 19 is off, Sun 20 is worked (调休): due at the end of Sunday.
    assert deadline(db, one["code"], local(2026, 9, 18, 17, 30)) == local(2026, 9, 21)
    # Received late on Saturday city time (Saturday 16:30 UTC is already Sunday 00:30 in the city).
    assert deadline(db, one["code"], dt.datetime(2026, 9, 19, 16, 30, tzinfo=dt.timezone.utc)) == local(2026, 9, 22)


def test_urgent_items_count_hours(db) -> None:
    urgent = item_with(db, working_days=None)
    received = local(2026, 10, 1, 9, 0)
    assert deadline(db, urgent["code"], received) == received + dt.timedelta(hours=urgent["sla_hours"])


def test_every_item_has_a_clock_and_urgent_ones_count_hours(db) -> None:
    assert db.execute("select count(*) from public.categories where level = 3 and sla_hours is null").fetchone()[0] == 0
    bad = db.execute("select code from public.categories where level = 3 and priority = 1"
                     " and sla_working_days is not null").fetchall()
    assert bad == []
    assert db.execute("select count(*) from public.categories where level < 3 and sla_working_days is not null"
                      ).fetchone()[0] == 0


def test_a_filed_case_gets_its_deadline_and_case_number(people, db) -> None:
    one, urgent = item_with(db, working_days=1), item_with(db, working_days=None)
    first = file_report(people.citizen_a, one["code"], GRID_POINTS[0])
    second = file_report(people.citizen_a, urgent["code"], GRID_POINTS[1])
    for report, code in ((first, one["code"]), (second, urgent["code"])):
        created = dt.datetime.fromisoformat(report["created_at"])
        assert dt.datetime.fromisoformat(report["due_at"]) == deadline(db, code, created)
        assert re.fullmatch(r"HP-\d{8}-\d{4,}", report["case_number"]), report["case_number"]
        assert report["case_number"].split("-")[1] == created.astimezone(CITY).strftime("%Y%m%d")
    due = dt.datetime.fromisoformat(first["due_at"]).astimezone(CITY)
    assert (due.hour, due.minute, due.second) == (0, 0, 0)  # the end of a city day
    seq = [int(r["case_number"].split("-")[2]) for r in (first, second)]
    if first["case_number"].split("-")[1] == second["case_number"].split("-")[1]:
        assert seq[1] == seq[0] + 1
    outside = file_report(people.citizen_b, one["code"], OUTSIDE)
    assert outside["case_number"].startswith("CITY-")


def test_case_numbers_are_unique_and_not_the_clients_to_choose(people, db) -> None:
    code = item_with(db, working_days=1)["code"]
    before = db.execute("select count(*) from public.reports").fetchone()[0]
    with pytest.raises(APIError) as err:
        file_report(people.citizen_a, code, GRID_POINTS[0], case_number="HP-20000101-0001")
    assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        file_report(people.citizen_a, code, GRID_POINTS[0], paused_at="2000-01-01T00:00:00Z")
    assert err.value.code == "42501"
    assert db.execute("select count(*) from public.reports").fetchone()[0] == before
    dupes = db.execute("select case_number from public.reports group by 1 having count(*) > 1").fetchall()
    assert dupes == []
    assert db.execute("select count(*) from public.reports where case_number is null").fetchone()[0] == 0


def test_the_clock_stops_while_the_case_waits_for_the_resident(people, db) -> None:
    a, w1 = people.citizen_a, people.worker_1
    rid = file_report(a, item_with(db, working_days=1)["code"], GRID_POINTS[0])["id"]
    call(w1, "accept_report", report=rid)
    due_before = db.execute("select due_at from public.reports where id = %s", (rid,)).fetchone()[0]
    asked = call(w1, "request_report_info", report=rid, note="哪一栋楼？ Which building?")
    assert asked["paused_at"] is not None and dt.datetime.fromisoformat(asked["due_at"]) == due_before
    # While paused it does not escalate, even past its deadline.
    db.execute("update public.reports set due_at = now() - interval '1 minute' where id = %s", (rid,))
    db.execute("select private.run_escalations()")
    assert db.execute("select count(*) from public.case_events where report_id = %s and note like 'overdue%%'",
                      (rid,)).fetchone()[0] == 0
    db.execute("update public.reports set due_at = %s where id = %s", (due_before, rid))
    time.sleep(1.1)
    answered = call(a, "answer_report_info", report=rid, note="3号楼 building 3")
    assert answered["paused_at"] is None
    waited = db.execute(
        "select max(created_at) filter (where to_status = 'in_progress') - max(created_at) filter (where to_status = 'needs_info')"
        " from public.case_events where report_id = %s", (rid,)).fetchone()[0]
    assert waited >= dt.timedelta(seconds=1)
    assert dt.datetime.fromisoformat(answered["due_at"]) == due_before + waited


def test_a_reopened_case_gets_a_new_deadline(people, db) -> None:
    a, w1 = people.citizen_a, people.worker_1
    code = item_with(db, working_days=2)["code"]
    rid = file_report(a, code, GRID_POINTS[0])["id"]
    call(w1, "accept_report", report=rid)
    call(w1, "resolve_report", report=rid, note="清理完毕 cleared")
    db.execute("update public.reports set due_at = due_at - interval '30 days', created_at = created_at - interval '30 days'"
               " where id = %s", (rid,))
    reopened = call(a, "reopen_report", report=rid, note="又堆起来了 piled up again")
    at = db.execute("select created_at from public.case_events where report_id = %s and to_status = 'reopened'",
                    (rid,)).fetchone()[0]
    assert dt.datetime.fromisoformat(reopened["due_at"]) == deadline(db, code, at)
    # A comment on the reopened case keeps that deadline.
    again = call(a, "comment_report", report=rid, note="还在 still there")
    assert again["due_at"] == reopened["due_at"]


def test_the_service_role_loads_an_official_year(service, db) -> None:
    days = [{"day": "2031-10-06", "is_working_day": False, "name": "National Day"},
            {"day": "2031-10-11", "is_working_day": True, "name": "National Day"}]
    assert working(db, dt.date(2031, 10, 6)) == (True, True, None)
    loaded = service.rpc("load_calendar_year", {"year": 2031, "days": days, "source": "test notice"}).execute().data
    assert loaded == {"year": 2031, "days": 2, "provisional": False}
    assert working(db, dt.date(2031, 10, 6)) == (False, False, "National Day")
    assert working(db, dt.date(2031, 10, 11)) == (True, False, "National Day")  # a Saturday worked
    assert working(db, dt.date(2031, 10, 1)) == (True, False, None)  # only what the list says
    # Loading again replaces the year's list.
    service.rpc("load_calendar_year", {"year": 2031, "days": days[:1], "source": "test notice 2"}).execute()
    assert working(db, dt.date(2031, 10, 11)) == (False, False, None)


@pytest.mark.parametrize("days, message", [
    ([{"day": "2032-02-30", "is_working_day": False, "name": "x"}], "does not exist"),
    ([{"day": "2033-01-01", "is_working_day": False, "name": "x"}], "is not in 2032"),
    ([{"day": "2032-01-01", "is_working_day": False}], "holidays named"),
    ([{"day": "2032-01-01", "is_working_day": "no", "name": "x"}], "bad day"),
    ([{"day": "2032-01-01", "is_working_day": False, "name": "x"}] * 2, "listed twice"),
    ([], "1 to 366"),
])
def test_a_bad_calendar_is_refused_whole(service, db, days, message) -> None:
    with pytest.raises(APIError) as err:
        service.rpc("load_calendar_year", {"year": 2032, "days": days, "source": "bad"}).execute()
    assert err.value.code == "PT400" and message in err.value.message
    assert db.execute("select count(*) from public.calendar_years where year = 2032").fetchone()[0] == 0


def test_only_the_service_role_loads_a_calendar(people, anon, db) -> None:
    days = [{"day": "2034-01-02", "is_working_day": False, "name": "x"}]
    for client in (anon, people.citizen_a.client, people.supervisor.client):
        with pytest.raises(APIError) as err:
            client.rpc("load_calendar_year", {"year": 2034, "days": days, "source": "x"}).execute()
        assert err.value.code == "42501"
    for client in (people.citizen_a.client, anon):
        for write in (lambda: client.table("calendar_days").insert({"day": "2034-01-03", "is_working_day": False,
                                                                     "name": "x"}).execute(),
                      lambda: client.table("calendar_days").update({"is_working_day": True}).eq("day", "2026-10-01").execute(),
                      lambda: client.table("calendar_days").delete().eq("day", "2026-10-01").execute(),
                      lambda: client.table("calendar_years").delete().eq("year", 2026).execute()):
            with pytest.raises(APIError) as err:
                write()
            assert err.value.code == "42501"
    assert db.execute("select count(*) from public.calendar_years where year = 2034").fetchone()[0] == 0
    assert working(db, dt.date(2026, 10, 1)) == (False, False, "National Day")
    # Everyone reads the calendar (reference data).
    assert anon.table("calendar_days").select("day,is_working_day").eq("day", "2026-09-20").execute().data \
        == [{"day": "2026-09-20", "is_working_day": True}]
