"""Concurrent writers of one object name: without upsert exactly one wins; with it, the last one wins whole.

Either way the row names exactly one complete version file, and nothing else
is left on disk.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

from tests.backend.storage_support import assert_settled, object_row, raw, tag, temp_files, version_files

BUCKET = "user-files"
WRITERS = 8


def upload_all(stack, token: str, name: str, *, upsert: bool):
    bodies = [f"writer {i} ".encode() * (2000 + i) for i in range(WRITERS)]
    headers = {"x-upsert": "true"} if upsert else {}

    def send(body: bytes):
        return raw(stack, "POST", f"/object/{BUCKET}/{name}", token=token, headers=headers,
                   files={"file": ("f.txt", body, "text/plain")})

    with ThreadPoolExecutor(WRITERS) as pool:
        return bodies, list(pool.map(send, bodies))


def test_concurrent_uploads_without_upsert_one_wins(user_a, stack, db) -> None:
    name = f"{user_a.id}/{tag()}/race.txt"
    bodies, answers = upload_all(stack, user_a.access_token, name, upsert=False)
    won = [i for i, r in enumerate(answers) if r.status_code == 200]
    assert len(won) == 1, [r.text for r in answers]
    for r in answers:
        if r.status_code != 200:
            assert r.status_code == 400 and r.json()["statusCode"] == "409" and r.json()["error"] == "Duplicate"
    assert_settled(stack, db, BUCKET, name, bodies[won[0]])
    assert answers[won[0]].json()["Id"] == object_row(db, BUCKET, name)["id"]


def test_concurrent_upserts_leave_one_whole_version(user_a, stack, db) -> None:
    name = f"{user_a.id}/{tag()}/race.txt"
    bodies, answers = upload_all(stack, user_a.access_token, name, upsert=True)
    assert [r.status_code for r in answers] == [200] * WRITERS, [r.text for r in answers]
    row = object_row(db, BUCKET, name)
    files = version_files(stack, BUCKET, name)
    assert [p.name for p in files] == [row["version"]]
    content = files[0].read_bytes()
    assert content in bodies
    assert row["metadata"]["eTag"] == f'"{hashlib.md5(content).hexdigest()}"'
    assert row["metadata"]["size"] == len(content)
    assert len({r.json()["Id"] for r in answers}) == 1  # one object, replaced in turn
    assert temp_files(stack) == []


def test_concurrent_uploads_of_different_names(user_a, stack, db) -> None:
    folder = f"{user_a.id}/{tag()}"

    def send(i: int):
        return raw(stack, "POST", f"/object/{BUCKET}/{folder}/{i}/file.txt", token=user_a.access_token,
                   files={"file": ("f.txt", str(i).encode(), "text/plain")})

    with ThreadPoolExecutor(WRITERS) as pool:
        answers = list(pool.map(send, range(WRITERS)))
    assert [r.status_code for r in answers] == [200] * WRITERS
    for i in range(WRITERS):
        assert_settled(stack, db, BUCKET, f"{folder}/{i}/file.txt", str(i).encode())
