"""postgres_changes through supabase-py's async client: delivery, payload shape, RLS, grants, large rows.

Writes go straight to PostgreSQL (superuser), as any other writer would; what each
subscriber receives is decided by the gateway as that subscriber. "Never receives"
is checked with a sentinel: changes reach one socket in commit order, so once a later
change has arrived, an earlier one that did not will not.
"""

from __future__ import annotations

import asyncio
import re
import time

from tests.backend.realtime_support import binding, subscribe, unique, unique_grid

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _insert_note(adb, owner: str, title: str, body: str | None = None) -> tuple[int, float]:
    cur = await adb.execute("insert into tests.rt_notes (owner_id, title, body) values (%s, %s, %s) returning id",
                            (owner, title, body))
    return (await cur.fetchone())[0], time.time()


async def test_owner_receives_own_insert_update_delete_within_a_second(rt, adb, make_user) -> None:
    user = make_user(schema="tests")
    client = await rt(user.access_token)
    _, inbox = await subscribe(client, binding("rt_notes"))

    note_id, committed = await _insert_note(adb, user.id, "first")
    arrived, payload = await inbox.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == note_id)
    insert_latency = arrived - committed
    data = payload["data"]
    assert payload["ids"] and all(isinstance(i, int) and i > 0 for i in payload["ids"])
    assert (data["schema"], data["table"], data["errors"]) == ("tests", "rt_notes", None)
    assert TIMESTAMP.match(data["commit_timestamp"]), data["commit_timestamp"]
    assert data["columns"] == [{"name": "id", "type": "int8"}, {"name": "owner_id", "type": "uuid"},
                               {"name": "title", "type": "text"}, {"name": "body", "type": "text"},
                               {"name": "n", "type": "int4"}, {"name": "created_at", "type": "timestamptz"}]
    assert data["record"]["owner_id"] == user.id and data["record"]["title"] == "first" and data["record"]["n"] == 0
    assert "old_record" not in data

    await adb.execute("update tests.rt_notes set title = 'second', n = 2 where id = %s", (note_id,))
    committed = time.time()
    arrived, payload = await inbox.wait_for(lambda d: d["type"] == "UPDATE" and d["record"]["id"] == note_id)
    update_latency = arrived - committed
    assert payload["data"]["record"]["title"] == "second" and payload["data"]["record"]["n"] == 2
    assert payload["data"]["old_record"] == {"id": note_id}  # replica identity default: the primary key

    await adb.execute("delete from tests.rt_notes where id = %s", (note_id,))
    committed = time.time()
    arrived, payload = await inbox.wait_for(lambda d: d["type"] == "DELETE" and d["old_record"]["id"] == note_id)
    delete_latency = arrived - committed
    assert payload["data"]["old_record"] == {"id": note_id} and "record" not in payload["data"]

    for latency in (insert_latency, update_latency, delete_latency):
        assert latency < 1.0, (insert_latency, update_latency, delete_latency)


async def test_two_users_and_anon_never_see_rows_they_cannot_select(rt, adb, make_user) -> None:
    a, b = make_user(schema="tests"), make_user(schema="tests")
    sentinel = unique_grid()
    inboxes = {}
    for who, token in (("a", a.access_token), ("b", b.access_token), ("anon", None)):
        client = await rt(token)
        _, inboxes[who] = await subscribe(client, binding("rt_notes"), binding("rt_public", "INSERT"))

    a1, _ = await _insert_note(adb, a.id, "a1")
    b1, _ = await _insert_note(adb, b.id, "b1")
    b2, _ = await _insert_note(adb, b.id, "b2")
    # An INSERT is checked by selecting the row after commit (as upstream does): deleting it
    # before the check has run would hide the INSERT too. Let it arrive first.
    await inboxes["b"].wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == b2)
    await adb.execute("update tests.rt_notes set title = 'b1 changed' where id = %s", (b1,))
    await adb.execute("delete from tests.rt_notes where id = %s", (b2,))
    await adb.execute("insert into tests.rt_public (id, body) values (%s, 'sentinel')", (sentinel,))

    for inbox in inboxes.values():
        await inbox.wait_for(lambda d: d["table"] == "rt_public" and d["record"]["id"] == sentinel)
    notes = {who: [(d["type"], (d.get("record") or d.get("old_record"))["id"]) for d in inbox.records()
                   if d["table"] == "rt_notes"] for who, inbox in inboxes.items()}
    assert notes["a"] == [("INSERT", a1)]
    assert notes["b"] == [("INSERT", b1), ("INSERT", b2), ("UPDATE", b1), ("DELETE", b2)]
    assert notes["anon"] == []


