"""The app buckets of migration 0900 through supabase-py's storage client.

report-photos: uploads only into one's own folder; a photo is read by its uploader and
by whoever can see a report carrying it; nobody replaces a photo; the uploader deletes
it only while no report carries it. avatars: public reads, own-folder writes.
Every operation is tried allowed and denied for anon, two citizens, the worker of the
report's grid and of another grid, department staff, the supervisor and the service role.
"""

from __future__ import annotations

import httpx
import pytest

from tests.backend.case_fixtures import people  # noqa: F401 - fixtures
from tests.backend.core_support import (GRID_POINTS, STAFF_DEPARTMENT, file_report, item)
from tests.backend.storage_support import api_error, assert_absent, object_row, snapshot, tag

PHOTOS = "report-photos"
AVATARS = "avatars"
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16
PNG = b"\x89PNG\r\n\x1a\n" + b"png-ish" * 16


def upload(user, name: str, data: bytes = JPEG, content_type: str = "image/jpeg", bucket: str = PHOTOS) -> str:
    user.client.storage.from_(bucket).upload(name, data, {"content-type": content_type})
    return name


@pytest.fixture(scope="module")
def photos(people, db) -> dict[str, str]:
    """A's photo on a city case in GRIDS[0] (worker_1's), on an environment case, and one not attached."""
    a = people.citizen_a
    folder = f"{a.id}/{tag()}"
    names = {"city": upload(a, f"{folder}/pothole.jpg"), "dept": upload(a, f"{folder}/smoke.png", PNG, "image/png"),
             "loose": upload(a, f"{folder}/draft.jpg")}
    city, dept = item(db, "city_mgmt")["code"], item(db, STAFF_DEPARTMENT)["code"]
    names["city_report"] = file_report(a, city, GRID_POINTS[0], photos=[names["city"]])["id"]
    names["dept_report"] = file_report(a, dept, GRID_POINTS[0], photos=[names["dept"]])["id"]
    return names


@pytest.fixture()
def callers(people, anon, service) -> dict:
    return {"anon": anon, "service": service, **{name: getattr(people, name).client for name in
            ("citizen_a", "citizen_b", "worker_1", "worker_2", "staff", "supervisor")}}


def can_download(client, name: str) -> bool:
    try:
        client.storage.from_(PHOTOS).download(name)
    except Exception:  # noqa: BLE001 - a refused download is a StorageApiError 404
        return False
    return True


def listed(client, name: str) -> bool:
    folder, _, file = name.rpartition("/")
    return file in [e["name"] for e in client.storage.from_(PHOTOS).list(folder)]


# Who reads which of A's photos: the uploader, whoever sees the report (as reports' SELECT
# policies decide), the service role.
READERS = {
    "city": {"citizen_a", "worker_1", "supervisor", "service"},
    "dept": {"citizen_a", "worker_1", "staff", "supervisor", "service"},  # in worker_1's grid too
    "loose": {"citizen_a", "service"},
}


@pytest.mark.parametrize("photo", sorted(READERS))
def test_read_matrix_download_and_list(photos, callers, photo) -> None:
    name = photos[photo]
    assert {who for who, client in callers.items() if can_download(client, name)} == READERS[photo]
    assert {who for who, client in callers.items() if listed(client, name)} == READERS[photo]


def test_uploads_only_into_ones_own_folder(people, anon, service, stack, db) -> None:
    a, b = people.citizen_a, people.citizen_b
    mine = upload(a, f"{a.id}/{tag()}/ok.webp", content_type="image/webp")
    assert object_row(db, PHOTOS, mine)["owner_id"] == a.id
    for who in (people.citizen_b, people.worker_1, people.staff, people.supervisor):
        forged = f"{a.id}/{tag()}/forged.jpg"
        api_error(lambda: who.client.storage.from_(PHOTOS).upload(forged, JPEG, {"content-type": "image/jpeg"}),
                  403, "Unauthorized")
        assert_absent(stack, db, PHOTOS, forged)
    nobody = f"{a.id}/{tag()}/anon.jpg"
    api_error(lambda: anon.storage.from_(PHOTOS).upload(nobody, JPEG, {"content-type": "image/jpeg"}), 403,
              "Unauthorized")
    assert_absent(stack, db, PHOTOS, nobody)
    api_error(lambda: b.client.storage.from_(PHOTOS).upload(f"{tag()}.jpg", JPEG, {"content-type": "image/jpeg"}),
              403, "Unauthorized")
    # The service role (jobs) writes anywhere.
    by_service = f"{a.id}/{tag()}/by-service.jpg"
    service.storage.from_(PHOTOS).upload(by_service, JPEG, {"content-type": "image/jpeg"})
    assert object_row(db, PHOTOS, by_service) is not None


def test_the_bucket_takes_only_images_up_to_10_mib(people, stack, db) -> None:
    a = people.citizen_a
    text = f"{a.id}/{tag()}/note.txt"
    api_error(lambda: a.client.storage.from_(PHOTOS).upload(text, b"hello", {"content-type": "text/plain"}), 415)
    assert_absent(stack, db, PHOTOS, text)
    big = f"{a.id}/{tag()}/big.jpg"
    api_error(lambda: a.client.storage.from_(PHOTOS).upload(big, b"\0" * (10 * 1024 * 1024 + 1),
                                                            {"content-type": "image/jpeg"}), 413)
    assert_absent(stack, db, PHOTOS, big)
    assert db.execute("select public, file_size_limit, allowed_mime_types from storage.buckets where id = %s",
                      (PHOTOS,)).fetchone() == (False, 10485760, ["image/jpeg", "image/png", "image/webp"])


