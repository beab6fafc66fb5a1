"""Objects through supabase-py's storage client under the per-user-folder policies of tests/fixtures/30_storage_policies.sql.

`user-files`: a person may read, write and delete only under a folder named by
their user id. Every operation is tried allowed and denied, for two people and
anon; a denied one must fail and change nothing: no row, no file.
"""

from __future__ import annotations

import hashlib
import urllib.parse

import httpx
import pytest

from tests.backend.storage_support import (
    api_error, assert_absent, assert_error, assert_settled, object_row, raw, snapshot, storage_root, tag,
    temp_files, version_files,
)

BUCKET = "user-files"


@pytest.fixture()
def folder_a(user_a) -> str:
    """A fresh folder inside user A's own folder."""
    return f"{user_a.id}/{tag()}"


@pytest.fixture()
def a_file(user_a, folder_a, stack, db) -> str:
    """One file A uploaded into their folder."""
    name = f"{folder_a}/note.txt"
    user_a.client.storage.from_(BUCKET).upload(name, b"A's note", {"content-type": "text/plain"})
    assert_settled(stack, db, BUCKET, name, b"A's note")
    return name


def test_owner_uploads_downloads_and_removes_in_their_folder(user_a, folder_a, stack, db) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    name = f"{folder_a}/photo one.png"
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    answer = bucket.upload(name, content, {"content-type": "image/png", "cache-control": "60",
                                           "metadata": {"street": "Ring Rd 7"}})
    assert answer.full_path == f"{BUCKET}/{name}" and answer.path == name
    assert_settled(stack, db, BUCKET, name, content)
    row = object_row(db, BUCKET, name)
    assert row["owner"] == user_a.id and row["owner_id"] == user_a.id
    assert row["user_metadata"] == {"street": "Ring Rd 7"}
    meta = row["metadata"]
    assert meta["mimetype"] == "image/png" and meta["cacheControl"] == "max-age=60"
    assert meta["eTag"] == f'"{hashlib.md5(content).hexdigest()}"' and meta["contentLength"] == len(content)
    assert meta["httpStatusCode"] == 200 and meta["lastModified"].endswith("Z")

    assert bucket.download(name) == content
    info = bucket.info(name)
    assert info["id"] == row["id"] and info["name"] == name and info["size"] == len(content)
    assert info["content_type"] == "image/png" and info["metadata"] == {"street": "Ring Rd 7"}
    assert bucket.exists(name) is True and bucket.exists(name + ".missing") is False

    removed = bucket.remove([name, f"{folder_a}/never-there"])
    assert [r["name"] for r in removed] == [name]
    assert_absent(stack, db, BUCKET, name)
    # The object's folders went with it; the person's own folder is not left behind empty either.
    assert not (storage_root(stack) / BUCKET / folder_a).exists()


def test_upload_into_someone_elses_folder_is_refused(user_a, user_b, anon, stack, db) -> None:
    name = f"{user_a.id}/{tag()}/forged.txt"
    for client in (user_b.client, anon):
        err = api_error(lambda: client.storage.from_(BUCKET).upload(name, b"forged"), 403, "Unauthorized")
        assert err.message == "new row violates row-level security policy"
        assert_absent(stack, db, BUCKET, name)
    # Not even into a folder named like nobody: only one's own id works.
    api_error(lambda: user_a.client.storage.from_(BUCKET).upload(f"{tag()}/x.txt", b"x"), 403, "Unauthorized")
    assert temp_files(stack) == []


def test_others_cannot_read_list_sign_or_inspect(user_b, anon, a_file, folder_a, stack, db) -> None:
    for client in (user_b.client, anon):
        bucket = client.storage.from_(BUCKET)
        api_error(lambda: bucket.download(a_file), 404, "not_found")
        api_error(lambda: bucket.info(a_file), 404, "not_found")
        assert bucket.exists(a_file) is False
        assert bucket.list(folder_a) == []
        api_error(lambda: bucket.create_signed_url(a_file, 60), 404, "not_found")
        signed = bucket.create_signed_urls([a_file], 60)
        assert signed[0]["signedURL"] is None and signed[0]["error"]
    # The authenticated download path answers the same.
    r = raw(stack, "GET", f"/object/authenticated/{BUCKET}/{a_file}", token=user_b.access_token)
    assert_error(r, 404, "not_found")


