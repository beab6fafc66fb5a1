"""run_case_command: a case action under a client-chosen command id is applied once; a resend is answered.

Through /rest/v1 as each caller. A refusal counts only as SQLSTATE 42501 (or the action's own code)
with nothing changed, checked in SQL (case events, the report row, the commands table).
"""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS, GRIDS, People, file_report, item, make_people, only_workers


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


@pytest.fixture()
def case(people, db) -> str:
    """A fresh report by citizen A in grid 1, dispatched to worker 1."""
    return file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]


def command(user, command_id: str, action: str, report: str, **args) -> dict:
    return user.client.rpc("run_case_command", {"command_id": command_id, "action": action, "report": report,
                                                "args": args}).execute().data


def state(db, rid: str) -> tuple:
    return db.execute(
        "select (select r::text from public.reports r where id = %(r)s),"
        " (select count(*) from public.case_events where report_id = %(r)s),"
        " (select count(*) from public.client_commands where report_id = %(r)s)", {"r": rid}).fetchone()


def refused(db, rid: str, code: str, send) -> None:
    before = state(db, rid)
    with pytest.raises(APIError) as err:
        send()
    assert err.value.code == code, err.value.message
    assert state(db, rid) == before


def events(db, rid: str) -> list[tuple[str, str | None]]:
    return [tuple(r) for r in db.execute(
        "select to_status::text, note from public.case_events where report_id = %s order by id", (rid,)).fetchall()]


def test_a_resent_command_is_answered_not_applied_twice(people, case, db) -> None:
    w1, cid = people.worker_1, str(uuid.uuid4())
    first = command(w1, cid, "accept_report", case)
    assert first["status"] == "accepted"
    again = command(w1, cid, "accept_report", case)  # the answer was lost: the device sends it again
    assert again == first  # nothing happened in between: the case as it is now is the first answer
    assert [s for s, _ in events(db, case)].count("accepted") == 1
    note_id = str(uuid.uuid4())
    for _ in range(3):
        command(w1, note_id, "comment_report", case, note="路过看了")
    assert [n for _, n in events(db, case)].count("路过看了") == 1
    row = db.execute("select user_id::text, action from public.client_commands where id = %s", (note_id,)).fetchone()
    assert row == (w1.id, "comment_report")


def test_every_action_of_the_list_runs_with_its_arguments(people, case, db) -> None:
    w1 = people.worker_1
    command(w1, str(uuid.uuid4()), "accept_report", case)
    command(w1, str(uuid.uuid4()), "start_report", case)
    assert command(w1, str(uuid.uuid4()), "request_report_info", case, note="哪一栋？")["status"] == "needs_info"
    people.citizen_a.client.rpc("answer_report_info", {"report": case, "note": "3号楼"}).execute()
    assert command(w1, str(uuid.uuid4()), "escalate_report", case, reason="需要协调")["status"] == "in_progress"
    done = command(w1, str(uuid.uuid4()), "resolve_report", case, note="修好了", photos=[])
    assert done["status"] == "resolved" and done["resolution_note"] == "修好了"


def test_another_persons_command_id_is_neither_read_nor_replayed(people, case, db) -> None:
    w1, a, b = people.worker_1, people.citizen_a, people.citizen_b
    cid = str(uuid.uuid4())
    command(a, cid, "comment_report", case, note="A 的留言")
    # B knows A's id (and the case id): no answer, nothing applied, A's row untouched.
    refused(db, case, "42501", lambda: command(b, cid, "comment_report", case, note="A 的留言"))
    # The worker could comment on this case, but not under A's id.
    refused(db, case, "42501", lambda: command(w1, cid, "comment_report", case, note="A 的留言"))
    assert db.execute("select user_id::text from public.client_commands where id = %s", (cid,)).fetchone()[0] == a.id


def test_the_table_is_closed_to_every_caller_but_the_service_role(people, case, db, stack) -> None:
    a = people.citizen_a
    cid = str(uuid.uuid4())
    command(a, cid, "comment_report", case, note="看得见吗")
    for user in (a, people.citizen_b, people.worker_1):
        with pytest.raises(APIError) as err:
            user.client.table("client_commands").select("id").eq("id", cid).execute()
        assert err.value.code == "42501"
        with pytest.raises(APIError) as err:
            user.client.table("client_commands").update({"action": "accept_report"}).eq("id", cid).execute()
        assert err.value.code == "42501"
        with pytest.raises(APIError) as err:
            user.client.table("client_commands").delete().eq("id", cid).execute()
        assert err.value.code == "42501"
    assert db.execute("select action from public.client_commands where id = %s", (cid,)).fetchone()[0] == "comment_report"


def test_anon_cannot_send_a_command(people, case, db, stack) -> None:
    from supabase import create_client

    anon = create_client(stack.url, stack.anon_key)
    before = state(db, case)
    with pytest.raises(APIError) as err:
        anon.rpc("run_case_command", {"command_id": str(uuid.uuid4()), "action": "accept_report",
                                      "report": case, "args": {}}).execute()
    assert err.value.code == "42501"
    assert state(db, case) == before


def test_a_refused_action_leaves_no_record_so_a_later_resend_is_judged_again(people, case, db) -> None:
    w1, cid = people.worker_1, str(uuid.uuid4())
    refused(db, case, "PT409", lambda: command(w1, cid, "start_report", case))  # not accepted yet
    command(w1, str(uuid.uuid4()), "accept_report", case)
    assert command(w1, cid, "start_report", case)["status"] == "in_progress"


@pytest.mark.parametrize("action,args,code", [
    ("drop_table_reports", {}, "PT400"),  # not in the fixed list: nothing from the request becomes SQL
    ("comment_report", {"note": "   "}, "PT400"),
    ("transfer_report", {"reason": "x", "to_worker": "not-a-uuid"}, "22P02"),
    ("resolve_report", {"note": "x", "photos": "not-a-list"}, "22023"),
])
def test_bad_commands_are_clear_errors_and_change_nothing(people, case, db, action, args, code) -> None:
    w1 = people.worker_1
    command(w1, str(uuid.uuid4()), "accept_report", case)
    refused(db, case, code, lambda: command(w1, str(uuid.uuid4()), action, case, **args))


def test_a_resend_after_losing_sight_of_the_case_answers_not_found(people, case, db) -> None:
    w1, w2, cid = people.worker_1, people.worker_2, str(uuid.uuid4())
    command(w1, cid, "accept_report", case)
    # The case goes to the other street's worker: worker 1 no longer reads it, and a resend says so.
    db.execute("update public.tasks set assignee_id = %s where report_id = %s and status = 'accepted'",
               (w2.id, case))
    db.execute("delete from public.worker_grids where worker_id = %s", (w1.id,))
    try:
        refused(db, case, "PT404", lambda: command(w1, cid, "accept_report", case))
    finally:
        db.execute("insert into public.worker_grids (worker_id, grid_id) values (%s, %s)", (w1.id, GRIDS[0]))


def test_the_same_id_for_another_action_is_refused(people, case, db) -> None:
    w1, cid = people.worker_1, str(uuid.uuid4())
    command(w1, cid, "accept_report", case)
    refused(db, case, "PT409", lambda: command(w1, cid, "comment_report", case, note="x"))
