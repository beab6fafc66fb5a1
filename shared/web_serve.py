"""Serve a Flet app on the web with the photo upload endpoint beside it (both apps use this).

`ft.run` cannot add a route, and its own upload handler is not the one we want (see
shared/photo_uploads.py), so this builds what `ft.run(view=WEB_BROWSER)` builds (Flet's
lifespan-aware FastAPI app, the Flet app mounted at "/", uvicorn with the same websocket
implementation) plus `PUT /photo-upload/<token>` and `POST /photo-choice/<token>` (the page's
picker announces a choice: `{"files": [{"name", "size"}, ...]}` -> `{"files": [{"upload_url"} or
{"refused": true}, ...]}`, in the same order). Errors answer in the Storage API's
shape, `{statusCode, error, message}`, like the uploads that go to Supabase.
"""

from __future__ import annotations

import logging

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from .photo_uploads import (CHOICE_ENDPOINT, CHOICE_MAX_FILES, ENDPOINT, NAME_MAX_LENGTH, ChosenFile,
                            PhotoUploads, UploadRefused)

log = logging.getLogger(__name__)
_ERRORS = {404: "not_found", 409: "Duplicate", 413: "Payload too large", 400: "Bad Request"}
CHOICE_MAX_BODY = 64 * 1024  # bytes: 50 names of 255 characters fit several times


def _refusal(refused: UploadRefused) -> JSONResponse:
    return JSONResponse({"statusCode": str(refused.status), "error": _ERRORS.get(refused.status, "Error"),
                         "message": refused.reason}, status_code=refused.status)


def upload_endpoint(uploads: PhotoUploads):
    async def put_photo(request: Request) -> JSONResponse:
        token = request.path_params["token"]
        declared = request.headers.get("content-length")
        try:
            size = await uploads.receive(token, request.stream(),
                                         declared=int(declared) if declared and declared.isdigit() else None)
        except UploadRefused as refused:
            log.info("photo upload refused: %s %s", refused.status, refused.reason)
            return _refusal(refused)
        return JSONResponse({"size": size})

    return put_photo


async def _read_capped(request: Request, cap: int) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise UploadRefused(413, f"the request body is larger than {cap} bytes")
    return body


def parse_choice(body: bytes) -> list[ChosenFile]:
    """`{"files": [{"name": str, "size": int}, ...]}` -> [(name, size)], or UploadRefused(400) saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UploadRefused(400, "the body must be JSON: {\"files\": [{\"name\", \"size\"}]}") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not 1 <= len(files) <= CHOICE_MAX_FILES:
        raise UploadRefused(400, f"files must be a list of 1 to {CHOICE_MAX_FILES} files")
    chosen: list[ChosenFile] = []
    for i, f in enumerate(files):
        name = f.get("name") if isinstance(f, dict) else None
        size = f.get("size") if isinstance(f, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX_LENGTH:
            raise UploadRefused(400, f"files[{i}].name must be a text of 1 to {NAME_MAX_LENGTH} characters")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise UploadRefused(400, f"files[{i}].size must be a whole number of bytes")
        chosen.append((name, size))
    return chosen


def choice_endpoint(uploads: PhotoUploads):
    async def announce(request: Request) -> JSONResponse:
        try:
            files = parse_choice(await _read_capped(request, CHOICE_MAX_BODY))
            urls = uploads.announce(request.path_params["token"], files)
        except UploadRefused as refused:
            log.info("photo choice refused: %s %s", refused.status, refused.reason)
            return _refusal(refused)
        return JSONResponse({"files": [{"upload_url": u} if u else {"refused": True} for u in urls]})

    return announce


def web_app(main, *, assets_dir: str, uploads: PhotoUploads):
    """The ASGI app: the upload endpoint first, then everything else to Flet."""
    import flet_web.fastapi as flet_fastapi  # here, not above: the rest of shared/ is used without flet

    app = flet_fastapi.FastAPI(docs_url=None, redoc_url=None, openapi_url=None,
                               on_shutdown=[uploads.close])
    app.add_api_route(f"/{ENDPOINT}/{{token}}", upload_endpoint(uploads), methods=["PUT"])
    app.add_api_route(f"/{CHOICE_ENDPOINT}/{{token}}", choice_endpoint(uploads), methods=["POST"])
    app.mount("/", flet_fastapi.app(main, assets_dir=assets_dir, no_cdn=True))
    return app


def serve(main, *, host: str, port: int, assets_dir: str, uploads: PhotoUploads) -> None:
    """Run until interrupted (Ctrl-C / SIGINT / SIGTERM), then remove the upload folder."""
    import uvicorn

    config = uvicorn.Config(web_app(main, assets_dir=assets_dir, uploads=uploads), host=host, port=port,
                            ws="websockets-sansio", log_level="warning")
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn re-raises the signal after its graceful shutdown: a normal stop
        pass
    finally:
        uploads.close()
