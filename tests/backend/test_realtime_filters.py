"""postgres_changes filters (backend/local_supabase/realtime/filters.py): parsing, typed comparison, and end to end."""

from __future__ import annotations

import pytest

from backend.local_supabase.realtime.catalog import Column, TableMeta
from backend.local_supabase.realtime.filters import FilterError, parse_filter
from tests.backend.realtime_support import binding, subscribe, unique_grid

TABLE = TableMeta(1, "tests", "rows", [
    Column("id", "int8", "bigint"), Column("amount", "numeric", "numeric(10,2)"), Column("title", "text", "text"),
    Column("done", "bool", "boolean"), Column("due", "date", "date"), Column("at", "timestamptz", "timestamp with time zone"),
    Column("owner", "uuid", "uuid"),
], ("id",), ("id",))

ROW = {"id": 7, "amount": 12.5, "title": "Fix the road", "done": False, "due": "2025-03-01",
       "at": "2025-03-01T10:00:00+00:00", "owner": "0b1c2d3e-0000-4000-8000-000000000001"}


@pytest.mark.parametrize("text, expected", [
    ("id=eq.7", True), ("id=eq.8", False), ("id=neq.8", True),
    ("amount=gt.12", True), ("amount=gt.12.5", False), ("amount=gte.12.50", True),
    ("amount=lt.100", True), ("amount=lte.12.49", False),
    ("id=in.(1,7,9)", True), ("id=in.(1,2)", False), ('title=in.("Fix the road",other)', True),
    ("title=like.Fix%", True), ("title=like.fix%", False), ("title=ilike.fix%", True),
    ("title=match.^Fix", True), ("title=imatch.ROAD$", True),
    ("done=is.false", True), ("done=is.true", False), ("title=is.null", False), ("missing_is_null=is.null", None),
    ("due=lt.2025-03-02", True), ("due=gte.2025-03-02", False),
    ("at=gt.2025-03-01T09:59:59Z", True), ("at=lt.2025-03-01T10:00:00Z", False),
    ("owner=eq.0B1C2D3E-0000-4000-8000-000000000001", True),
    ("id=not.eq.7", False), ("id=not.in.(1,2)", True), ("id=isdistinct.7", False), ("id=isdistinct.null", True),
    ("id=eq.7,amount=gt.100", False), ("id=eq.7,title=like.%road", True),
])
def test_filters_compare_as_the_column_type(text: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(FilterError, match="does not exist"):
            parse_filter(text, TABLE)
        return
    assert parse_filter(text, TABLE).test(ROW) is expected


def test_nulls_never_match_except_through_is_and_isdistinct() -> None:
    row = {**ROW, "amount": None}
    assert parse_filter("amount=eq.1", TABLE).test(row) is False
    assert parse_filter("amount=not.eq.1", TABLE).test(row) is False  # NOT (NULL = 1) is still NULL
    assert parse_filter("amount=is.null", TABLE).test(row) is True
    assert parse_filter("amount=isdistinct.1", TABLE).test(row) is True


@pytest.mark.parametrize("text, message", [
    ("nope=eq.1", "does not exist"), ("id=eq.abc", "invalid input for type int8"),
    ("id=between.1", "unknown filter operator"), ("id", "column=operator.value"),
    ("id=in.1,2", "parentheses"), ("done=is.maybe", "`is` takes"), ("due=eq.March", "invalid input for type date"),
])
def test_bad_filters_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text, TABLE)


async def test_filters_select_the_changes_a_channel_gets(rt, adb, stack) -> None:
    grid = unique_grid()
    client = await rt(stack.service_key)  # the service role sees every row: only the filters decide
    filters = {
        "gt": f"grid_id=eq.{grid},amount=gt.10", "lte": f"grid_id=eq.{grid},amount=lte.10",
        "in": f"grid_id=eq.{grid},status=in.(done,closed)", "neq": f"grid_id=eq.{grid},status=neq.open",
        "lt_date": f"grid_id=eq.{grid},due=lt.2025-01-01", "gte_date": f"grid_id=eq.{grid},due=gte.2025-01-01",
    }
    inboxes = {}
    for name, text in filters.items():
        _, inboxes[name] = await subscribe(client, binding("rt_grid_rows", "INSERT", text))
    _, everything = await subscribe(client, binding("rt_grid_rows", "INSERT", f"grid_id=eq.{grid}"))
    rows = [("a", 5, "open", "2024-06-01"), ("b", 50, "done", "2025-06-01"), ("c", 10, "closed", None), ("d", None, "open", "2025-01-01")]
    for title, amount, status, due in rows:
        await adb.execute("insert into tests.rt_grid_rows (grid_id, title, amount, status, due) values (%s, %s, %s, %s, %s)",
                          (grid, title, amount, status, due))
    await everything.wait_for(lambda d: d["record"]["title"] == "d")
    assert [d["record"]["title"] for d in everything.records()] == ["a", "b", "c", "d"]
    got = {name: sorted(d["record"]["title"] for d in inbox.records()) for name, inbox in inboxes.items()}
    assert got == {"gt": ["b"], "lte": ["a", "c"], "in": ["b", "c"], "neq": ["b", "c"],
                   "lt_date": ["a"], "gte_date": ["b", "d"]}


async def test_eq_filter_with_rls(rt, adb, make_user) -> None:
    grid = unique_grid()
    user = make_user({"grid_id": grid}, schema="tests")
    cur = await adb.execute("insert into tests.rt_grid_rows (grid_id, title) values (%s, 'watched'), (%s, 'other') returning id",
                            (grid, grid))
    watched, other = [r[0] for r in await cur.fetchall()]
    client = await rt(user.access_token)
    _, inbox = await subscribe(client, binding("rt_grid_rows", "UPDATE", f"id=eq.{watched}"))
    await adb.execute("update tests.rt_grid_rows set title = title || '!' where id in (%s, %s)", (watched, other))
    await adb.execute("update tests.rt_grid_rows set title = 'last' where id = %s", (watched,))
    await inbox.wait_for(lambda d: d["record"]["title"] == "last")
    assert [d["record"]["title"] for d in inbox.records()] == ["watched!", "last"]


async def test_a_bad_filter_fails_the_join_with_the_reason(rt, stack) -> None:
    client = await rt(stack.service_key)
    channel = client.channel("bad-filter")
    states = []
    channel.on_postgres_changes("INSERT", schema="tests", table="rt_grid_rows", filter="amount=gt.lots",
                                callback=lambda p: None)
    await channel.subscribe(lambda state, error: states.append((state.value, str(error))))
    assert states and states[0][0] == "CHANNEL_ERROR"
    assert "invalid input for type numeric" in states[0][1]
    await client.remove_channel(channel)
