"""Signed URLs: made for whoever may read (or write) the object, usable by anyone holding them, until they expire.

Tokens are HS256 JWTs signed with the project secret carrying `url` and `exp`;
an expired, altered or foreign token, or one made for another object, is refused.
"""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from storage3.types import CreateSignedUploadUrlOptions

from tests.backend.storage_support import (
    api_error, assert_absent, assert_error, assert_settled, object_row, raw, tag,
)

BUCKET = "user-files"


@pytest.fixture()
def files(user_a):
    """Two files of A's: (folder, first name, second name)."""
    folder = f"{user_a.id}/{tag()}"
    bucket = user_a.client.storage.from_(BUCKET)
    bucket.upload(f"{folder}/one.txt", b"one")
    bucket.upload(f"{folder}/two words.txt", b"two")
    return folder, f"{folder}/one.txt", f"{folder}/two words.txt"


def token_of(signed_url: str) -> str:
    return signed_url.split("token=")[1].split("&")[0]


def path_of(signed_url: str) -> str:
    return signed_url.split("/storage/v1")[1].split("?")[0]


def forged(stack, claims: dict, secret: str | None = None) -> str:
    return jwt.encode(claims, secret or stack.jwt_secret, algorithm="HS256")


def test_a_signed_url_serves_the_file_to_anyone(user_a, files, stack) -> None:
    _, one, two = files
    signed = user_a.client.storage.from_(BUCKET).create_signed_url(two, 120, {"download": "saved.txt"})
    url = signed["signedURL"]
    assert f"/object/sign/{BUCKET}/" in url and "two%20words.txt" in url
    r = httpx.get(url)  # no apikey, no Authorization
    assert r.status_code == 200 and r.content == b"two"
    assert "expires" in r.headers and r.headers["content-disposition"].startswith("attachment; filename=saved.txt")
    claims = jwt.decode(token_of(url), stack.jwt_secret, algorithms=["HS256"])
    assert claims["url"] == f"{BUCKET}/{two}" and claims["exp"] - claims["iat"] == 120
    assert "role" not in claims and "sub" not in claims
    # As a bearer token it is worth no more than the anon key.
    listed = raw(stack, "POST", f"/object/list/{BUCKET}", token=token_of(url), json={"prefix": files[0]})
    assert listed.status_code == 200 and listed.json() == []


def test_signed_urls_expire(user_a, files, stack) -> None:
    _, one, _ = files
    url = user_a.client.storage.from_(BUCKET).create_signed_url(one, 1)["signedURL"]
    assert httpx.get(url).status_code == 200
    time.sleep(2.1)
    body = assert_error(httpx.get(url), 400, "InvalidJWT")
    assert body["message"] == "jwt expired"
    past = int(time.time()) - 10
    stale = forged(stack, {"url": f"{BUCKET}/{one}", "iat": past - 60, "exp": past})
    assert_error(raw(stack, "GET", f"/object/sign/{BUCKET}/{one}?token={stale}", key=None), 400, "InvalidJWT")


def test_altered_or_foreign_tokens_are_refused(user_a, files, stack) -> None:
    _, one, two = files
    url = user_a.client.storage.from_(BUCKET).create_signed_url(one, 300)["signedURL"]
    token = token_of(url)
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["url"] = f"{BUCKET}/{two}"
    other_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    exp = int(time.time()) + 300
    cases = {
        f"{head}.{payload}.{flipped}": ("InvalidJWT", one),
        f"{head}.{other_payload}.{signature}": ("InvalidJWT", two),  # the url changed, the signature did not
        forged(stack, {"url": f"{BUCKET}/{one}", "exp": exp}, secret="not-the-project-secret-" * 3): ("InvalidJWT", one),
        jwt.encode({"url": f"{BUCKET}/{one}", "exp": exp}, None, algorithm="none"): ("InvalidJWT", one),
        "not-a-token": ("InvalidJWT", one),
        token: ("InvalidSignature", two),  # genuine, but made for another object
        forged(stack, {"url": f"shared/{one}", "exp": exp}): ("InvalidSignature", one),
        forged(stack, {"url": f"{BUCKET}/{one}", "exp": exp, "upsert": False}): ("InvalidSignature", one),
    }
    for bad, (error, name) in cases.items():
        r = raw(stack, "GET", f"/object/sign/{BUCKET}/{name}?token={bad}", key=None)
        assert_error(r, 400, error)
        assert r.content not in (b"one", b"two")
    assert_error(raw(stack, "GET", f"/object/sign/{BUCKET}/{one}", key=None), 400, "MissingParameter")
    # A token is no API key or session either: storage routes that need one refuse it.
    assert httpx.get(url).content == b"one"