def test_others_cannot_remove_move_or_overwrite(user_a, user_b, anon, a_file, folder_a, stack, db) -> None:
    before = snapshot(db, stack, BUCKET, folder_a + "/")
    for client in (user_b.client, anon):
        bucket = client.storage.from_(BUCKET)
        assert bucket.remove([a_file]) == []
        api_error(lambda: bucket.move(a_file, f"{folder_a}/moved.txt"), 404, "not_found")
        api_error(lambda: bucket.copy(a_file, f"{folder_a}/copied.txt"), 404, "not_found")
        api_error(lambda: bucket.upload(a_file, b"overwritten", {"upsert": "true"}), 403, "Unauthorized")
        api_error(lambda: bucket.update(a_file, b"overwritten"), 403, "Unauthorized")
        # The policy refuses the new row before the name's uniqueness is looked at: no hint that it exists.
        api_error(lambda: bucket.upload(a_file, b"overwritten"), 403, "Unauthorized")
    assert snapshot(db, stack, BUCKET, folder_a + "/") == before
    assert user_a.client.storage.from_(BUCKET).download(a_file) == b"A's note"
    assert temp_files(stack) == []


def test_upsert_replaces_only_when_asked(user_a, a_file, stack, db) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    first = object_row(db, BUCKET, a_file)
    api_error(lambda: bucket.upload(a_file, b"second"), 409, "Duplicate")
    assert object_row(db, BUCKET, a_file) == first
    assert_settled(stack, db, BUCKET, a_file, b"A's note")

    bucket.upload(a_file, b"second version", {"upsert": "true", "content-type": "text/markdown"})
    second = object_row(db, BUCKET, a_file)
    assert second["id"] == first["id"] and second["version"] != first["version"]
    assert second["metadata"]["mimetype"] == "text/markdown"
    assert_settled(stack, db, BUCKET, a_file, b"second version")  # the old version file is gone

    bucket.update(a_file, b"third")  # PUT always overwrites
    assert_settled(stack, db, BUCKET, a_file, b"third")
    assert bucket.download(a_file) == b"third"
    new_name = a_file.replace("note.txt", "made-by-put.txt")
    bucket.update(new_name, b"fresh")  # and creates what is not there yet
    assert_settled(stack, db, BUCKET, new_name, b"fresh")


def test_move_within_ones_own_folder_only(user_a, user_b, a_file, folder_a, stack, db) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    before = object_row(db, BUCKET, a_file)
    elsewhere = f"{user_b.id}/{tag()}/stolen.txt"
    api_error(lambda: bucket.move(a_file, elsewhere), 403, "Unauthorized")
    assert object_row(db, BUCKET, a_file) == before and object_row(db, BUCKET, elsewhere) is None
    assert not (storage_root(stack) / BUCKET / elsewhere).exists()

    target = f"{folder_a}/sub/renamed.txt"
    assert bucket.move(a_file, target)["message"] == "Successfully moved"
    moved = object_row(db, BUCKET, target)
    assert moved["id"] == before["id"] and moved["version"] != before["version"]
    assert object_row(db, BUCKET, a_file) is None and not (storage_root(stack) / BUCKET / a_file).exists()
    assert_settled(stack, db, BUCKET, target, b"A's note")
    api_error(lambda: bucket.move(a_file, target), 404, "not_found")


