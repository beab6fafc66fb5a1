"""Profiles and assignments: made with the account, read and changed by their owner only, roles never self-chosen."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRIDS, STAFF_DEPARTMENT, STREETS, People, make_people


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    return make_people(db, make_user)


def profile(db, user_id: str) -> dict:
    row = db.execute("select display_name, locale, elderly_mode, role from public.profiles where id = %s",
                     (user_id,)).fetchone()
    return dict(zip(("display_name", "locale", "elderly_mode", "role"), row)) if row else {}


def test_every_new_account_gets_a_profile_with_its_role(make_user, db) -> None:
    user = make_user(app_metadata={"role": "grid_worker"}, display_name="李强")
    assert profile(db, user.id) == {"display_name": "李强", "locale": "zh-CN", "elderly_mode": False,
                                    "role": "grid_worker"}
    plain = make_user()
    assert profile(db, plain.id)["role"] == "citizen"


def test_people_read_only_their_own_profile(people, anon) -> None:
    a, b = people.citizen_a, people.citizen_b
    assert [r["id"] for r in a.client.table("profiles").select("id").execute().data] == [a.id]
    assert a.client.table("profiles").select("id").eq("id", b.id).execute().data == []
    assert anon.table("profiles").select("id").execute().data == []
    assert people.worker_1.client.table("profiles").select("id").eq("id", a.id).execute().data == []


def test_people_update_their_own_profile(people, db) -> None:
    a = people.citizen_a
    changed = a.client.table("profiles").update({"display_name": "王丽", "locale": "en", "elderly_mode": True,
                                                 "emergency_contacts": [{"name": "王强", "phone": "13800000000"}]}
                                                ).eq("id", a.id).execute().data
    assert [r["id"] for r in changed] == [a.id]
    assert profile(db, a.id) == {"display_name": "王丽", "locale": "en", "elderly_mode": True, "role": "citizen"}


def test_no_one_updates_someone_elses_profile(people, anon, db) -> None:
    a, b = people.citizen_a, people.citizen_b
    before = profile(db, a.id)
    assert b.client.table("profiles").update({"display_name": "hacked"}).eq("id", a.id).execute().data == []
    # Anon has no update right on profiles at all.
    with pytest.raises(APIError) as err:
        anon.table("profiles").update({"display_name": "hacked"}).eq("id", a.id).execute()
    assert err.value.code == "42501"
    assert profile(db, a.id) == before


def test_bad_profile_values_are_refused(people, db) -> None:
    a = people.citizen_a
    before = profile(db, a.id)
    with pytest.raises(APIError) as err:
        a.client.table("profiles").update({"locale": "fr"}).eq("id", a.id).execute()
    assert err.value.code == "23514"
    with pytest.raises(APIError) as err:
        a.client.table("profiles").update({"emergency_contacts": {"name": "x"}}).eq("id", a.id).execute()
    assert err.value.code == "23514"
    assert profile(db, a.id) == before


def test_people_cannot_choose_their_role(people, db, stack) -> None:
    a = people.citizen_a
    for change in ({"role": "admin"}, {"id": people.citizen_b.id}, {"created_at": "2000-01-01T00:00:00Z"}):
        with pytest.raises(APIError) as err:
            a.client.table("profiles").update(change).eq("id", a.id).execute()
        assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        a.client.table("profiles").insert({"id": a.id}).execute()
    assert err.value.code == "42501"
    # user_metadata is the user's to write; the role lives in app_metadata, which they cannot.
    a.client.auth.update_user({"data": {"role": "admin"}})
    fresh = stack.client()
    fresh.auth.sign_in_with_password({"email": a.email, "password": a.password})
    assert fresh.auth.get_session().user.app_metadata.get("role") == "citizen"
    assert profile(db, a.id)["role"] == "citizen"


def test_an_admin_grants_a_role_and_the_profile_mirrors_it(make_user, service, db) -> None:
    user = make_user(app_metadata={"role": "citizen"})
    service.auth.admin.update_user_by_id(user.id, {"app_metadata": {"role": "supervisor"}})
    assert profile(db, user.id)["role"] == "supervisor"


def test_workers_switch_only_their_own_duty(people, db) -> None:
    w1, w2 = people.worker_1, people.worker_2
    assert w1.client.rpc("set_my_duty", {"on_duty": False}).execute().data["on_duty"] is False
    assert db.execute("select on_duty from public.worker_duty where worker_id = %s", (w1.id,)).fetchone()[0] is False
    rows = w1.client.table("worker_duty").update({"on_duty": True}).eq("worker_id", w1.id).execute().data
    assert [r["on_duty"] for r in rows] == [True]
    # Someone else's duty: nothing to see, nothing changes.
    assert w1.client.table("worker_duty").select("*").eq("worker_id", w2.id).execute().data == []
    assert w1.client.table("worker_duty").update({"on_duty": False}).eq("worker_id", w2.id).execute().data == []
    assert db.execute("select on_duty from public.worker_duty where worker_id = %s", (w2.id,)).fetchone()[0] is True
    with pytest.raises(APIError) as err:
        w1.client.table("worker_duty").update({"since": "2000-01-01T00:00:00Z"}).eq("worker_id", w1.id).execute()
    assert err.value.code == "42501"


def test_only_grid_workers_have_a_duty(people, db) -> None:
    a = people.citizen_a
    with pytest.raises(APIError) as err:
        a.client.rpc("set_my_duty", {"on_duty": True}).execute()
    assert err.value.code == "PT403"
    with pytest.raises(APIError) as err:
        a.client.table("worker_duty").insert({"worker_id": a.id, "on_duty": True}).execute()
    assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        people.worker_1.client.table("worker_duty").insert({"worker_id": people.worker_2.id}).execute()
    assert err.value.code == "42501"
    assert db.execute("select count(*) from public.worker_duty where worker_id = %s", (a.id,)).fetchone()[0] == 0


def test_assignments_are_read_by_their_owner_and_supervisor(people, anon) -> None:
    w1, w2, sup = people.worker_1, people.worker_2, people.supervisor
    assert [r["grid_id"] for r in w1.client.table("worker_grids").select("grid_id").execute().data] == [GRIDS[0]]
    assert w1.client.table("worker_grids").select("*").eq("worker_id", w2.id).execute().data == []
    seen = sup.client.table("worker_grids").select("worker_id").in_("worker_id", [w1.id, w2.id]).execute().data
    assert [r["worker_id"] for r in seen] == [w1.id]  # w2 works in another street
    for client in (anon, people.citizen_a.client):
        assert client.table("worker_grids").select("*").execute().data == []
    staff_rows = people.staff.client.table("department_staff").select("department_code").execute().data
    assert staff_rows == [{"department_code": STAFF_DEPARTMENT}]
    assert w1.client.table("department_staff").select("*").execute().data == []
    assert sup.client.table("supervisor_streets").select("street_id").execute().data == [{"street_id": STREETS[0]}]
    assert w1.client.table("supervisor_streets").select("*").execute().data == []


def test_only_the_service_role_assigns(people, service, db) -> None:
    w1 = people.worker_1
    for table, row in (("worker_grids", {"worker_id": w1.id, "grid_id": GRIDS[1]}),
                       ("department_staff", {"user_id": w1.id, "department_code": STAFF_DEPARTMENT}),
                       ("supervisor_streets", {"user_id": w1.id, "street_id": STREETS[1]})):
        with pytest.raises(APIError) as err:
            w1.client.table(table).insert(row).execute()
        assert err.value.code == "42501"
    service.table("worker_grids").insert({"worker_id": w1.id, "grid_id": GRIDS[1]}).execute()
    try:
        assert sorted(r["grid_id"] for r in w1.client.table("worker_grids").select("grid_id").execute().data) \
            == [GRIDS[0], GRIDS[1]]
    finally:
        db.execute("delete from public.worker_grids where worker_id = %s and grid_id = %s", (w1.id, GRIDS[1]))
