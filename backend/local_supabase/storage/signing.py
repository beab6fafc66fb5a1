"""Signed URLs: HS256 tokens (the project's JWT secret) carrying `url` ("bucket/name") and `exp`.

Signing needs SELECT on the object as the caller (upload signing: the INSERT
probe); the token then stands in for the caller, as upstream: whoever holds it
may read (or write) exactly that object until it expires. Download tokens and
upload tokens are told apart by the `upsert` claim, so neither opens the other's door.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import errors, paths, writes
from .context import StorageContext, as_uuid, fetch_all
from .objects import bucket_config, find_object, open_object, store
from .serve import object_response

UPLOAD_TOKEN_LIFETIME_S = 2 * 3600  # upstream's default for signed upload URLs
MAX_EXPIRES_IN_S = 100 * 365 * 24 * 3600


def sign(secret: str, claims: dict[str, Any], expires_in: int) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + expires_in}, secret, algorithm="HS256")


def verify(secret: str, token: str | None, url: str, *, upload: bool) -> dict[str, Any]:
    """The token's claims if it is genuine, unexpired and made for exactly this url; else upstream's errors."""
    if not token:
        raise errors.missing_parameter("token")
    try:
        if jwt.get_unverified_header(token).get("alg") != "HS256":
            raise errors.invalid_jwt("invalid algorithm")
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"], "verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise errors.invalid_jwt("jwt expired") from None
    except jwt.InvalidSignatureError:
        raise errors.invalid_jwt("invalid signature") from None
    except jwt.PyJWTError:
        raise errors.invalid_jwt("jwt malformed") from None
    if not isinstance(claims, dict) or claims.get("url") != url or ("upsert" in claims) != upload:
        raise errors.invalid_signature()
    return claims


def url_path(prefix: str, bucket: str, name: str, token: str) -> str:
    return f"/object/{prefix}/{urllib.parse.quote(f'{bucket}/{name}', safe='/')}?token={token}"


def expires_in(value: object) -> int:
    """`expiresIn` in seconds (storage3 sends it as a string)."""
    if isinstance(value, bool):
        value = None
    try:
        seconds = int(str(value).strip()) if value is not None else None
    except ValueError:
        seconds = None
    if seconds is None or seconds < 1 or seconds > MAX_EXPIRES_IN_S:
        raise errors.invalid_request("expiresIn must be a whole number of seconds, at least 1")
    return seconds


# ---------------------------------------------------------------- download URLs

async def sign_object(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    seconds = expires_in((await ctx.json()).get("expiresIn"))
    await find_object(ctx, bucket, name)  # the caller must be allowed to read it
    token = sign(ctx.state.secrets.jwt_secret, {"url": f"{bucket}/{name}"}, seconds)
    return JSONResponse({"signedURL": url_path("sign", bucket, name, token)})


async def sign_objects(request: Request) -> Response:
    bucket = paths.bucket_id(request.path_params["bucket"])
    ctx = StorageContext(request)
    data = await ctx.json()
    seconds = expires_in(data.get("expiresIn"))
    names = data.get("paths")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise errors.invalid_request("body must have required property 'paths' (a non-empty list of names)")
    async with ctx.as_caller() as conn:
        rows = await fetch_all(conn, "select name from storage.objects where bucket_id = %s and name = any(%s)",
                               (bucket, names))
    visible = {r["name"] for r in rows}
    secret = ctx.state.secrets.jwt_secret
    out = []
    for name in names:
        if name in visible:
            token = sign(secret, {"url": f"{bucket}/{name}"}, seconds)
            out.append({"error": None, "path": name, "signedURL": url_path("sign", bucket, name, token)})
        else:
            out.append({"error": "Either the object does not exist or you do not have access to it",
                        "path": name, "signedURL": None})
    return JSONResponse(out)


async def signed_download(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request, authenticate=False)
    claims = verify(ctx.state.secrets.jwt_secret, request.query_params.get("token"), f"{bucket}/{name}",
                    upload=False)
    row, file = await open_object(ctx, bucket, name, as_service=True)
    return object_response(request, row, file, expires=int(claims["exp"]))


# ---------------------------------------------------------------- upload URLs

async def sign_upload(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request)
    upsert = request.headers.get("x-upsert", "").lower() == "true"
    await bucket_config(ctx, bucket)
    # The caller must be allowed to write the row now; the token then carries their id as owner.
    await writes.probe(ctx, writes.Target(bucket, name, ctx.owner_id, ctx.owner_uuid, upsert))
    token = sign(ctx.state.secrets.jwt_secret,
                 {"owner": ctx.owner_id, "url": f"{bucket}/{name}", "upsert": upsert}, UPLOAD_TOKEN_LIFETIME_S)
    return JSONResponse({"url": url_path("upload/sign", bucket, name, token), "token": token})


async def signed_upload(request: Request) -> Response:
    bucket, name = paths.bucket_and_name(request.path_params)
    ctx = StorageContext(request, authenticate=False)
    claims = verify(ctx.state.secrets.jwt_secret, request.query_params.get("token"), f"{bucket}/{name}",
                    upload=True)
    # Written as the storage service, owned by whoever signed the URL.
    owner = claims.get("owner") if isinstance(claims.get("owner"), str) else None
    return await store(ctx, bucket, name, upsert=bool(claims.get("upsert")), owner_id=owner,
                       owner_uuid=as_uuid(owner), as_service=True)
