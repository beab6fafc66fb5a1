"""Migration 0900: the elderly mode's text size step on the profile, changed by its owner only."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError


def _size(db, user_id) -> int:
    return db.execute("select text_size from public.profiles where id = %s", (user_id,)).fetchone()[0]


def test_the_default_is_the_middle_step_and_the_owner_changes_it(make_user, db) -> None:
    user = make_user(app_metadata={"role": "citizen"})
    assert _size(db, user.id) == 2
    rows = user.client.table("profiles").update({"text_size": 3}).eq("id", user.id).execute().data
    assert [r["text_size"] for r in rows] == [3]
    assert _size(db, user.id) == 3


def test_a_stranger_who_knows_the_id_changes_nothing_and_reads_nothing(make_user, db) -> None:
    owner, stranger = make_user(), make_user()
    owner.client.table("profiles").update({"text_size": 1}).eq("id", owner.id).execute()
    assert stranger.client.table("profiles").update({"text_size": 3}).eq("id", owner.id).execute().data == []
    assert stranger.client.table("profiles").select("text_size").eq("id", owner.id).execute().data == []
    assert _size(db, owner.id) == 1


def test_anon_may_not_write_it(make_user, anon, db) -> None:
    owner = make_user()
    with pytest.raises(APIError) as refused:
        anon.table("profiles").update({"text_size": 3}).eq("id", owner.id).execute()
    assert refused.value.code == "42501"
    assert _size(db, owner.id) == 2


@pytest.mark.parametrize("step", [0, 4])
def test_a_step_outside_1_to_3_is_refused(make_user, db, step) -> None:
    user = make_user()
    with pytest.raises(APIError) as refused:
        user.client.table("profiles").update({"text_size": step}).eq("id", user.id).execute()
    assert refused.value.code == "23514"
    assert _size(db, user.id) == 2
