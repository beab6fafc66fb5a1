"""Job health (migration 1170): the escalation pass, the care scan and the reconciliation record their
runs; a job silent past its limit alarms the admins once; rpc/job_health for supervisors and admins only."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import People, make_people


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


def last_run(db, job: str):
    return db.execute("select last_run_at from public.job_runs where job = %s", (job,)).fetchone()[0]


def alarms(db, user_id: str, job: str) -> int:
    return db.execute("select count(*) from public.notifications where user_id = %s and kind = 'job_stopped'"
                      " and payload ->> 'job' = %s", (user_id, job)).fetchone()[0]


def test_each_job_records_its_runs(service, db) -> None:
    before = last_run(db, "escalations")
    service.rpc("run_escalations", {}).execute()
    assert last_run(db, "escalations") > (before or last_run(db, "escalations").replace(year=2000))
    for job in ("care_scan", "payment_reconciliation"):
        service.rpc("record_job_run", {"job": job}).execute()
        assert last_run(db, job) is not None


def test_a_stopped_job_alarms_the_admins_once(service, db, make_user) -> None:
    admin = make_user(app_metadata={"role": "admin"})
    service.rpc("record_job_run", {"job": "care_scan"}).execute()
    db.execute("update public.job_runs set last_run_at = now() - interval '2701 seconds' where job = 'care_scan'")
    service.rpc("record_job_run", {"job": "payment_reconciliation"}).execute()  # any other job notices
    service.rpc("run_escalations", {}).execute()
    assert alarms(db, admin.id, "care_scan") == 1
    health = {r["job"]: r for r in admin.client.rpc("job_health", {}).execute().data}
    assert health["care_scan"]["stopped"] and health["care_scan"]["silent_seconds"] >= 2701
    assert not health["payment_reconciliation"]["stopped"]
    service.rpc("record_job_run", {"job": "care_scan"}).execute()  # it runs again: the alarm is over
    assert not {r["job"]: r for r in admin.client.rpc("job_health", {}).execute().data}["care_scan"]["stopped"]
    assert alarms(db, admin.id, "care_scan") == 1


def test_who_may_read_and_write_job_health(people, anon, service, db) -> None:
    assert len(people.supervisor.client.rpc("job_health", {}).execute().data) == 3
    assert len(people.supervisor.client.table("job_runs").select("job").execute().data) == 3
    for user in (people.citizen_a, people.worker_1, people.staff):
        with pytest.raises(APIError) as err:
            user.client.rpc("job_health", {}).execute()
        assert err.value.code == "PT403"
        assert user.client.table("job_runs").select("job").execute().data == []
    with pytest.raises(APIError) as err:
        anon.rpc("job_health", {}).execute()
    assert err.value.code == "42501"
    before = last_run(db, "care_scan")
    for client in (anon, people.supervisor.client, people.citizen_a.client):
        with pytest.raises(APIError) as err:
            client.rpc("record_job_run", {"job": "care_scan"}).execute()
        assert err.value.code == "42501"
        with pytest.raises(APIError) as err:
            client.table("job_runs").update({"max_silence_seconds": 1}).eq("job", "care_scan").execute()
        assert err.value.code == "42501"
    assert last_run(db, "care_scan") == before
    with pytest.raises(APIError) as err:
        service.rpc("record_job_run", {"job": "nonsense"}).execute()
    assert err.value.code == "PT400"