def test_nobody_replaces_a_photo(people, photos, callers, stack, db) -> None:
    folder = photos["loose"].rpartition("/")[0]
    before = snapshot(db, stack, PHOTOS, folder + "/")
    for who, client in callers.items():
        if who == "service":
            continue
        bucket = client.storage.from_(PHOTOS)
        api_error(lambda: bucket.upload(photos["loose"], PNG, {"upsert": "true", "content-type": "image/png"}), 403)
        api_error(lambda: bucket.update(photos["city"], PNG, {"content-type": "image/png"}), 403)
        with pytest.raises(Exception):
            bucket.move(photos["loose"], f"{folder}/moved.jpg")
    assert snapshot(db, stack, PHOTOS, folder + "/") == before


def test_removal_only_by_the_uploader_and_only_while_unattached(people, photos, callers, stack, db) -> None:
    a = people.citizen_a
    loose = upload(a, f"{a.id}/{tag()}/to-remove.jpg")
    for who, client in callers.items():
        if who in ("citizen_a", "service"):
            continue
        assert client.storage.from_(PHOTOS).remove([loose]) == []
        for attached in (photos["city"], photos["dept"]):
            assert client.storage.from_(PHOTOS).remove([attached]) == []
    assert object_row(db, PHOTOS, loose) is not None
    # A photo a report carries stays, even for its uploader.
    assert a.client.storage.from_(PHOTOS).remove([photos["city"]]) == []
    assert object_row(db, PHOTOS, photos["city"]) is not None
    assert [o["name"] for o in a.client.storage.from_(PHOTOS).remove([loose])] == [loose]
    assert_absent(stack, db, PHOTOS, loose)
    # The service role removes anything.
    extra = upload(a, f"{a.id}/{tag()}/service-removes.jpg")
    assert [o["name"] for o in callers["service"].storage.from_(PHOTOS).remove([extra])] == [extra]
    assert_absent(stack, db, PHOTOS, extra)


def test_naming_someone_elses_photo_in_a_report_does_not_open_it(people, photos, db) -> None:
    b = people.citizen_b
    file_report(b, item(db, "city_mgmt")["code"], GRID_POINTS[4], photos=[photos["loose"]])
    assert not can_download(b.client, photos["loose"])
    assert not can_download(people.worker_2.client, photos["loose"])


def test_after_photos_are_read_by_the_reporter(people, photos, db) -> None:
    w1, a = people.worker_1, people.citizen_a
    report = file_report(a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    after = upload(w1, f"{w1.id}/{tag()}/after.jpg")
    assert not can_download(a.client, after)
    w1.client.rpc("accept_report", {"report": report}).execute()
    w1.client.rpc("resolve_report", {"report": report, "note": "已修复 fixed", "photos": [after]}).execute()
    assert can_download(a.client, after)
    assert can_download(people.supervisor.client, after)
    assert not can_download(people.citizen_b.client, after)
    assert not can_download(people.worker_2.client, after)
    # Attached now: not even its uploader removes it.
    assert w1.client.storage.from_(PHOTOS).remove([after]) == []


def test_avatars_public_reads_own_folder_writes(people, anon, service, stack, db) -> None:
    a, b = people.citizen_a, people.citizen_b
    name = f"{a.id}/avatar.png"
    a.client.storage.from_(AVATARS).upload(name, PNG, {"content-type": "image/png", "upsert": "true"})
    # Everyone reads: by public URL without a key, and through the API.
    url = anon.storage.from_(AVATARS).get_public_url(name)
    assert httpx.get(url, timeout=10).content == PNG
    for client in (anon, b.client, people.worker_2.client):
        assert client.storage.from_(AVATARS).download(name) == PNG
    # The owner replaces and deletes; nobody else writes in their folder.
    a.client.storage.from_(AVATARS).upload(name, JPEG, {"content-type": "image/jpeg", "upsert": "true"})
    assert a.client.storage.from_(AVATARS).download(name) == JPEG
    before = snapshot(db, stack, AVATARS, f"{a.id}/")
    for client in (anon, b.client, people.supervisor.client):
        bucket = client.storage.from_(AVATARS)
        api_error(lambda: bucket.upload(name, PNG, {"content-type": "image/png", "upsert": "true"}), 403)
        api_error(lambda: bucket.upload(f"{a.id}/other.png", PNG, {"content-type": "image/png"}), 403)
        assert bucket.remove([name]) == []
    assert snapshot(db, stack, AVATARS, f"{a.id}/") == before
    api_error(lambda: a.client.storage.from_(AVATARS).upload(f"{a.id}/big.png", b"\0" * (2 * 1024 * 1024 + 1),
                                                             {"content-type": "image/png"}), 413)
    api_error(lambda: a.client.storage.from_(AVATARS).upload(f"{a.id}/a.gif", b"GIF89a", {"content-type": "image/gif"}),
              415)
    assert [o["name"] for o in a.client.storage.from_(AVATARS).remove([name])] == [name]
    assert_absent(stack, db, AVATARS, name)
    # The service role writes anyone's avatar.
    service.storage.from_(AVATARS).upload(f"{b.id}/avatar.jpg", JPEG, {"content-type": "image/jpeg"})
    assert b.client.storage.from_(AVATARS).download(f"{b.id}/avatar.jpg") == JPEG