def test_copy_needs_read_on_the_source_and_write_on_the_target(user_a, user_b, service, a_file, folder_a,
                                                               stack, db) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    copy = f"{folder_a}/copy.txt"
    answer = bucket.copy(a_file, copy)
    assert answer["Key"] == f"{BUCKET}/{copy}" and answer["name"] == copy
    original, copied = object_row(db, BUCKET, a_file), object_row(db, BUCKET, copy)
    assert copied["id"] == answer["Id"] != original["id"] and copied["owner"] == user_a.id
    assert copied["metadata"]["eTag"] == original["metadata"]["eTag"]
    assert_settled(stack, db, BUCKET, copy, b"A's note")
    assert_settled(stack, db, BUCKET, a_file, b"A's note")
    api_error(lambda: bucket.copy(a_file, copy), 409, "Duplicate")

    elsewhere = f"{user_b.id}/{tag()}/copy.txt"
    api_error(lambda: bucket.copy(a_file, elsewhere), 403, "Unauthorized")
    assert object_row(db, BUCKET, elsewhere) is None and not (storage_root(stack) / BUCKET / elsewhere).exists()

    # From the read-only shared bucket into one's own folder: another bucket, through the raw API.
    shared = f"{tag()}/handbook.txt"
    service.storage.from_("shared").upload(shared, b"handbook")
    r = raw(stack, "POST", "/object/copy", token=user_a.access_token,
            json={"bucketId": "shared", "sourceKey": shared, "destinationBucket": BUCKET,
                  "destinationKey": f"{folder_a}/handbook.txt"})
    assert r.status_code == 200, r.text
    assert_settled(stack, db, BUCKET, f"{folder_a}/handbook.txt", b"handbook")
    # Removing the copy leaves the original's bytes alone.
    bucket.remove([copy])
    assert_settled(stack, db, BUCKET, a_file, b"A's note")


def test_shared_bucket_is_read_only_for_people(user_a, anon, service, stack, db) -> None:
    name = f"{tag()}/rules.txt"
    service.storage.from_("shared").upload(name, b"house rules")
    row = object_row(db, "shared", name)
    assert row["owner"] is None and row["owner_id"] is None  # the service key has no user
    assert user_a.client.storage.from_("shared").download(name) == b"house rules"
    before = snapshot(db, stack, "shared", name.split("/")[0] + "/")
    bucket = user_a.client.storage.from_("shared")
    api_error(lambda: bucket.upload(f"{tag()}/mine.txt", b"x"), 403, "Unauthorized")
    api_error(lambda: bucket.upload(name, b"x", {"upsert": "true"}), 403, "Unauthorized")
    assert bucket.remove([name]) == []  # may see, may not delete: nothing goes
    api_error(lambda: bucket.move(name, f"{tag()}/x.txt"), 404, "not_found")  # may not update
    api_error(lambda: anon.storage.from_("shared").download(name), 404, "not_found")
    assert snapshot(db, stack, "shared", name.split("/")[0] + "/") == before


def test_public_bucket_downloads_without_any_key(user_a, service, stack, db) -> None:
    name = f"{user_a.id}/{tag()}/poster.txt"
    user_a.client.storage.from_("public-media").upload(name, b"poster", {"content-type": "text/plain"})
    url = user_a.client.storage.from_("public-media").get_public_url(name)
    r = httpx.get(url)  # no apikey, no Authorization: a browser's <img src>
    assert r.status_code == 200 and r.content == b"poster"
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == "6" and head.content == b""
    info = httpx.get(f"{stack.url}/storage/v1/object/info/public/public-media/{name}")
    assert info.status_code == 200 and info.json()["size"] == 6
    assert_error(httpx.get(url + ".missing"), 404, "not_found")
    # A private bucket's object is not public, whatever the URL says.
    private = f"{user_a.id}/{tag()}/secret.txt"
    user_a.client.storage.from_(BUCKET).upload(private, b"secret")
    r = httpx.get(user_a.client.storage.from_(BUCKET).get_public_url(private))
    assert_error(r, 404, "Bucket not found")
    assert b"secret" not in r.content


def test_service_role_reads_and_writes_everywhere(service, user_a, a_file, stack, db) -> None:
    bucket = service.storage.from_(BUCKET)
    assert bucket.download(a_file) == b"A's note"
    bucket.upload(a_file, b"by the service", {"upsert": "true"})
    assert user_a.client.storage.from_(BUCKET).download(a_file) == b"by the service"
    assert [r["name"] for r in bucket.remove([a_file])] == [a_file]
    assert_absent(stack, db, BUCKET, a_file)


