"""shared/photo_uploads.py and the PUT endpoint of shared/web_serve.py: one-time, owner-bound, size-capped uploads.

Driven over HTTP through the real endpoint (httpx's ASGI transport), so the status codes and
the error shape are the ones a browser sees.
"""

from __future__ import annotations

import os
import stat

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from shared.photo_uploads import CHOICE_ENDPOINT, ENDPOINT, OwnerUploads, PhotoUploads, UploadRefused
from shared.web_serve import choice_endpoint, upload_endpoint

LIMIT = 1000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def uploads(tmp_path):
    clock = Clock()
    box = PhotoUploads(tmp_path / "uploads", max_bytes=LIMIT, ttl=60, clock=clock)
    box.clock = clock  # type: ignore[attr-defined]
    yield box
    box.close()


@pytest.fixture()
async def http(uploads):
    app = Starlette(routes=[  # both of the app server's photo endpoints (test_photo_choices.py uses the second)
        Route(f"/{ENDPOINT}/{{token}}", upload_endpoint(uploads), methods=["PUT"]),
        Route(f"/{CHOICE_ENDPOINT}/{{token}}", choice_endpoint(uploads), methods=["POST"]),
    ])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        yield client


def files(uploads: PhotoUploads) -> list[str]:
    return sorted(os.listdir(uploads.folder))


async def test_one_put_then_the_owner_takes_the_bytes_once_and_nothing_stays(uploads, http) -> None:
    mine = OwnerUploads(uploads)
    received = []
    token, url = mine.expect(on_received=lambda: received.append(True))
    answer = await http.put(url, content=b"photo bytes")
    assert answer.status_code == 200 and answer.json() == {"size": 11}
    assert received == [True]
    again = await http.put(url, content=b"other bytes")
    assert again.status_code == 409 and again.json()["statusCode"] == "409"
    assert mine.take(token) == b"photo bytes"
    assert files(uploads) == []
    with pytest.raises(UploadRefused):
        mine.take(token)
    late = await http.put(url, content=b"again")
    assert late.status_code == 404 and files(uploads) == []


async def test_a_token_names_nothing_else_and_another_session_cannot_take_it(uploads, http) -> None:
    alice, mallory = OwnerUploads(uploads), OwnerUploads(uploads)
    token, url = alice.expect()
    assert len(token) >= 40  # 32 random bytes
    guessed = await http.put(f"/{ENDPOINT}/{token[:-1]}x", content=b"x")
    assert guessed.status_code == 404
    escape = await http.put(f"/{ENDPOINT}/..%2F..%2Fetc", content=b"x")
    assert escape.status_code == 404
    assert (await http.put(url, content=b"alice's photo")).status_code == 200
    with pytest.raises(UploadRefused) as refused:
        mallory.take(token)
    assert refused.value.status == 404
    mallory.discard(token)  # not hers: nothing happens
    assert alice.take(token) == b"alice's photo"
    # Nothing can be read back over HTTP: the endpoint only takes PUT.
    assert (await http.get(url)).status_code == 405


async def test_too_large_is_refused_before_and_while_reading_and_leaves_no_file(uploads, http) -> None:
    mine = OwnerUploads(uploads)
    token, url = mine.expect()
    declared = await http.put(url, content=b"x" * (LIMIT + 1))
    assert declared.status_code == 413
    body = declared.json()
    assert set(body) == {"statusCode", "error", "message"} and body["statusCode"] == "413"
    assert files(uploads) == []

    token, url = mine.expect()

    async def chunks():  # no Content-Length: counted as it streams in
        for _ in range(5):
            yield b"y" * 300

    streamed = await http.put(url, content=chunks())
    assert streamed.status_code == 413 and files(uploads) == []
    with pytest.raises(UploadRefused):
        mine.take(token)

    token, url = mine.expect()
    exactly = await http.put(url, content=b"z" * LIMIT)
    assert exactly.status_code == 200 and mine.take(token) == b"z" * LIMIT


async def test_expired_tokens_are_refused_and_swept_and_a_closed_session_leaves_nothing(uploads, http) -> None:
    mine = OwnerUploads(uploads)
    old_token, old_url = mine.expect()
    uploads.clock.now += 61
    assert (await http.put(old_url, content=b"late")).status_code == 404

    kept_token, kept_url = mine.expect()  # a new token sweeps the expired one
    assert uploads.pending() == 1
    assert (await http.put(kept_url, content=b"never used")).status_code == 200
    assert files(uploads) == [kept_token]
    mine.close()  # the browser session closed
    assert files(uploads) == [] and uploads.pending() == 0


def test_the_folder_is_private_and_removed_at_close(tmp_path) -> None:
    box = PhotoUploads(max_bytes=LIMIT)
    try:
        assert stat.S_IMODE(os.stat(box.folder).st_mode) == 0o700
    finally:
        box.close()
    assert not box.folder.exists()
