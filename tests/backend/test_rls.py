"""Row-level security through /rest/v1: the owner-only policies of tests.notes, each allowed and denied.

Denied reads and writes under a `using` clause return nothing rather than an error,
so those tests assert emptiness and then check in SQL that the other person's
rows are untouched. Denied inserts (`with check`) are errors: 403, or 401 for anon.
"""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.backend.rest_support import assert_error, reload_schema, rest, sql_rows


@pytest.fixture()
def notes(db, user_a, user_b):
    """Two notes for each of A and B, written through the API as their owners; removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    for user in (user_a, user_b):
        user.client.table("notes").insert([{"title": f"{tag}-{user.id[:4]}-1"},
                                           {"title": f"{tag}-{user.id[:4]}-2"}]).execute()
    rows = sql_rows(db, "select id, owner_id, title, body from tests.notes where title like %s order by id", (tag + "%",))
    yield {"tag": tag, "a": [r for r in rows if r["owner_id"] == user_a.id],
           "b": [r for r in rows if r["owner_id"] == user_b.id]}
    db.execute("delete from tests.notes where title like %s", (tag + "%",))


def note_rows(db, ids) -> list[dict]:
    return sql_rows(db, "select id, owner_id, title, body from tests.notes where id = any(%s) order by id", (list(ids),))


def test_insert_takes_the_owner_from_the_token(notes, user_a, user_b) -> None:
    for key, user in (("a", user_a), ("b", user_b)):
        assert [r["title"] for r in notes[key]] == [f"{notes['tag']}-{user.id[:4]}-1", f"{notes['tag']}-{user.id[:4]}-2"]


def test_owner_reads_only_their_rows(notes, user_a, user_b, db) -> None:
    mine = user_a.client.table("notes").select("id,owner_id,title").like("title", notes["tag"] + "*").order("id").execute()
    assert [r["id"] for r in mine.data] == [r["id"] for r in notes["a"]]
    assert {r["owner_id"] for r in mine.data} == {user_a.id}
    # Even naming B's rows explicitly gives nothing.
    b_ids = [r["id"] for r in notes["b"]]
    assert user_a.client.table("notes").select("*").in_("id", b_ids).execute().data == []
    count = user_a.client.table("notes").select("id", count="exact", head=True).in_("id", b_ids).execute().count
    assert count == 0


def test_owner_cannot_update_or_delete_someone_elses_rows(notes, user_a, db) -> None:
    b_ids = [r["id"] for r in notes["b"]]
    assert user_a.client.table("notes").update({"body": "hacked"}).in_("id", b_ids).execute().data == []
    assert user_a.client.table("notes").delete().in_("id", b_ids).execute().data == []
    # Without filters: only A's own rows could ever be touched.
    changed = user_a.client.table("notes").update({"body": "mine"}).like("title", notes["tag"] + "*").execute().data
    assert sorted(r["id"] for r in changed) == [r["id"] for r in notes["a"]]
    assert note_rows(db, b_ids) == notes["b"]


def test_owner_updates_and_deletes_their_own_rows(notes, user_a, db) -> None:
    a1, a2 = (r["id"] for r in notes["a"])
    updated = user_a.client.table("notes").update({"body": "edited"}).eq("id", a1).execute().data
    assert [(r["id"], r["body"]) for r in updated] == [(a1, "edited")]
    assert [r["id"] for r in user_a.client.table("notes").delete().eq("id", a2).execute().data] == [a2]
    assert [(r["id"], r["body"]) for r in note_rows(db, [a1, a2])] == [(a1, "edited")]


def test_cannot_insert_a_row_owned_by_someone_else(stack, notes, user_a, user_b, db) -> None:
    title = notes["tag"] + "-forged"
    with pytest.raises(APIError) as err:
        user_a.client.table("notes").insert({"title": title, "owner_id": user_b.id}).execute()
    assert err.value.code == "42501"
    r = rest(stack, "POST", "/notes", key="anon", token=user_a.access_token,
             body={"title": title, "owner_id": user_b.id})
    assert_error(r, 403, "42501")
    assert db.execute("select count(*) from tests.notes where title = %s", (title,)).fetchone()[0] == 0


def test_cannot_give_a_row_away(stack, notes, user_a, user_b, db) -> None:
    a1 = notes["a"][0]["id"]
    with pytest.raises(APIError) as err:
        user_a.client.table("notes").update({"owner_id": user_b.id}).eq("id", a1).execute()
    assert err.value.code == "42501"
    assert note_rows(db, [a1]) == [notes["a"][0]]


def test_anon_sees_nothing_and_cannot_write(stack, notes, as_anon, db) -> None:
    assert as_anon.table("notes").select("*").like("title", notes["tag"] + "*").execute().data == []
    title = notes["tag"] + "-anon"
    with pytest.raises(APIError) as err:
        as_anon.table("notes").insert({"title": title}).execute()
    assert err.value.code == "42501"
    assert_error(rest(stack, "POST", "/notes", key="anon", body={"title": title}), 401, "42501")
    b_ids = [r["id"] for r in notes["b"]]
    assert as_anon.table("notes").update({"body": "x"}).in_("id", b_ids).execute().data == []
    assert as_anon.table("notes").delete().in_("id", b_ids).execute().data == []
    assert db.execute("select count(*) from tests.notes where title = %s", (title,)).fetchone()[0] == 0
    assert note_rows(db, b_ids) == notes["b"]


def test_service_role_sees_and_changes_everything(notes, as_service, db) -> None:
    everyone = as_service.table("notes").select("id,owner_id,title,body").like("title", notes["tag"] + "*").order("id").execute()
    assert everyone.data == sorted(notes["a"] + notes["b"], key=lambda r: r["id"])
    b1 = notes["b"][0]["id"]
    as_service.table("notes").update({"body": "by service"}).eq("id", b1).execute()
    assert note_rows(db, [b1])[0]["body"] == "by service"


def test_each_person_counts_only_their_rows(notes, user_a, user_b) -> None:
    for user, own in ((user_a, notes["a"]), (user_b, notes["b"])):
        answer = user.client.table("notes").select("id", count="exact").like("title", notes["tag"] + "*").execute()
        assert answer.count == len(own) == 2


def test_function_rows_obey_the_callers_policies(notes, user_a, db) -> None:
    """A function (security invoker) reading every note still returns only the caller's."""
    db.execute("create or replace function tests.all_notes() returns setof tests.notes language sql stable"
               " as $$ select * from tests.notes $$")
    try:
        data = reload_schema(db, lambda: user_a.client.rpc("all_notes", {}).like("title", notes["tag"] + "*")
                             .execute().data)
        assert sorted(r["id"] for r in data) == [r["id"] for r in notes["a"]]
    finally:
        db.execute("drop function tests.all_notes()")
        db.execute("notify pgrst, 'reload schema'")
