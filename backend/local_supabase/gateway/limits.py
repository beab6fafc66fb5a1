"""Request body limits, enforced in front of every route (the one home of the byte caps).

A body is refused by its `Content-Length` before a byte of it is read, and, when it
comes without one (chunked), as soon as the bytes received pass the cap: the app is
then told the client went away (so it stops reading and writes nothing) and the
answer is this layer's 413, in the route's service's shape (answers.py). uvicorn
reads a body only as fast as the app asks for it, so memory stays bounded. Before
answering, a little more of the refused body is read and dropped (at most the cap
again, for at most a second), so a client still sending reads the 413 rather than
a reset connection; then the connection is closed.

Caps: Storage accepts up to the global upload limit plus room for multipart fields
(storage/body.py then applies each bucket's own, lower limit while streaming; its
JSON routes cap themselves at `max_body_bytes`); every other route `max_body_bytes`.
"""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..storage.body import MAX_OVERHEAD_BYTES
from .answers import limit_error


def body_limit(settings: Settings, path: str) -> int:
    if path.startswith("/storage/v1"):
        return settings.storage_max_bytes + MAX_OVERHEAD_BYTES
    return settings.max_body_bytes


DRAIN_S = 1.0


async def _drain(receive: Receive, limit: int) -> None:
    """Read and drop up to `limit` more bytes of a refused body, for at most DRAIN_S."""
    dropped = 0
    with anyio.move_on_after(DRAIN_S):
        while dropped <= limit:
            message = await receive()
            if message["type"] != "http.request":
                return
            dropped += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


def _too_large(path: str, limit: int) -> JSONResponse:
    body, headers = limit_error(path, 413, f"Request body is larger than the limit of {limit} bytes")
    return JSONResponse(body, status_code=413, headers={**headers, "connection": "close"})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn's parser refuses a malformed length before we see it
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = body_limit(self.settings, path)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _drain(receive, limit)
            await _too_large(path, limit)(scope, receive, send)
            return

        received = 0
        tripped = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, tripped
            if tripped:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if tripped and not started:
                return  # the app's answer to a "disconnect" is replaced by the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not tripped or started:
                raise  # a failure of its own: the server's error handling answers it
        if tripped and not started:
            await _drain(receive, limit)
            await _too_large(path, limit)(scope, receive, send)
