"""Reading an upload: multipart (`cacheControl`, `metadata`, `file`) or a raw body, streamed to a temporary file.

Limits hold while the bytes arrive: the file is counted as it is written and
refused (413) as soon as it passes the bucket's or the global limit; a content
type the bucket does not allow is refused (415) before any byte is stored.
After a refusal the rest of the body is read and dropped (up to a bound) so the
client receives the answer instead of a broken connection; nothing of it is kept.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_multipart
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from ..gateway.json_body import JsonBodyError, parse_json
from . import errors, limits
from .files import TempFile

MAX_FIELD_BYTES = 1024 * 1024  # upstream's MAX_CUSTOM_METADATA_SIZE
# Room for form fields, part headers and boundaries around the file in a multipart body.
MAX_OVERHEAD_BYTES = 2 * MAX_FIELD_BYTES
DEFAULT_MIME = "application/octet-stream"


@dataclass
class Upload:
    temp: TempFile
    mimetype: str
    cache_control: str
    user_metadata: dict[str, Any] | None


@dataclass
class Rules:
    limit: int
    allowed_mime_types: list[str] | None
    drain_limit: int  # how much of a refused body is still read (and dropped)
    max_json_depth: int = 64  # of the user metadata (gateway/json_body.py)


async def receive(request: Request, temp_dir: Path, rules: Rules) -> Upload:
    """Stream the request's file into a new TempFile; the caller owns (and must place or discard) it."""
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        reader: _Reader = _MultipartReader(content_type, temp_dir, rules)
    else:
        reader = _RawReader(request, temp_dir, rules)
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if reader.failure is None and received > rules.limit + MAX_OVERHEAD_BYTES:
                reader.fail(errors.entity_too_large())  # whatever the body holds, it cannot fit any more
            if reader.failure is None:
                reader.feed(chunk)
            else:
                reader.drained += len(chunk)
                if reader.drained > rules.drain_limit:
                    break
        if reader.failure is None:
            reader.end()
    except BaseException:
        reader.discard()
        raise
    if reader.failure is not None:
        reader.discard()
        raise reader.failure
    return await reader.upload()


class _Reader:
    def __init__(self, temp_dir: Path, rules: Rules):
        self.temp_dir = temp_dir
        self.rules = rules
        self.temp: TempFile | None = None
        self.failure: errors.StorageError | None = None
        self.drained = 0
        self.mimetype = DEFAULT_MIME
        self.cache_control = "no-cache"
        self.user_metadata: dict[str, Any] | None = None

    def feed(self, chunk: bytes) -> None:
        raise NotImplementedError

    def end(self) -> None:
        pass

    def start_file(self, mimetype: str) -> None:
        self.mimetype = mimetype
        try:
            limits.check_mime_type(mimetype, self.rules.allowed_mime_types)
        except errors.StorageError as exc:
            self.fail(exc)
            return
        self.temp = TempFile(self.temp_dir)

    def write(self, data: bytes) -> None:
        if self.failure is not None or self.temp is None or not data:
            return
        if self.temp.size + len(data) > self.rules.limit:
            self.fail(errors.entity_too_large())
            return
        self.temp.write(data)

    def fail(self, exc: errors.StorageError) -> None:
        if self.failure is None:
            self.failure = exc
        self.discard()  # drop what was stored at once, not when the rest of the body has been read

    def discard(self) -> None:
        if self.temp is not None:
            self.temp.discard()
            self.temp = None

    async def upload(self) -> Upload:
        if self.temp is None:
            raise errors.no_content()
        try:
            await self.temp.finish()
        except BaseException:
            self.discard()
            raise
        return Upload(self.temp, self.mimetype, self.cache_control, self.user_metadata)


class _RawReader(_Reader):
    """A binary body: Content-Type, Cache-Control and base64 JSON `x-metadata` headers describe it."""

    def __init__(self, request: Request, temp_dir: Path, rules: Rules):
        super().__init__(temp_dir, rules)
        headers = request.headers
        self.cache_control = headers.get("cache-control") or "no-cache"
        self.user_metadata = _metadata_header(headers.get("x-metadata"), rules.max_json_depth)
        self.start_file(headers.get("content-type") or DEFAULT_MIME)
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > rules.limit:
            self.fail(errors.entity_too_large())

    def feed(self, chunk: bytes) -> None:
        self.write(chunk)


class _MultipartReader(_Reader):
    """multipart/form-data: fields before the first file part describe it (httpx sends them first)."""

    def __init__(self, content_type: str, temp_dir: Path, rules: Rules):
        super().__init__(temp_dir, rules)
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        self.fields: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._field: bytearray | None = None
        self._field_name = ""
        self._in_file = False
        self._seen_file = False
        self._field_bytes = 0  # all fields together
        if not boundary:
            self.fail(errors.invalid_request("Missing boundary in multipart"))
            self._parser = None
            return
        self._parser = python_multipart.MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_part_data": self._part_data, "on_part_end": self._part_end,
            "on_header_field": self._header_field, "on_header_value": self._header_part,
            "on_header_end": self._header_end, "on_headers_finished": self._headers_finished,
        })

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError:
            self.fail(errors.invalid_request("Malformed multipart body"))

    def end(self) -> None:
        try:
            self._parser.finalize()
        except FormParserError:
            self.fail(errors.invalid_request("Malformed multipart body"))

    # python-multipart callbacks ------------------------------------------------

    def _part_begin(self) -> None:
        self._headers = {}
        self._field = None
        self._in_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" in options and not self._seen_file:
            # The first file part is the object; the fields sent before it describe it.
            self._seen_file = self._in_file = True
            self._apply_fields()
            part_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()
            self.start_file(self.fields.get("contentType") or part_type or DEFAULT_MIME)
        elif b"filename" not in options:
            self._field_name = options.get(b"name", b"").decode("utf-8", "replace")
            self._field = bytearray()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.write(data[start:end])
        elif self._field is not None:
            self._field_bytes += end - start
            if len(self._field) + (end - start) > MAX_FIELD_BYTES or self._field_bytes > MAX_OVERHEAD_BYTES:
                self.fail(errors.entity_too_large("user_metadata" if self._field_name in ("metadata", "userMetadata")
                                                  else "form field"))
                self._field = None
                return
            self._field += data[start:end]

    def _part_end(self) -> None:
        if self._field is not None and not self._seen_file:
            self.fields[self._field_name] = self._field.decode("utf-8", "replace")
        self._field = None
        self._in_file = False

    def _apply_fields(self) -> None:
        cache = self.fields.get("cacheControl")
        self.cache_control = f"max-age={cache}" if cache else "no-cache"
        custom = self.fields.get("metadata", self.fields.get("userMetadata"))
        if custom is not None:
            self.user_metadata = _json_object(custom, self.rules.max_json_depth)


def _metadata_header(value: str | None, max_depth: int) -> dict[str, Any] | None:
    if not value:
        return None
    if len(value) > MAX_FIELD_BYTES * 4 // 3 + 4:
        raise errors.entity_too_large("user_metadata")
    try:
        return _json_object(base64.b64decode(value, validate=False).decode("utf-8"), max_depth)
    except (ValueError, UnicodeDecodeError):
        return None


def _json_object(text: str, max_depth: int) -> dict[str, Any] | None:
    """User metadata as upstream reads it: a JSON object, or ignored when it is not one (or not storable)."""
    try:
        value = parse_json(text.encode("utf-8"), max_depth=max_depth)
    except JsonBodyError:
        return None
    return value if isinstance(value, dict) else None
