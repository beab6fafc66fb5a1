"""Buckets through supabase-py: managed by the service role, refused to anon and to people without policies.

The only bucket policy in the test fixtures lets signed-in people *see* the
three test buckets; nobody but the service role may create, change, empty or
delete one.
"""

from __future__ import annotations

import pytest

from tests.backend.storage_support import api_error, assert_error, files_under, raw, storage_root, tag
from tests.conftest import STORAGE_MAX_BYTES


@pytest.fixture()
def bucket_id(service):
    """A fresh bucket id; the bucket (if made) is emptied and removed afterwards."""
    name = f"t-{tag()}"
    yield name
    try:
        service.storage.empty_bucket(name)
        service.storage.delete_bucket(name)
    except Exception:
        pass


def bucket_row(db, bucket: str):
    row = db.execute("select to_jsonb(b) from storage.buckets b where id = %s", (bucket,)).fetchone()
    return row[0] if row else None


def test_service_role_creates_reads_updates_and_deletes(service, bucket_id, db) -> None:
    storage = service.storage
    answer = storage.create_bucket(bucket_id, options={
        "public": False, "file_size_limit": 1000, "allowed_mime_types": ["image/*", " Text/Plain; charset=utf-8"]})
    assert answer == {"name": bucket_id}
    got = storage.get_bucket(bucket_id)
    assert (got.id, got.name, got.public, got.file_size_limit) == (bucket_id, bucket_id, False, 1000)
    assert got.allowed_mime_types == ["image/*", "text/plain"]  # normalised as upstream stores them
    assert got.owner == "" and got.type == "STANDARD"
    assert bucket_id in [b.id for b in storage.list_buckets()]

    assert storage.update_bucket(bucket_id, {"public": True, "file_size_limit": 2048}) == {
        "message": "Successfully updated"}
    got = storage.get_bucket(bucket_id)
    assert (got.public, got.file_size_limit, got.allowed_mime_types) == (True, 2048, ["image/*", "text/plain"])
    # Named with null, a restriction goes; not named, it stays.
    storage.update_bucket(bucket_id, {"allowed_mime_types": None, "file_size_limit": "1.5KB"})
    got = storage.get_bucket(bucket_id)
    assert (got.public, got.file_size_limit, got.allowed_mime_types) == (True, 1500, None)

    assert storage.delete_bucket(bucket_id) == {"message": "Successfully deleted"}
    assert bucket_row(db, bucket_id) is None
    err = api_error(lambda: storage.get_bucket(bucket_id), 404, "Bucket not found")
    assert err.message == "Bucket not found"
    api_error(lambda: storage.delete_bucket(bucket_id), 404, "Bucket not found")
    api_error(lambda: storage.update_bucket(bucket_id, {"public": False}), 404, "Bucket not found")


def test_bucket_names_and_options_are_checked(service, bucket_id, db) -> None:
    storage = service.storage
    for bad in ("a/b", "..", ".", "~tmp", "x" * 101, "with\\backslash", "nul\x00"):
        api_error(lambda: storage.create_bucket(bad), 400, "Invalid Input")
    assert db.execute("select count(*) from storage.buckets where id in ('..', '.', '~tmp', 'a/b')").fetchone()[0] == 0
    api_error(lambda: storage.create_bucket(bucket_id, options={"file_size_limit": STORAGE_MAX_BYTES + 1}),
              413, "Payload too large")
    api_error(lambda: storage.create_bucket(bucket_id, options={"file_size_limit": "ten MB"}), 400)
    for bad_type in ("*/*", "image/p*", "image/png/extra", "garbage*", "image/png;foo=x, application/pdf"):
        api_error(lambda: storage.create_bucket(bucket_id, options={"allowed_mime_types": [bad_type]}),
                  415, "invalid_mime_type")
    assert bucket_row(db, bucket_id) is None
    storage.create_bucket(bucket_id, options={"file_size_limit": "1MB"})
    assert bucket_row(db, bucket_id)["file_size_limit"] == 1_000_000
    api_error(lambda: storage.create_bucket(bucket_id), 409, "Duplicate")


