"""Storage-shaped errors: `{statusCode, code, error, message}`, as supabase/storage renders them.

storage3 reads only the body (`message`, `error`, `statusCode`). Upstream answers
almost every 4xx with HTTP 400 and puts the real status in the body's
`statusCode` string; 5xx keep their status. We do the same, so app code that
works against hosted Supabase works here. The API key check sits in front of
Storage (the API gateway, Kong upstream) and answers a real 401.
"""

from __future__ import annotations

import psycopg
from starlette.responses import JSONResponse


class StorageError(Exception):
    """An error answer. `status` is the body's `statusCode`; `code` upstream's ErrorCode."""

    def __init__(self, status: int, code: str, message: str, *, error: str | None = None,
                 http_status: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.error = error or code
        self.http_status = http_status or (status if status >= 500 else 400)

    def response(self) -> JSONResponse:
        body = {"statusCode": str(self.status), "code": self.code, "error": self.error, "message": self.message}
        return JSONResponse(body, status_code=self.http_status, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- upstream's ERRORS, by name

def unauthorized(message: str) -> StorageError:
    """No or a wrong API key: refused before Storage, like the API gateway does."""
    return StorageError(401, "Unauthorized", message, error="Unauthorized", http_status=401)


def access_denied(message: str = "Access denied") -> StorageError:
    return StorageError(403, "AccessDenied", message, error="Unauthorized")


def no_such_bucket() -> StorageError:
    return StorageError(404, "NoSuchBucket", "Bucket not found", error="Bucket not found")


def no_such_key() -> StorageError:
    return StorageError(404, "NoSuchKey", "Object not found", error="not_found")


def invalid_key(key: str) -> StorageError:
    return StorageError(400, "InvalidKey", f"Invalid key: {key}")


def invalid_bucket_name(name: str = "") -> StorageError:
    return StorageError(400, "InvalidBucketName", "Bucket name invalid", error="Invalid Input")


def already_exists(code: str = "ResourceAlreadyExists") -> StorageError:
    return StorageError(409, code, "The resource already exists", error="Duplicate")


def bucket_not_empty() -> StorageError:
    return StorageError(409, "ResourceNotEmpty", "The bucket you tried to delete is not empty")


def entity_too_large(entity: str = "object", limit: str = "the maximum allowed size") -> StorageError:
    return StorageError(413, "EntityTooLarge", f"The {entity} exceeded {limit}", error="Payload too large")


def invalid_mime_type(mime_type: str) -> StorageError:
    return StorageError(415, "InvalidMimeType", f"mime type {mime_type} is not supported", error="invalid_mime_type")


def invalid_jwt(message: str = "Invalid JWT") -> StorageError:
    return StorageError(400, "InvalidJWT", message)


def invalid_signature() -> StorageError:
    return StorageError(400, "InvalidSignature", "Invalid signature")


def invalid_request(message: str) -> StorageError:
    return StorageError(400, "InvalidRequest", message)


def missing_parameter(name: str) -> StorageError:
    return StorageError(400, "MissingParameter", f"Missing Required Parameter {name}")


def invalid_parameter(name: str, message: str | None = None) -> StorageError:
    return StorageError(400, "InvalidParameter", message or f"Invalid Parameter {name}")


def no_content() -> StorageError:
    return StorageError(400, "InvalidRequest", "No content provided")


def invalid_range() -> StorageError:
    return StorageError(400, "InvalidRange", "invalid range provided", error="invalid_range")


def route_not_found(method: str, path: str) -> StorageError:
    return StorageError(404, "not_found", f"Route {method}:{path} not found", error="Not Found", http_status=404)


def route_error(method: str, path: str, status: int) -> JSONResponse:
    """The gateway's answer for a /storage/v1 path no route takes (e.g. one with a line break in it)."""
    if status == 405:
        return StorageError(405, "MethodNotAllowed", f"Method {method} not allowed", http_status=405).response()
    return route_not_found(method, path.replace("\n", "%0A")).response()


def internal() -> StorageError:
    return StorageError(500, "InternalError", "Internal server error", error="Internal")


def from_pg(exc: psycopg.Error) -> StorageError:
    """Map a database error as upstream's DBError.fromDBError does; the text never reaches a client raw."""
    state = exc.sqlstate or ""
    text = exc.diag.message_primary or ""
    if state == "42501":
        return access_denied("new row violates row-level security policy" if "row-level security" in text
                             else "Access denied: the caller's role may not do this")
    if state == "23505":
        return already_exists()
    if state == "23503":
        return StorageError(404, "InvalidRequest", "The related resource does not exist")
    if state == "55P03":
        return StorageError(423, "ResourceLocked", "The resource is locked")
    if state == "57014":
        return StorageError(544, "DatabaseTimeout", "The connection to the database timed out", http_status=544)
    if state in ("22P02", "22007", "22008", "22023", "23514", "22001"):
        return invalid_parameter("value", "Invalid value format or type conversion failed")
    return StorageError(500, "DatabaseError", f"database error, code: {state or 'unknown'}")