def test_only_readers_can_sign(user_b, anon, files, stack) -> None:
    _, one, _ = files
    for client in (user_b.client, anon):
        api_error(lambda: client.storage.from_(BUCKET).create_signed_url(one, 60), 404, "not_found")
    r = raw(stack, "POST", f"/object/sign/{BUCKET}/{one}", token=user_b.access_token, json={"expiresIn": 60})
    assert_error(r, 404, "not_found")
    for bad in (0, -5, "soon", None, True):
        r = raw(stack, "POST", f"/object/sign/{BUCKET}/{one}", key="service", json={"expiresIn": bad})
        assert_error(r, 400)


def test_signing_many(user_a, user_b, files, stack) -> None:
    folder, one, two = files
    other = f"{user_b.id}/{tag()}/theirs.txt"
    user_b.client.storage.from_(BUCKET).upload(other, b"theirs")
    results = user_a.client.storage.from_(BUCKET).create_signed_urls([one, two, other, f"{folder}/missing"], 60)
    assert [r["path"] for r in results] == [one, two, other, f"{folder}/missing"]
    assert [r["error"] is None for r in results] == [True, True, False, False]
    assert results[2]["signedURL"] is None
    assert httpx.get(results[0]["signedURL"]).content == b"one"
    assert httpx.get(results[1]["signedURL"]).content == b"two"
    r = raw(stack, "POST", f"/object/sign/{BUCKET}", key="service", json={"expiresIn": 60, "paths": []})
    assert_error(r, 400)


def test_a_removed_object_is_gone_from_its_signed_url(user_a, files) -> None:
    _, one, _ = files
    url = user_a.client.storage.from_(BUCKET).create_signed_url(one, 60)["signedURL"]
    user_a.client.storage.from_(BUCKET).remove([one])
    assert_error(httpx.get(url), 404, "not_found")


def test_signed_upload_urls(user_a, user_b, anon, stack, db) -> None:
    folder = f"{user_a.id}/{tag()}"
    name = f"{folder}/from the street.jpg"
    made = user_a.client.storage.from_(BUCKET).create_signed_upload_url(name)
    assert made["path"] == name and made["token"]
    claims = jwt.decode(made["token"], stack.jwt_secret, algorithms=["HS256"])
    assert claims["owner"] == user_a.id and claims["upsert"] is False
    # Anyone holding it may upload exactly there, once; the row belongs to the signer.
    answer = anon.storage.from_(BUCKET).upload_to_signed_url(name, made["token"], b"jpeg bytes",
                                                             {"content-type": "image/jpeg"})
    assert answer.full_path == f"{BUCKET}/{name}"
    assert_settled(stack, db, BUCKET, name, b"jpeg bytes")
    assert object_row(db, BUCKET, name)["owner"] == user_a.id
    api_error(lambda: anon.storage.from_(BUCKET).upload_to_signed_url(name, made["token"], b"again"),
              409, "Duplicate")
    assert user_a.client.storage.from_(BUCKET).download(name) == b"jpeg bytes"
    # Only for that object: another name, or a download URL, is refused.
    elsewhere = f"{folder}/other.jpg"
    api_error(lambda: anon.storage.from_(BUCKET).upload_to_signed_url(elsewhere, made["token"], b"x"),
              400, "InvalidSignature")
    assert_absent(stack, db, BUCKET, elsewhere)
    r = raw(stack, "GET", f"/object/sign/{BUCKET}/{name}?token={made['token']}", key=None)
    assert_error(r, 400, "InvalidSignature")
    download = user_a.client.storage.from_(BUCKET).create_signed_url(name, 60)["signedURL"]
    api_error(lambda: anon.storage.from_(BUCKET).upload_to_signed_url(name, token_of(download), b"x"),
              400, "InvalidSignature")
    # Signing needs the right to write there now.
    for client in (user_b.client, anon):
        api_error(lambda: client.storage.from_(BUCKET).create_signed_upload_url(f"{folder}/b.jpg"),
                  403, "Unauthorized")
    stale = forged(stack, {"owner": user_a.id, "url": f"{BUCKET}/{folder}/late.jpg", "upsert": False,
                           "exp": int(time.time()) - 1})
    api_error(lambda: anon.storage.from_(BUCKET).upload_to_signed_url(f"{folder}/late.jpg", stale, b"x"),
              400, "InvalidJWT")
    assert_absent(stack, db, BUCKET, f"{folder}/late.jpg")


def test_signed_upload_with_upsert(user_a, anon, stack, db) -> None:
    name = f"{user_a.id}/{tag()}/avatar.png"
    user_a.client.storage.from_(BUCKET).upload(name, b"old")
    made = user_a.client.storage.from_(BUCKET).create_signed_upload_url(name, CreateSignedUploadUrlOptions(upsert="true"))
    anon.storage.from_(BUCKET).upload_to_signed_url(name, made["token"], b"new", {"content-type": "image/png"})
    assert_settled(stack, db, BUCKET, name, b"new")
