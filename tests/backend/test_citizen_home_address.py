"""Migration 1000 (citizen app): the profile's home address, written and read by its owner only."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError


def test_the_owner_sets_and_reads_their_home_address(make_user, db) -> None:
    user = make_user(app_metadata={"role": "citizen"})
    rows = user.client.table("profiles").update({"home_address": "新华路 3 号 2-301"}).eq("id", user.id).execute().data
    assert [r["home_address"] for r in rows] == ["新华路 3 号 2-301"]
    assert db.execute("select home_address from public.profiles where id = %s", (user.id,)).fetchone()[0] \
        == "新华路 3 号 2-301"


def test_nobody_else_reads_or_changes_it(make_user, anon) -> None:
    owner, other = make_user(), make_user()
    owner.client.table("profiles").update({"home_address": "秘密地址"}).eq("id", owner.id).execute()
    assert other.client.table("profiles").update({"home_address": "x"}).eq("id", owner.id).execute().data == []
    assert other.client.table("profiles").select("home_address").eq("id", owner.id).execute().data == []
    assert anon.table("profiles").select("home_address").eq("id", owner.id).execute().data == []
    assert owner.client.table("profiles").select("home_address").execute().data == [{"home_address": "秘密地址"}]


def test_an_address_longer_than_300_characters_is_refused(make_user) -> None:
    user = make_user()
    with pytest.raises(APIError) as refused:
        user.client.table("profiles").update({"home_address": "路" * 301}).eq("id", user.id).execute()
    assert refused.value.code == "23514"
