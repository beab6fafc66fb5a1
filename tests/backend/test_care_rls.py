"""Who sees a care subject's data: the workers of their grid and the supervisor of its street, nobody else.

Every care table, each policy allowed and denied (a denied read answers empty), and every write
by every kind of caller: only the service role writes directly; the others go through the RPCs."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.care_support import CARE_TABLES, make_care_world
from tests.backend.core_support import GRIDS, People, make_people
from tests.backend.rls_support import Targets, cells, check_cell

TABLES = tuple(t.name for t in CARE_TABLES)


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


@pytest.fixture(scope="module")
def data(db, people) -> dict:
    """One subject in GRIDS[0] (worker_1's, the supervisor's street) with a row in every table;
    its resident's account is citizen_a."""
    return make_care_world(db, GRIDS[0], people.citizen_a.id)


@pytest.fixture(scope="module")
def targets(db, data) -> Targets:
    return Targets(db, data)


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


# Every write by every kind of caller on every care table, aimed at the real rows above: a
# denial counts only as SQLSTATE 42501 or an empty answer with the row unchanged in SQL.
WRITERS = ("anon", "citizen_a", "worker_2", "worker_1", "supervisor", "service")


@pytest.mark.parametrize("table,actor,op", cells(CARE_TABLES, WRITERS, ("insert", "update", "delete")))
def test_only_the_service_role_writes_care_tables(db, people, targets, anon, service, table, actor, op):
    assert not table.allows(op, actor) or actor == "service"  # the line says so; the cell checks it
    clients = {"anon": anon, "service": service}
    client = clients.get(actor) or getattr(people, actor).client
    me = getattr(people, actor).id if actor not in clients else people.citizen_b.id
    check_cell(db, client, table, targets, me, op, table.allows(op, actor))


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
