"""Listing: `list` (folders and files one level below a prefix) and `list_v2` (cursor pages), as the caller sees them."""

from __future__ import annotations

import time

import pytest

from tests.backend.storage_support import api_error, assert_error, raw, tag

BUCKET = "user-files"
NAMES = ["a.txt", "B.txt", "sub/c.txt", "sub/deeper/d.txt", "zeta/e.txt", "Alpha.txt"]


@pytest.fixture()
def tree(user_a) -> str:
    folder = f"{user_a.id}/{tag()}"
    bucket = user_a.client.storage.from_(BUCKET)
    for name in NAMES:
        bucket.upload(f"{folder}/{name}", name.encode())
        time.sleep(0.01)  # distinct created_at, in NAMES order
    return folder


def names(entries) -> list[str]:
    return [e["name"] for e in entries]


def test_list_shows_folders_and_files_one_level_down(user_a, tree) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    entries = bucket.list(tree)
    # Upstream's order: case-insensitive, a folder sorting as its name plus "/".
    assert names(entries) == ["a.txt", "Alpha.txt", "B.txt", "sub", "zeta"]
    folders = [e for e in entries if e["id"] is None]
    assert names(folders) == ["sub", "zeta"]
    assert all(e["metadata"] is None and e["created_at"] is None for e in folders)
    files = {e["name"]: e for e in entries if e["id"] is not None}
    assert files["a.txt"]["metadata"]["size"] == len(b"a.txt") and files["a.txt"]["created_at"].endswith("Z")
    assert bucket.list(tree + "/") == entries  # a prefix is always a folder
    assert names(bucket.list(f"{tree}/sub")) == ["c.txt", "deeper"]
    assert names(bucket.list(f"{tree}/sub/deeper")) == ["d.txt"]
    assert bucket.list(f"{tree}/nothing-here") == []
    assert names(bucket.list(user_a.id, {"search": tree.split("/")[1]})) == [tree.split("/")[1]]


def test_list_options(user_a, tree) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    assert names(bucket.list(tree, {"search": "a"})) == ["a.txt", "Alpha.txt"]  # a name prefix, any case
    assert names(bucket.list(tree, {"search": "SU"})) == ["sub"]
    assert names(bucket.list(tree, {"limit": 2, "offset": 1})) == ["Alpha.txt", "B.txt"]
    assert names(bucket.list(tree, {"sortBy": {"column": "name", "order": "desc"}})) == [
        "zeta", "sub", "B.txt", "Alpha.txt", "a.txt"]
    # Other columns: folders first (by name), then files by that column.
    assert names(bucket.list(tree, {"sortBy": {"column": "created_at", "order": "asc"}})) == [
        "sub", "zeta", "a.txt", "B.txt", "Alpha.txt"]
    assert names(bucket.list(tree, {"sortBy": {"column": "created_at", "order": "desc"}})) == [
        "zeta", "sub", "Alpha.txt", "B.txt", "a.txt"]
    api_error(lambda: bucket.list(tree, {"sortBy": {"column": "owner"}}), 400)
    api_error(lambda: bucket.list(tree, {"limit": 0}), 400)


def test_others_see_nothing(user_b, anon, tree, stack) -> None:
    for client in (user_b.client, anon):
        assert client.storage.from_(BUCKET).list(tree) == []
        assert client.storage.from_(BUCKET).list_v2({"prefix": tree + "/"}).objects == []
    assert_error(raw(stack, "POST", f"/object/list/{BUCKET}", token=user_b.access_token, json={}), 400)


def test_list_v2_pages_with_a_cursor(user_a, tree) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    first = bucket.list_v2({"prefix": tree + "/", "with_delimiter": True, "limit": 3})
    assert first.hasNext and first.nextCursor
    seen_folders, seen_objects = list(first.folders), list(first.objects)
    page = first
    while page.hasNext:
        page = bucket.list_v2({"prefix": tree + "/", "with_delimiter": True, "limit": 3, "cursor": page.nextCursor})
        seen_folders += page.folders
        seen_objects += page.objects
    assert [(f.key, f.name) for f in seen_folders] == [("sub", f"{tree}/sub/"), ("zeta", f"{tree}/zeta/")]
    assert sorted(o.name for o in seen_objects) == sorted(f"{tree}/{n}" for n in ("a.txt", "B.txt", "Alpha.txt"))
    assert {o.key for o in seen_objects} == {"a.txt", "B.txt", "Alpha.txt"}
    flat = bucket.list_v2({"prefix": tree + "/"})
    assert not flat.hasNext and flat.folders == []
    assert [o.name for o in flat.objects] == sorted((f"{tree}/{n}" for n in NAMES), key=lambda s: s.encode())
    newest = bucket.list_v2({"prefix": tree + "/", "sortBy": {"column": "created_at", "order": "desc"}, "limit": 4})
    assert [o.name.split("/", 2)[2] for o in newest.objects] == ["Alpha.txt", "zeta/e.txt", "sub/deeper/d.txt",
                                                                  "sub/c.txt"]
    rest = bucket.list_v2({"prefix": tree + "/", "sortBy": {"column": "created_at", "order": "desc"},
                           "cursor": newest.nextCursor})
    assert [o.name.split("/", 2)[2] for o in rest.objects] == ["B.txt", "a.txt"] and not rest.hasNext