async def test_grid_policy_from_app_metadata_with_a_restrictive_policy(rt, adb, make_user) -> None:
    g1, g2 = unique_grid(), unique_grid()
    one, two = make_user({"grid_id": g1}, schema="tests"), make_user({"grid_id": g2}, schema="tests")
    _, in1 = await subscribe(await rt(one.access_token), binding("rt_grid_rows"))
    _, in2 = await subscribe(await rt(two.access_token), binding("rt_grid_rows"))

    async def row(grid: int, title: str, status: str = "open") -> int:
        cur = await adb.execute("insert into tests.rt_grid_rows (grid_id, title, status) values (%s, %s, %s) returning id",
                                (grid, title, status))
        return (await cur.fetchone())[0]

    r1 = await row(g1, "pothole")
    await row(g2, "streetlight")
    await row(g1, "old case", "archived")  # the restrictive policy hides it even from grid 1
    await in1.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == r1)
    await adb.execute("update tests.rt_grid_rows set grid_id = %s where id = %s", (g2, r1))  # handed over
    await in2.wait_for(lambda d: d["type"] == "UPDATE" and d["record"]["id"] == r1)
    await adb.execute("delete from tests.rt_grid_rows where id = %s", (r1,))
    await in2.wait_for(lambda d: d["type"] == "DELETE" and d["old_record"]["id"] == r1)
    end1, end2 = await row(g1, "sentinel 1"), await row(g2, "sentinel 2")
    await in1.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == end1)
    await in2.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == end2)

    assert [(d["type"], d["record"]["title"]) for d in in1.records()] == [("INSERT", "pothole"), ("INSERT", "sentinel 1")]
    assert {d["record"]["grid_id"] for d in in2.records() if d["type"] != "DELETE"} == {g2}
    assert [d["type"] for d in in2.records()] == ["INSERT", "UPDATE", "DELETE", "INSERT"]
    assert all(d["record"]["status"] != "archived" for d in in1.records() + in2.records() if "record" in d)


async def test_delete_is_checked_against_policies_with_a_sub_select(rt, adb, make_user) -> None:
    """rt_tasks: visible through a membership table; REPLICA IDENTITY FULL, so old rows go out whole."""
    grid = unique_grid()
    member, outsider = make_user(schema="tests"), make_user(schema="tests")
    await adb.execute("insert into tests.rt_members (user_id, grid_id) values (%s, %s)", (member.id, grid))
    _, mine = await subscribe(await rt(member.access_token), binding("rt_tasks"))
    _, theirs = await subscribe(await rt(outsider.access_token), binding("rt_tasks"), binding("rt_public", "INSERT"))

    cur = await adb.execute("insert into tests.rt_tasks (grid_id, label, detail) values (%s, 'sweep', 'north side') returning id",
                            (grid,))
    task = (await cur.fetchone())[0]
    await mine.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == task)
    await adb.execute("update tests.rt_tasks set label = 'sweep again' where id = %s", (task,))
    _, update = await mine.wait_for(lambda d: d["type"] == "UPDATE")
    assert update["data"]["old_record"] == {"id": task, "grid_id": grid, "label": "sweep", "detail": "north side"}
    await adb.execute("delete from tests.rt_tasks where id = %s", (task,))
    _, delete = await mine.wait_for(lambda d: d["type"] == "DELETE")
    assert delete["data"]["old_record"] == {"id": task, "grid_id": grid, "label": "sweep again", "detail": "north side"}

    sentinel = unique_grid()
    await adb.execute("insert into tests.rt_public (id, body) values (%s, 'sentinel')", (sentinel,))
    await theirs.wait_for(lambda d: d["table"] == "rt_public" and d["record"]["id"] == sentinel)
    assert [d for d in theirs.records() if d["table"] == "rt_tasks"] == []


async def test_column_grants_limit_what_a_role_receives(rt, adb) -> None:
    """anon may read rt_public's id and body only: `internal` is neither sent nor usable in a filter."""
    client = await rt()
    _, everything = await subscribe(client, binding("rt_public"))
    _, by_internal = await subscribe(client, binding("rt_public", filter="internal=eq.secret"))
    row = unique_grid()
    await adb.execute("insert into tests.rt_public (id, body, internal) values (%s, 'hello', 'secret')", (row,))
    _, payload = await everything.wait_for(lambda d: d["record"]["id"] == row)
    assert payload["data"]["record"] == {"id": row, "body": "hello"}
    assert payload["data"]["columns"] == [{"name": "id", "type": "int4"}, {"name": "body", "type": "text"}]
    await adb.execute("update tests.rt_public set body = 'again' where id = %s", (row,))
    await everything.wait_for(lambda d: d["type"] == "UPDATE" and d["record"]["id"] == row)
    assert by_internal.changes == []


