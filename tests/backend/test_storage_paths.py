"""Object names that try to leave their bucket's folder are refused (400) before anything else happens.

Through the raw API (storage3 itself refuses dot segments before sending), as
the service role, so no policy is what stops them; then the name checks and
the path layout on their own, on a folder of the test's.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from backend.local_supabase.storage import errors, paths
from tests.backend.storage_support import assert_error, raw, storage_root, tag, temp_files

# What the client puts in the URL, and the name the server sees once it is decoded.
TRAVERSALS = {
    "%2E%2E/x": "../x",
    "%2Fabs": "/abs",
    "a/%2E%2E/%2E%2E/b": "a/../../b",
    "a%5Cb": "a\\b",
    "a%00b": "a\x00b",
    "a/%2E/b": "a/./b",
    "a//b": "a//b",
    "a/": "a/",
    "tab%09here": "tab\there",
}


def everything(stack) -> list[str]:
    """Every file in the test stack's state folder outside the database: nothing may appear."""
    skip = {"db", "run", "logs"}
    out = []
    for entry in stack.home.iterdir():
        if entry.name in skip:
            continue
        out += [str(p) for p in ([entry] if entry.is_file() else entry.rglob("*")) if p.is_file()]
    return sorted(out)


@pytest.mark.parametrize("encoded", list(TRAVERSALS))
def test_traversal_names_are_refused_everywhere(stack, db, encoded) -> None:
    before = everything(stack)
    rows = db.execute("select count(*) from storage.objects").fetchone()[0]
    name = TRAVERSALS[encoded]
    for method, path, kwargs in (
        ("POST", f"/object/shared/{encoded}", {"files": {"file": ("x", b"evil", "text/plain")}}),
        ("PUT", f"/object/shared/{encoded}", {"content": b"evil"}),
        ("GET", f"/object/shared/{encoded}", {}),
        ("GET", f"/object/authenticated/shared/{encoded}", {}),
        ("GET", f"/object/info/shared/{encoded}", {}),
        ("POST", f"/object/sign/shared/{encoded}", {"json": {"expiresIn": 60}}),
        ("POST", f"/object/upload/sign/shared/{encoded}", {}),
        ("DELETE", f"/object/shared/{encoded}", {}),
    ):
        r = raw(stack, method, path, key="service", **kwargs)
        body = assert_error(r, 400, "InvalidKey")
        assert body["message"].startswith("Invalid key"), (method, path, body)
    for field in ("sourceKey", "destinationKey"):
        body = {"bucketId": "shared", "sourceKey": "ok.txt", "destinationKey": "ok2.txt", field: name}
        for op in ("move", "copy"):
            assert_error(raw(stack, "POST", f"/object/{op}", key="service", json=body), 400, "InvalidKey")
    assert everything(stack) == before
    assert db.execute("select count(*) from storage.objects").fetchone()[0] == rows


def test_a_line_break_in_the_url_is_refused_in_storages_shape(stack, db) -> None:
    """No route matches a path with a line break in it; the answer is still Storage's, and nothing is kept."""
    before = everything(stack)
    for method in ("POST", "PUT", "GET"):
        r = raw(stack, method, "/object/shared/line%0Abreak", key="service", content=b"evil")
        assert_error(r, 404, "Not Found", http=404)
    assert everything(stack) == before
    assert db.execute("select count(*) from storage.objects where name like 'line%'").fetchone()[0] == 0


def test_traversal_bucket_ids_are_refused(stack) -> None:
    for encoded in ("%2E%2E", "%2E", "~tmp"):
        r = raw(stack, "POST", f"/object/{encoded}/x.txt", key="service", content=b"evil")
        assert_error(r, 400, "Invalid Input")
    r = raw(stack, "POST", "/object/move", key="service",
            json={"bucketId": "shared", "sourceKey": "a", "destinationBucket": "..", "destinationKey": "b"})
    assert_error(r, 400, "Invalid Input")
    assert temp_files(stack) == []


def test_a_hand_written_row_never_reaches_outside(stack, db, service) -> None:
    """A row put in by SQL (no API checks) with a climbing name: downloads refuse it, removal touches no file."""
    outside = stack.home / f"outside-{tag()}"
    version = str(uuid.uuid4())
    (outside / version).parent.mkdir()
    (outside / version).write_bytes(b"not yours")
    name = f"../../{outside.name}"
    assert (storage_root(stack) / "shared" / name / version).resolve() == (outside / version).resolve()
    db.execute("insert into storage.objects (bucket_id, name, version, metadata) values ('shared', %s, %s, '{}')",
               (name, version))
    try:
        encoded = name.replace(".", "%2E")
        for path in (f"/object/shared/{encoded}", f"/object/info/shared/{encoded}"):
            assert_error(raw(stack, "GET", path, key="service"), 400, "InvalidKey")
        signed = service.storage.from_("shared").create_signed_urls([name], 60)
        assert signed[0]["signedURL"] is not None  # the row exists, so a URL is made, yet it leads nowhere:
        token = signed[0]["signedURL"].split("token=")[1]
        r = raw(stack, "GET", f"/object/sign/shared/{encoded}?token={token}", key=None)
        assert_error(r, 400, "InvalidKey")
        removed = service.storage.from_("shared").remove([name])
        assert [r["name"] for r in removed] == [name]  # removal drops the row and touches no file outside
        assert (outside / version).read_bytes() == b"not yours"
    finally:
        db.execute("delete from storage.objects where bucket_id = 'shared' and name = %s", (name,))
        shutil.rmtree(outside)


@pytest.mark.parametrize("good", ["a.txt", "a/b/c.txt", "报告/照片 1.jpg", "a..b/..c", ".hidden/x", "x" * 255,
                                  "folder/.emptyFolderPlaceholder", "with space/and 'quote' (1).pdf"])
def test_names_that_are_fine(good) -> None:
    assert paths.object_name(good) == good


@pytest.mark.parametrize("bad", ["", ".", "..", "../x", "/abs", "a/../../b", "a\\b", "a\x00b", "a//b", "a/",
                                 "a/./b", "tab\there", "del\x7f", "non\ufffechar", "x" * 256, "a/" * 600 + "b",
                                 "lone\ud800surrogate", None, 7])
def test_names_that_are_refused(bad) -> None:
    with pytest.raises(errors.StorageError) as caught:
        paths.object_name(bad)
    assert caught.value.code == "InvalidKey" and caught.value.status == 400


def test_layout_resolves_and_refuses_symlinks_out(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    (root / "bucket").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "bucket" / "link")
    layout = paths.Layout(root)
    version = str(uuid.uuid4())
    assert layout.version_file("bucket", "a/b.txt", version) == layout.root / "bucket" / "a" / "b.txt" / version
    assert layout.version_file("bucket", "a.txt", "../../x") is None  # a version is never a path
    with pytest.raises(errors.StorageError):
        layout.object_dir("bucket", "link/x.txt")  # resolves outside the bucket's folder
    os.symlink(tmp_path / "elsewhere", root / "escape")
    with pytest.raises(errors.StorageError):
        layout.bucket_dir("escape")
