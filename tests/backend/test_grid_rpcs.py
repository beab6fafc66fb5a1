"""Grid app RPCs (migration 1100): report_contact, sos_contact, change_report_category, escalate_report,
and reports filed on behalf of a resident; each allowed and denied, a refusal changes nothing."""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import (GRID_POINTS, GRIDS, People, file_report, item, make_people,
                                        only_workers)
from tests.backend.test_core_case_rpcs import active_task, call, refused, statuses


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    only_workers(db, GRIDS[4], (p.worker_2.id, True))
    db.execute("update public.profiles set display_name = '王丽', phone = '13800001234' where id = %s",
               (p.citizen_a.id,))
    return p


@pytest.fixture(scope="module")
def city(db) -> str:
    return item(db, "city_mgmt")["code"]


@pytest.fixture()
def case(people, city) -> str:
    return file_report(people.citizen_a, city, GRID_POINTS[0])["id"]


def contact(user, rid: str) -> dict:
    return user.client.rpc("report_contact", {"report": rid}).execute().data[0]


def test_report_contact_goes_to_the_staff_who_see_the_case_only(people, case, db) -> None:
    expected = {"display_name": "王丽", "phone": "13800001234", "on_behalf": False}
    assert contact(people.worker_1, case) == expected  # worker of the grid
    assert contact(people.supervisor, case) == expected  # supervisor of the street
    for outsider, code in ((people.worker_2, "PT404"), (people.staff, "PT404"),  # cannot see the case
                           (people.citizen_b, "PT403"), (people.citizen_a, "PT403")):  # residents, the reporter too
        with pytest.raises(APIError) as err:
            contact(outsider, case)
        assert err.value.code == code
    with pytest.raises(APIError) as err:  # a report that does not exist looks like one not visible
        people.worker_1.client.rpc("report_contact", {"report": str(uuid.uuid4())}).execute()
    assert err.value.code == "PT404"


def test_anonymous_callers_cannot_ask_for_contacts(anon, case) -> None:
    with pytest.raises(APIError):
        anon.rpc("report_contact", {"report": case}).execute()


def test_a_worker_reports_for_a_resident_and_the_resident_is_the_contact(people, city, db) -> None:
    w1 = people.worker_1
    row = {"category_code": city, "description": "代报：路灯不亮", "lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1],
           "source": "grid_app", "resident_name": "赵大爷", "resident_phone": "13900005678"}
    report = w1.client.table("reports").insert(row).execute().data[0]
    assert report["source"] == "grid_app" and report["resident_name"] == "赵大爷"
    assert contact(people.supervisor, report["id"]) == {"display_name": "赵大爷", "phone": "13900005678",
                                                         "on_behalf": True}
    # A citizen cannot claim to report for someone else, nor a bad phone be stored.
    with pytest.raises(APIError):
        people.citizen_b.client.table("reports").insert(row | {"source": "citizen_app"}).execute()
    with pytest.raises(APIError):
        w1.client.table("reports").insert(row | {"resident_phone": "call me"}).execute()


def test_change_category_redispatches_with_a_reason(people, case, db) -> None:
    w1, w2, a = people.worker_1, people.worker_2, people.citizen_a
    env = item(db, "environment")
    refused(db, case, "PT404", lambda: call(w2, "change_report_category", report=case, category=env["code"], reason="x"))
    refused(db, case, "PT403", lambda: call(a, "change_report_category", report=case, category=env["code"], reason="x"))
    refused(db, case, "PT400", lambda: call(w1, "change_report_category", report=case, category=env["code"], reason=" "))
    refused(db, case, "PT400", lambda: call(w1, "change_report_category", report=case, category="99.99.999",
                                            reason="wrong"))
    current = db.execute("select category_code from public.reports where id = %s", (case,)).fetchone()[0]
    refused(db, case, "PT400", lambda: call(w1, "change_report_category", report=case, category=current, reason="same"))

    changed = call(w1, "change_report_category", report=case, category=env["code"], reason="是垃圾问题 it is litter")
    assert changed["category_code"] == env["code"] and changed["department_code"] == "environment"
    assert changed["status"] == "transferred" and changed["priority"] == env["priority"]
    assert active_task(db, case) == ("department", None, "environment", "open")
    assert statuses(db, case)[-1] == "transferred"
    note = db.execute("select note from public.case_events where report_id = %s order by id desc limit 1",
                      (case,)).fetchone()[0]
    assert env["code"] in note and "it is litter" in note
    # The department's staff now hold it and see it in their queue; the worker no longer may change it.
    assert any(t["report_id"] == case for t in people.staff.client.table("tasks").select("*").execute().data)
    refused(db, case, "PT403", lambda: call(w1, "change_report_category", report=case, category=current, reason="back"))


