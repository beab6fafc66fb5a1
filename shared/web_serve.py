"""Serve a Flet app on the web with the photo upload endpoint beside it (both apps use this).

`ft.run` cannot add a route, and its own upload handler is not the one we want (see
shared/photo_uploads.py), so this builds what `ft.run(view=WEB_BROWSER)` builds (Flet's
lifespan-aware FastAPI app, the Flet app mounted at "/", uvicorn with the same websocket
implementation) plus `PUT /photo-upload/<token>`. Errors answer in the Storage API's
shape, `{statusCode, error, message}`, like the uploads that go to Supabase.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from .photo_uploads import ENDPOINT, PhotoUploads, UploadRefused

log = logging.getLogger(__name__)
_ERRORS = {404: "not_found", 409: "Duplicate", 413: "Payload too large", 400: "Bad Request"}


def upload_endpoint(uploads: PhotoUploads):
    async def put_photo(request: Request) -> JSONResponse:
        token = request.path_params["token"]
        declared = request.headers.get("content-length")
        try:
            size = await uploads.receive(token, request.stream(),
                                         declared=int(declared) if declared and declared.isdigit() else None)
        except UploadRefused as refused:
            log.info("photo upload refused: %s %s", refused.status, refused.reason)
            return JSONResponse({"statusCode": str(refused.status), "error": _ERRORS.get(refused.status, "Error"),
                                 "message": refused.reason}, status_code=refused.status)
        return JSONResponse({"size": size})

    return put_photo


def web_app(main, *, assets_dir: str, uploads: PhotoUploads):
    """The ASGI app: the upload endpoint first, then everything else to Flet."""
    import flet_web.fastapi as flet_fastapi  # here, not above: the rest of shared/ is used without flet

    app = flet_fastapi.FastAPI(docs_url=None, redoc_url=None, openapi_url=None,
                               on_shutdown=[uploads.close])
    app.add_api_route(f"/{ENDPOINT}/{{token}}", upload_endpoint(uploads), methods=["PUT"])
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
