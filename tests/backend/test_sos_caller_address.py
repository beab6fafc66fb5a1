"""sos_contact(alert) answers the caller's home address (migration 20261201001050_field_ready) to the
responders who can see the alert, and to no one else: the profile's address stays private otherwise."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import people  # noqa: F401 - fixtures
from tests.backend.core_support import GRID_POINTS

HOME = "滨西社区3号楼2单元501"


@pytest.fixture()
def alert(people, db):
    caller = people.citizen_a
    caller.client.table("profiles").update({"home_address": HOME}).eq("id", caller.id).execute()
    raised = caller.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1],
                                             "note": "跌倒"}).execute().data
    alert_id = raised["id"] if isinstance(raised, dict) else raised[0]["id"]
    yield alert_id
    db.execute("update public.sos_alerts set status = 'cancelled', cancelled_at = now() where id = %s", (alert_id,))


def test_the_responders_who_see_the_alert_learn_where_the_caller_lives(people, alert) -> None:
    for responder in (people.worker_1, people.supervisor):
        [got] = responder.client.rpc("sos_contact", {"alert": alert}).execute().data
        assert got["home_address"] == HOME


def test_no_one_else_learns_the_home_address(people, alert, anon) -> None:
    for outsider, code in ((people.worker_2, "PT404"), (people.citizen_b, "PT403"), (people.citizen_a, "PT403")):
        with pytest.raises(APIError) as err:
            outsider.client.rpc("sos_contact", {"alert": alert}).execute()
        assert err.value.code == code, outsider
    with pytest.raises(APIError) as err:
        anon.rpc("sos_contact", {"alert": alert}).execute()
    assert err.value.code == "42501"
    # The profile itself stays the owner's: a responder reads no row of it.
    rows = people.worker_1.client.table("profiles").select("home_address").eq("id", people.citizen_a.id).execute()
    assert rows.data == []
