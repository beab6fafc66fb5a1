"""Who may call at all, and how refusals look: API keys, bearer tokens, unknown routes, bad bodies.

Every error is in Storage's shape and carries no internals.
"""

from __future__ import annotations

import time

import httpx
import jwt

from tests.backend.storage_support import assert_absent, assert_error, raw, tag


def test_an_api_key_is_required(stack, db) -> None:
    name = f"{tag()}/x.txt"
    r = raw(stack, "POST", f"/object/shared/{name}", key=None, content=b"x")
    body = assert_error(r, 401, "Unauthorized", http=401)
    assert body["message"] == "No API key found in request"
    forged = jwt.encode({"role": "service_role"}, "not-the-project-secret-" * 3, algorithm="HS256")
    r = httpx.post(f"{stack.url}/storage/v1/object/shared/{name}", content=b"x",
                   headers={"apikey": forged, "Authorization": f"Bearer {forged}"})
    assert_error(r, 401, "Unauthorized", http=401)
    assert_error(raw(stack, "GET", "/bucket", key=None), 401, http=401)
    assert_absent(stack, db, "shared", name)


def test_bad_bearer_tokens_are_refused(stack, db, user_a) -> None:
    name = f"{user_a.id}/{tag()}/x.txt"
    now = int(time.time())
    tokens = [
        jwt.encode({"sub": user_a.id, "role": "authenticated", "exp": now - 5}, stack.jwt_secret, algorithm="HS256"),
        jwt.encode({"sub": user_a.id, "role": "authenticated", "exp": now + 60}, "wrong-secret-" * 4,
                   algorithm="HS256"),
        jwt.encode({"sub": user_a.id, "role": "authenticated"}, None, algorithm="none"),
        # A role the API does not hand out (e.g. the table owner's) is refused, not switched to.
        jwt.encode({"sub": user_a.id, "role": "supabase_storage_admin", "exp": now + 60}, stack.jwt_secret,
                   algorithm="HS256"),
    ]
    for token in tokens:
        r = raw(stack, "POST", f"/object/user-files/{name}", token=token, content=b"x")
        assert_error(r, 403, "Unauthorized")
    assert_absent(stack, db, "user-files", name)


def test_unknown_routes_and_bad_bodies(stack) -> None:
    assert_error(raw(stack, "GET", "/nowhere", key="service"), 404, "Not Found", http=404)
    assert_error(raw(stack, "PATCH", "/bucket", key="service"), 404, "Not Found", http=404)
    # Image transformations are not served locally (as on a project without the feature).
    assert_error(raw(stack, "GET", "/render/image/public/shared/x.png", key=None), 404, http=404)
    assert_error(raw(stack, "POST", "/bucket", key="service", content=b"{not json",
                     headers={"Content-Type": "application/json"}), 400, "InvalidRequest")
    assert_error(raw(stack, "POST", "/bucket", key="service", json=["a"]), 400, "InvalidRequest")
    assert_error(raw(stack, "POST", "/bucket", key="service", json={"public": True}), 400)
    assert_error(raw(stack, "POST", "/object/move", key="service", json={"bucketId": "shared"}), 400)
    assert_error(raw(stack, "DELETE", "/object/shared", key="service", json={"prefixes": "a"}), 400)
    assert_error(raw(stack, "POST", "/object/list-v2/shared", key="service", json={"cursor": "%%%"}), 400)