def test_download_headers_ranges_and_html(user_a, folder_a, stack) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    name = f"{folder_a}/page.html"
    bucket.upload(name, b"<script>alert(1)</script>", {"content-type": "text/html", "cache-control": "120"})
    path = f"/object/authenticated/{BUCKET}/{name}"
    r = raw(stack, "GET", path, token=user_a.access_token)
    assert r.status_code == 200 and r.content == b"<script>alert(1)</script>"
    # Stored HTML never runs in the API's origin.
    assert r.headers["content-type"].startswith("text/plain") and r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "max-age=120" and r.headers["etag"].startswith('"')
    assert r.headers["accept-ranges"] == "bytes" and "last-modified" in r.headers
    part = raw(stack, "GET", path, token=user_a.access_token, headers={"Range": "bytes=1-6"})
    assert part.status_code == 206 and part.content == b"script" and part.headers["content-range"] == "bytes 1-6/25"
    tail = raw(stack, "GET", path, token=user_a.access_token, headers={"Range": "bytes=-3"})
    assert tail.status_code == 206 and tail.content == b"pt>"
    assert_error(raw(stack, "GET", path, token=user_a.access_token, headers={"Range": "bytes=99-"}), 400,
                 "invalid_range")
    saved = raw(stack, "GET", path + "?download=my page.html", token=user_a.access_token)
    assert saved.headers["content-disposition"].startswith("attachment; filename=my%20page.html")
    head = raw(stack, "HEAD", path, token=user_a.access_token)
    assert head.status_code == 200 and head.headers["content-length"] == "25" and head.content == b""


@pytest.mark.parametrize(("download", "header"), [
    # As storage-api names a download: encodeURIComponent in both parameters, no trailing ";".
    ("报告 2026.pdf", "attachment; filename=%E6%8A%A5%E5%91%8A%202026.pdf; "
                      "filename*=UTF-8''%E6%8A%A5%E5%91%8A%202026.pdf"),
    ("my page (1)!.txt", "attachment; filename=my%20page%20(1)!.txt; filename*=UTF-8''my%20page%20(1)!.txt"),
    ("", "attachment;"),
])
def test_a_download_is_named_as_storage_api_names_it(user_a, a_file, stack, download, header) -> None:
    r = raw(stack, "GET", f"/object/authenticated/{BUCKET}/{a_file}", token=user_a.access_token,
            params={"download": download})
    assert r.status_code == 200 and r.headers["content-disposition"] == header
    decoded = urllib.parse.unquote(header.partition("filename*=UTF-8''")[2]) if download else ""
    assert decoded == download


def test_empty_files_and_folder_placeholders(user_a, folder_a, stack, db) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    bucket.upload(f"{folder_a}/empty.txt", b"")
    assert_settled(stack, db, BUCKET, f"{folder_a}/empty.txt", b"")
    assert bucket.download(f"{folder_a}/empty.txt") == b""
    placeholder = f"{folder_a}/new folder/.emptyFolderPlaceholder"
    bucket.upload(placeholder, b"")
    assert [e["name"] for e in bucket.list(folder_a)] == ["empty.txt", "new folder"]
    # A placeholder stays empty, as upstream.
    api_error(lambda: bucket.upload(placeholder, b"x", {"upsert": "true"}), 413, "Payload too large")
    assert_settled(stack, db, BUCKET, placeholder, b"")
    assert version_files(stack, BUCKET, placeholder)


def test_names_in_chinese_and_with_spaces(user_a, folder_a, stack, db) -> None:
    bucket = user_a.client.storage.from_(BUCKET)
    name = f"{folder_a}/报修 照片/路灯 (1).jpg"
    bucket.upload(name, "灯坏了".encode(), {"content-type": "image/jpeg"})
    assert_settled(stack, db, BUCKET, name, "灯坏了".encode())
    assert bucket.download(name) == "灯坏了".encode()
    assert [e["name"] for e in bucket.list(folder_a)] == ["报修 照片"]
    assert [e["name"] for e in bucket.list(f"{folder_a}/报修 照片")] == ["路灯 (1).jpg"]
    assert httpx.get(bucket.create_signed_url(name, 60)["signedURL"]).content == "灯坏了".encode()
    bucket.move(name, f"{folder_a}/已处理/路灯.jpg")
    assert_settled(stack, db, BUCKET, f"{folder_a}/已处理/路灯.jpg", "灯坏了".encode())
