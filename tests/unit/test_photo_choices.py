"""The page's picker announces a choice: `POST /photo-choice/<token>` (shared/web_serve.py, shared/photo_uploads.py).

Through the real endpoints over httpx's ASGI transport, as the browser's script talks to them:
the answer per file, a one-time owner-bound token, bad bodies refused in the Storage error shape
with nothing consumed, and the server telling the session when an upload is refused.
"""

from __future__ import annotations

import json

import httpx
import pytest

from shared.photo_uploads import CHOICE_ENDPOINT, CHOICE_MAX_FILES, ENDPOINT, OwnerUploads, PhotoUploads
from shared.web_serve import CHOICE_MAX_BODY

from tests.unit.test_photo_uploads import LIMIT, http, uploads  # noqa: F401 - the same box and client


def storage_error(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"statusCode", "error", "message"} and body["statusCode"] == str(status)
    return body


class Session:
    """What a form does with a choice: accept the .jpg files, refuse the rest."""

    def __init__(self, uploads: PhotoUploads) -> None:
        self.mine = OwnerUploads(uploads)
        self.seen: list[list[tuple[str, int]]] = []
        self.tokens: list[str] = []

    def on_choice(self, files):
        self.seen.append(list(files))
        answer = []
        for name, _size in files:
            if name.endswith(".jpg"):
                token, url = self.mine.expect()
                self.tokens.append(token)
                answer.append(url)
            else:
                answer.append(None)
        return answer


async def test_a_choice_gets_an_upload_url_per_accepted_file_in_order_once(uploads, http) -> None:
    session = Session(uploads)
    choice = session.mine.expect_choice(session.on_choice)
    answer = await http.post(choice, json={"files": [{"name": "a.jpg", "size": 5}, {"name": "账单.pdf", "size": 9},
                                                     {"name": "b.jpg", "size": 3}]})
    assert answer.status_code == 200
    files = answer.json()["files"]
    assert files[1] == {"refused": True}
    assert [f.get("upload_url", "").startswith(f"/{ENDPOINT}/") for f in files] == [True, False, True]
    assert session.seen == [[("a.jpg", 5), ("账单.pdf", 9), ("b.jpg", 3)]]
    assert (await http.put(files[0]["upload_url"], content=b"first")).status_code == 200
    assert session.mine.take(session.tokens[0]) == b"first"

    again = await http.post(choice, json={"files": [{"name": "c.jpg", "size": 1}]})
    storage_error(again, 404)  # one choice per token
    assert len(session.seen) == 1


async def test_unknown_expired_and_closed_choices_are_refused_and_nothing_is_called(uploads, http) -> None:
    session = Session(uploads)
    body = {"files": [{"name": "a.jpg", "size": 1}]}
    storage_error(await http.post(f"/{CHOICE_ENDPOINT}/guessed-token", json=body), 404)

    expired = session.mine.expect_choice(session.on_choice)
    uploads.clock.now += 61
    storage_error(await http.post(expired, json=body), 404)

    closed = session.mine.expect_choice(session.on_choice)
    session.mine.close()  # the browser session closed
    storage_error(await http.post(closed, json=body), 404)
    assert session.seen == [] and uploads.pending() == 0


@pytest.mark.parametrize("body", [
    b"not json",
    b"[]",
    json.dumps({"files": []}).encode(),
    json.dumps({"files": "a.jpg"}).encode(),
    json.dumps({"files": [{"name": "a.jpg", "size": 1}] * (CHOICE_MAX_FILES + 1)}).encode(),
    json.dumps({"files": [{"name": "", "size": 1}]}).encode(),
    json.dumps({"files": [{"name": "x" * 256 + ".jpg", "size": 1}]}).encode(),
    json.dumps({"files": [{"name": 7, "size": 1}]}).encode(),
    json.dumps({"files": [{"name": "a.jpg", "size": -1}]}).encode(),
    json.dumps({"files": [{"name": "a.jpg", "size": True}]}).encode(),
    json.dumps({"files": [{"name": "a.jpg", "size": "12"}]}).encode(),
    json.dumps({"files": [{"name": "a.jpg"}]}).encode(),
    json.dumps({"files": ["a.jpg"]}).encode(),
])
async def test_a_bad_body_is_a_400_in_the_storage_shape_and_the_choice_stays_usable(uploads, http, body) -> None:
    session = Session(uploads)
    choice = session.mine.expect_choice(session.on_choice)
    error = storage_error(await http.post(choice, content=body, headers={"content-type": "application/json"}), 400)
    assert error["error"] == "Bad Request" and error["message"]
    assert session.seen == []
    ok = await http.post(choice, json={"files": [{"name": "a.jpg", "size": 1}]})
    assert ok.status_code == 200 and session.seen == [[("a.jpg", 1)]]


async def test_a_body_larger_than_the_cap_is_a_413(uploads, http) -> None:
    session = Session(uploads)
    choice = session.mine.expect_choice(session.on_choice)
    storage_error(await http.post(choice, content=b"x" * (CHOICE_MAX_BODY + 1)), 413)
    assert session.seen == []


async def test_the_session_hears_when_the_server_refuses_an_upload_but_not_a_replay(uploads, http) -> None:
    mine = OwnerUploads(uploads)
    failed = []
    _token, url = mine.expect(on_failed=failed.append)
    storage_error(await http.put(url, content=b"x" * (LIMIT + 1)), 413)  # declared too large
    assert [f.status for f in failed] == [413]

    failed.clear()
    _token, url = mine.expect(on_failed=failed.append)

    async def chunks():  # no Content-Length: too large as it streams in
        for _ in range(5):
            yield b"y" * 300

    storage_error(await http.put(url, content=chunks()), 413)
    assert [f.status for f in failed] == [413]

    failed.clear()
    _token, url = mine.expect(on_failed=failed.append)
    assert (await http.put(url, content=b"fine")).status_code == 200
    storage_error(await http.put(url, content=b"again"), 409)  # a replay does not spoil the received upload
    assert failed == []