async def test_rows_larger_than_a_notify_payload_arrive_complete(rt, adb, make_user) -> None:
    user = make_user(schema="tests")
    client = await rt(user.access_token)
    _, inbox = await subscribe(client, binding("rt_notes"))
    body = "路" * 12_000 + "x" * 9_000  # 45,000 bytes of UTF-8: far over NOTIFY's 8000
    note_id, _ = await _insert_note(adb, user.id, "big", body)
    _, payload = await inbox.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == note_id)
    assert payload["data"]["record"]["body"] == body
    await adb.execute("update tests.rt_notes set body = body || 'y' where id = %s", (note_id,))
    _, payload = await inbox.wait_for(lambda d: d["type"] == "UPDATE" and d["record"]["id"] == note_id)
    assert payload["data"]["record"]["body"] == body + "y" and payload["data"]["old_record"] == {"id": note_id}

    grid = unique_grid()
    await adb.execute("insert into tests.rt_members (user_id, grid_id) values (%s, %s)", (user.id, grid))
    _, tasks = await subscribe(client, binding("rt_tasks", "DELETE"))
    cur = await adb.execute("insert into tests.rt_tasks (grid_id, label, detail) values (%s, 'big', %s) returning id",
                            (grid, body))
    task = (await cur.fetchone())[0]
    await adb.execute("delete from tests.rt_tasks where id = %s", (task,))
    _, payload = await tasks.wait_for(lambda d: d["old_record"]["id"] == task)
    assert payload["data"]["old_record"]["detail"] == body


async def test_tables_added_to_the_publication_at_runtime_are_captured(rt, adb, stack) -> None:
    table = unique("late").replace("-", "_")
    await adb.execute(f"create table tests.{table} (id integer primary key, note text)")
    try:
        await adb.execute(f"alter publication supabase_realtime add table tests.{table}")
        client = await rt(stack.service_key)
        _, inbox = await subscribe(client, binding(table))
        await adb.execute(f"insert into tests.{table} values (1, 'arrived')")
        _, payload = await inbox.wait_for(lambda d: d["type"] == "INSERT")
        assert payload["data"]["record"] == {"id": 1, "note": "arrived"}

        # And a table that leaves the publication loses its trigger.
        await adb.execute(f"alter publication supabase_realtime drop table tests.{table}")
        cur = await adb.execute("select count(*) from pg_trigger where tgrelid = %s::regclass", (f"tests.{table}",))
        assert (await cur.fetchone())[0] == 0
    finally:
        await adb.execute(f"drop table if exists tests.{table}")


async def test_a_schema_reload_puts_back_a_missing_capture_trigger(rt, adb, stack) -> None:
    """The gateway's safety net beside the event trigger: `NOTIFY pgrst, 'reload schema'` re-syncs."""
    table = unique("lost").replace("-", "_")
    await adb.execute(f"create table tests.{table} (id integer primary key)")
    try:
        await adb.execute(f"alter publication supabase_realtime add table tests.{table}")
        await adb.execute(f"drop trigger cityloop_realtime_capture on tests.{table}")  # DROP TRIGGER fires no sync
        await adb.execute("notify pgrst, 'reload schema'")
        deadline = time.monotonic() + 5
        while True:
            cur = await adb.execute("select count(*) from pg_trigger where tgrelid = %s::regclass", (f"tests.{table}",))
            if (await cur.fetchone())[0] == 1:
                break
            assert time.monotonic() < deadline, "the capture trigger was not put back"
            await asyncio.sleep(0.05)
        _, inbox = await subscribe(await rt(stack.service_key), binding(table))
        await adb.execute(f"insert into tests.{table} values (7)")
        await inbox.wait_for(lambda d: d["record"] == {"id": 7})
    finally:
        await adb.execute(f"drop table if exists tests.{table}")


async def test_a_changed_policy_applies_to_the_next_delete(rt, adb, make_user) -> None:
    """DELETE checks use cached policy expressions: DDL drops the cache in commit order."""
    table = unique("pol").replace("-", "_")
    await adb.execute(f"""create table tests.{table} (id integer primary key, owner_id uuid not null);
        alter table tests.{table} enable row level security;
        create policy "Owners see theirs" on tests.{table} for select to authenticated using ((select auth.uid()) = owner_id);
        alter publication supabase_realtime add table tests.{table}""")
    try:
        user = make_user(schema="tests")
        _, inbox = await subscribe(await rt(user.access_token), binding(table), binding("rt_public", "INSERT"))
        await adb.execute(f"insert into tests.{table} values (1, %s), (2, %s)", (user.id, user.id))
        await inbox.wait_for(lambda d: d["type"] == "INSERT" and d["record"]["id"] == 2)
        await adb.execute(f"delete from tests.{table} where id = 1")
        await inbox.wait_for(lambda d: d["type"] == "DELETE" and d["old_record"]["id"] == 1)

        await adb.execute(f'alter policy "Owners see theirs" on tests.{table} using (false)')
        await adb.execute(f"delete from tests.{table} where id = 2")
        sentinel = unique_grid()
        await adb.execute("insert into tests.rt_public (id, body) values (%s, 'sentinel')", (sentinel,))
        await inbox.wait_for(lambda d: d["table"] == "rt_public" and d["record"]["id"] == sentinel)
        assert [d["old_record"]["id"] for d in inbox.records("DELETE")] == [1]
    finally:
        await adb.execute(f"drop table if exists tests.{table}")