def test_change_category_is_refused_once_the_case_is_done(people, case, db) -> None:
    w1 = people.worker_1
    call(w1, "accept_report", report=case)
    call(w1, "resolve_report", report=case, note="done")
    env = item(db, "environment")
    refused(db, case, "PT409", lambda: call(w1, "change_report_category", report=case, category=env["code"], reason="x"))


def test_escalate_tells_the_supervisor_and_keeps_the_status(people, case, db) -> None:
    w1, w2, a = people.worker_1, people.worker_2, people.citizen_a
    refused(db, case, "PT404", lambda: call(w2, "escalate_report", report=case, reason="help"))
    refused(db, case, "PT403", lambda: call(a, "escalate_report", report=case, reason="help"))
    refused(db, case, "PT400", lambda: call(w1, "escalate_report", report=case, reason=""))
    done = call(w1, "escalate_report", report=case, reason="需要城管执法 needs enforcement")
    assert done["status"] == "dispatched"
    event = db.execute("select from_status::text, to_status::text, note, actor_id::text from public.case_events"
                       " where report_id = %s order by id desc limit 1", (case,)).fetchone()
    assert event[:2] == ("dispatched", "dispatched") and "needs enforcement" in event[2] and event[3] == w1.id
    told = people.supervisor.client.table("notifications").select("*").eq("report_id", case) \
        .eq("kind", "case_escalated").execute().data
    assert len(told) == 1 and told[0]["payload"]["reason"].endswith("needs enforcement")
    assert db.execute("select escalated_at is not null from public.tasks where report_id = %s"
                      " and status = 'open'", (case,)).fetchone()[0]
    # Nobody else was told.
    assert not w2.client.table("notifications").select("*").eq("report_id", case).execute().data


def test_sos_contact_goes_to_the_responders_only(people, db) -> None:
    a = people.citizen_a
    alert = a.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1], "note": "跌倒"}).execute().data
    alert_id = alert["id"] if isinstance(alert, dict) else alert[0]["id"]
    got = people.worker_1.client.rpc("sos_contact", {"alert": alert_id}).execute().data[0]
    assert got == {"display_name": "王丽", "phone": "13800001234", "home_address": None}  # none given
    assert people.supervisor.client.rpc("sos_contact", {"alert": alert_id}).execute().data[0]["phone"] == "13800001234"
    for outsider, code in ((people.worker_2, "PT404"), (people.citizen_b, "PT403"), (a, "PT403")):
        with pytest.raises(APIError) as err:
            outsider.client.rpc("sos_contact", {"alert": alert_id}).execute()
        assert err.value.code == code
    a.client.rpc("cancel_sos", {"alert_id": alert_id, "reason": "test over"}).execute()


def test_transfer_workers_lists_the_street_s_workers_to_staff_who_see_the_case(people, case, db) -> None:
    listed = people.worker_1.client.rpc("transfer_workers", {"report": case}).execute().data
    ids = {w["id"] for w in listed}
    assert people.worker_1.id not in ids  # not oneself
    assert people.worker_2.id not in ids  # another street
    street_workers = {r[0] for r in db.execute(
        "select distinct wg.worker_id::text from public.worker_grids wg join public.profiles p on p.id = wg.worker_id"
        " where p.role = 'grid_worker' and private.street_of(wg.grid_id) = (select street_id from public.reports"
        " where id = %s)", (case,)).fetchall()} - {people.worker_1.id}
    assert ids == street_workers
    assert all(w["grid_codes"] for w in listed)
    for outsider, code in ((people.worker_2, "PT404"), (people.citizen_a, "PT403")):
        with pytest.raises(APIError) as err:
            outsider.client.rpc("transfer_workers", {"report": case}).execute()
        assert err.value.code == code
