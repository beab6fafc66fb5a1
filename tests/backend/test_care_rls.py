"""Who sees a care subject's data: the workers of their grid and the supervisor of its street, nobody else.

Every care table, each policy allowed and denied (a denied read answers empty), and writes refused."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.care_support import make_subject
from tests.backend.core_support import GRIDS, People, make_people

TABLES = ("care_subjects", "meters", "meter_readings", "care_absences", "care_alerts", "care_followups")


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


@pytest.fixture(scope="module")
def data(db, people, service) -> dict:
    """One subject in GRIDS[0] (worker_1's, the supervisor's street) with a row in every table;
    its resident's account is citizen_a."""
    s = make_subject(db, GRIDS[0], profile_id=people.citizen_a.id)
    sid = s["id"]
    w = s["meters"]["water"]
    db.execute("insert into public.meter_readings (meter_id, read_at, value) values (%s, now(), 3)", (w,))
    db.execute("insert into public.care_absences (subject_id, starts_at, ends_at) values (%s, now(), now() + interval '2 days')",
               (sid,))
    aid = db.execute("insert into public.care_alerts (subject_id, kind, severity, onset_at, detected_at)"
                     " values (%s, 'inactivity', 2, now() - interval '9 hours', now()) returning id", (sid,)).fetchone()[0]
    db.execute("insert into public.care_followups (subject_id, alert_id, action, outcome) values (%s, %s, 'called_person', 'safe')",
               (sid, aid))
    return {"subject": sid, "meter": w, "alert": str(aid)}


def rows(user, table: str, data: dict) -> list:
    column = {"care_subjects": "id", "meters": "subject_id", "meter_readings": "meter_id"}.get(table, "subject_id")
    value = data["meter"] if table == "meter_readings" else data["subject"]
    return user.client.table(table).select("*").eq(column, value).execute().data


@pytest.mark.parametrize("table", TABLES)
def test_the_grid_worker_and_the_street_supervisor_read_every_table(people, data, table):
    expected = 3 if table == "meters" else 1  # water, electricity and gas meters
    assert len(rows(people.worker_1, table, data)) == expected
    assert len(rows(people.supervisor, table, data)) == expected


@pytest.mark.parametrize("table", TABLES)
def test_other_grids_staff_other_citizens_and_anon_read_nothing(people, data, table, anon):
    for user in (people.worker_2, people.staff, people.citizen_b):
        assert rows(user, table, data) == [], user
    assert anon.table(table).select("*").execute().data == []


def test_the_resident_reads_their_own_record_and_absences_only(people, data):
    me = people.citizen_a
    assert [r["id"] for r in rows(me, "care_subjects", data)] == [data["subject"]]
    assert len(rows(me, "care_absences", data)) == 1
    for table in ("meters", "meter_readings", "care_alerts", "care_followups"):
        assert rows(me, table, data) == []


@pytest.mark.parametrize("table", TABLES)
def test_nobody_but_the_service_role_writes_directly(people, data, table):
    for user in (people.worker_1, people.supervisor, people.citizen_a):
        with pytest.raises(APIError):
            user.client.table(table).delete().neq("subject_id" if table not in ("care_subjects", "meter_readings")
                                                  else ("id" if table == "care_subjects" else "meter_id"), "x").execute()
    with pytest.raises(APIError):
        people.worker_1.client.table("care_alerts").update({"status": "closed"}).eq("id", data["alert"]).execute()


def test_rpcs_refuse_what_the_caller_may_not_see(people, data):
    for user in (people.worker_2, people.staff, people.citizen_b):
        with pytest.raises(APIError) as err:
            user.client.rpc("log_care_visit", {"subject": data["subject"]}).execute()
        assert err.value.code == "PT404"
        with pytest.raises(APIError) as err:
            user.client.rpc("record_care_followup", {"alert": data["alert"], "action": "visited",
                                                     "outcome": "safe"}).execute()
        assert err.value.code == "PT404"
    for name, args in (("record_care_alerts", {"alerts": []}), ("run_care_escalations", {}),
                       ("care_scan_input", {"since": "2026-01-01T00:00Z", "until": "2026-01-02T00:00Z"})):
        with pytest.raises(APIError) as err:
            people.supervisor.client.rpc(name, args).execute()
        assert err.value.code in ("42501", "PT403")


def test_absences_are_registered_by_the_resident_or_their_worker_with_checks(people, data):
    args = {"subject": data["subject"], "starts_at": "2026-12-01T00:00:00+08:00",
            "ends_at": "2026-12-05T00:00:00+08:00", "note": "去女儿家"}
    assert people.citizen_a.client.rpc("register_care_absence", args).execute().data["note"] == "去女儿家"
    assert people.worker_1.client.rpc("register_care_absence", args).execute().data["subject_id"] == data["subject"]
    with pytest.raises(APIError) as err:
        people.citizen_b.client.rpc("register_care_absence", args).execute()
    assert err.value.code == "PT404"
    with pytest.raises(APIError) as err:
        people.worker_1.client.rpc("register_care_absence", {**args, "ends_at": "2026-11-30T00:00:00+08:00"}).execute()
    assert err.value.code == "PT400"