def test_anon_and_people_without_policies_cannot_manage_buckets(service, anon, user_a, bucket_id, db, stack) -> None:
    for client in (anon, user_a.client):
        api_error(lambda: client.storage.create_bucket(bucket_id), 403, "Unauthorized")
        assert bucket_row(db, bucket_id) is None
    service.storage.create_bucket(bucket_id)
    before = bucket_row(db, bucket_id)
    for client in (anon, user_a.client):
        assert bucket_id not in [b.id for b in client.storage.list_buckets()]
        api_error(lambda: client.storage.get_bucket(bucket_id), 404, "Bucket not found")
        api_error(lambda: client.storage.update_bucket(bucket_id, {"public": True}), 404, "Bucket not found")
        api_error(lambda: client.storage.empty_bucket(bucket_id), 404, "Bucket not found")
        api_error(lambda: client.storage.delete_bucket(bucket_id), 404, "Bucket not found")
    assert bucket_row(db, bucket_id) == before
    # What a policy lets people see, they see; anon has no policy at all.
    assert {b.id for b in user_a.client.storage.list_buckets()} == {"user-files", "shared", "public-media"}
    assert anon.storage.list_buckets() == []
    assert user_a.client.storage.get_bucket("shared").public is False
    api_error(lambda: user_a.client.storage.update_bucket("shared", {"public": True}), 404, "Bucket not found")
    assert bucket_row(db, "shared")["public"] is False


def test_a_bucket_with_objects_is_emptied_before_it_is_deleted(service, bucket_id, db, stack) -> None:
    storage = service.storage
    storage.create_bucket(bucket_id)
    names = ["a.txt", "docs/b.txt", "docs/deep/c.txt"]
    for name in names:
        storage.from_(bucket_id).upload(name, name.encode())
    assert len(files_under(stack, bucket_id)) == 3
    err = api_error(lambda: storage.delete_bucket(bucket_id), 409, "ResourceNotEmpty")
    assert err.message == "The bucket you tried to delete is not empty"
    assert bucket_row(db, bucket_id) is not None and len(files_under(stack, bucket_id)) == 3

    assert storage.empty_bucket(bucket_id) == {"message": "Successfully emptied"}
    assert db.execute("select count(*) from storage.objects where bucket_id = %s", (bucket_id,)).fetchone()[0] == 0
    assert files_under(stack, bucket_id) == []
    storage.delete_bucket(bucket_id)
    assert bucket_row(db, bucket_id) is None
    assert not (storage_root(stack) / bucket_id).exists()


def test_emptying_is_all_or_nothing(service, user_a, db, stack) -> None:
    """`shared`: people may see its objects but not delete them, so emptying it deletes nothing."""
    service.storage.from_("shared").upload(f"{tag()}/keep.txt", b"keep")
    count = db.execute("select count(*) from storage.objects where bucket_id = 'shared'").fetchone()[0]
    files = files_under(stack, "shared")
    err = api_error(lambda: user_a.client.storage.empty_bucket("shared"), 403, "Unauthorized")
    assert err.message.startswith("Cannot delete: ") and "SELECT but not DELETE" in err.message
    assert db.execute("select count(*) from storage.objects where bucket_id = 'shared'").fetchone()[0] == count
    assert files_under(stack, "shared") == files


def test_bucket_listing_options(service, bucket_id, stack) -> None:
    service.storage.create_bucket(bucket_id)
    r = raw(stack, "GET", f"/bucket?search={bucket_id}&sortColumn=id&sortOrder=desc&limit=5", key="service")
    assert r.status_code == 200 and [b["id"] for b in r.json()] == [bucket_id]
    assert_error(raw(stack, "GET", "/bucket?sortColumn=owner", key="service"), 400)
    assert_error(raw(stack, "GET", "/bucket?limit=0", key="service"), 400)
