"""Realtime on the case tables: a worker's inbox gets the new task, the reporter gets each status change; others nothing."""

from __future__ import annotations

import pytest

from tests.backend.core_support import GRID_POINTS, GRIDS, People, file_report, item, make_people, only_workers
from tests.backend.realtime_support import binding, subscribe


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


async def test_the_task_reaches_the_worker_and_the_status_reaches_the_reporter(rt, people, db) -> None:
    a, b, w1 = people.citizen_a, people.citizen_b, people.worker_1
    _, worker_inbox = await subscribe(await rt(w1.access_token), binding("tasks", "INSERT", schema="public"))
    _, reporter_inbox = await subscribe(await rt(a.access_token), binding("reports", "UPDATE", schema="public"),
                                        binding("case_events", "INSERT", schema="public"))
    _, other_inbox = await subscribe(await rt(b.access_token), binding("reports", "*", schema="public"),
                                     binding("case_events", "INSERT", schema="public"))
    report = file_report(a, item(db, "city_mgmt")["code"], GRID_POINTS[0])
    _, task = await worker_inbox.wait_for(lambda d: d["record"]["report_id"] == report["id"])
    assert task["data"]["record"]["assignee_id"] == w1.id
    w1.client.rpc("accept_report", {"report": report["id"]}).execute()
    await reporter_inbox.wait_for(lambda d: d["table"] == "reports" and d["record"]["status"] == "accepted")
    await reporter_inbox.wait_for(lambda d: d["table"] == "case_events" and d["record"]["to_status"] == "accepted")
    # B's sentinel: B's own report arrives after A's changes, and nothing of A's came before it.
    own = file_report(b, item(db, "city_mgmt")["code"], GRID_POINTS[0])
    b_events = await other_inbox.wait_for(lambda d: d["record"].get("report_id") == own["id"])
    assert b_events
    assert all((d["data"]["record"].get("report_id") or d["data"]["record"].get("id")) == own["id"]
               for _, d in other_inbox.changes)
