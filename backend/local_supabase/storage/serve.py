"""Sending an object's bytes: headers as upstream's renderer sets them, single byte ranges, HEAD."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
import urllib.parse
from typing import IO, AsyncIterator

import anyio
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from . import errors
from .context import Row

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def object_response(request: Request, row: Row, file: IO[bytes], *, expires: int | None = None) -> Response:
    """The object's bytes (or, for HEAD, only its headers); the open file is closed when done."""
    meta = row.get("metadata") or {}
    size = _size(file)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Type": _content_type(meta.get("mimetype")),
        "X-Content-Type-Options": "nosniff",
        # Opened directly, a stored SVG or HTML file runs nothing in the API's origin.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    if meta.get("eTag"):
        headers["ETag"] = str(meta["eTag"])
    modified = row.get("updated_at")
    if isinstance(modified, dt.datetime):
        headers["Last-Modified"] = email.utils.format_datetime(modified.astimezone(dt.timezone.utc), usegmt=True)
    if expires is not None:  # signed URLs: cacheable until the token expires, as upstream
        headers["Expires"] = email.utils.formatdate(expires, usegmt=True)
    else:
        headers["Cache-Control"] = str(meta.get("cacheControl") or "no-cache")
    download = request.query_params.get("download")
    if download is not None:
        headers["Content-Disposition"] = _disposition(download)

    start, end, status = 0, size - 1, 200
    wanted = request.headers.get("range")
    if wanted and size > 0:
        start, end = _parse_range(wanted, size, file)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = max(end - start + 1, 0)
    headers["Content-Length"] = str(length)

    if request.method == "HEAD" or length == 0:
        file.close()
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_read(file, start, length), status_code=status, headers=headers)


def _content_type(mimetype: object) -> str:
    value = str(mimetype or "application/octet-stream")
    # Never let a stored HTML file run in the API's origin (upstream serves it as text/plain too).
    if "text/html" in value.lower() or "xhtml" in value.lower():
        return "text/plain"
    return value


def _disposition(download: str) -> str:
    """As storage-api's renderer (`handleDownload`): the name as `encodeURIComponent` writes it, in both."""
    if download == "":
        return "attachment;"
    name = _encode_uri_component(download)
    return f"attachment; filename={name}; filename*=UTF-8''{name}"


def _encode_uri_component(text: str) -> str:
    # encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are; quote() always keeps - _ . ~.
    return urllib.parse.quote(text, safe="!*'()")


def _size(file: IO[bytes]) -> int:
    return os.fstat(file.fileno()).st_size


def _parse_range(value: str, size: int, file: IO[bytes]) -> tuple[int, int]:
    match = _RANGE.match(value.strip())
    if not match or (match.group(1) == "" and match.group(2) == ""):
        file.close()
        raise errors.invalid_range()
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        file.close()
        raise errors.invalid_range()
    return start, end


async def _read(file: IO[bytes], start: int, length: int) -> AsyncIterator[bytes]:
    try:
        await anyio.to_thread.run_sync(file.seek, start)
        left = length
        while left > 0:
            chunk = await anyio.to_thread.run_sync(file.read, min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        file.close()
