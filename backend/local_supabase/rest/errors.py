"""Errors in PostgREST's shape (`code`, `message`, `details`, `hint`) and its status codes."""

from __future__ import annotations

import psycopg
from starlette.responses import JSONResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"code": self.code, "details": self.details, "hint": self.hint, "message": self.message},
            status_code=self.status,
        )


def parse_error(message: str, details: str | None = None) -> ApiError:
    """PGRST100: the query string could not be parsed."""
    return ApiError(400, "PGRST100", message, details)


def refuse_nul(value) -> None:
    """PostgreSQL text cannot hold NUL: refuse it here, as the server would, instead of failing in the driver."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(400, "22021", 'invalid byte sequence for encoding "UTF8": 0x00',
                           "Text values cannot contain the NUL character.")
    elif isinstance(value, (list, tuple)):
        for item in value:
            refuse_nul(item)


def column_error(table: str, column: str) -> ApiError:
    return ApiError(400, "42703", f"column {table}.{column} does not exist")


# SQLSTATE -> HTTP status, as PostgREST's Error.hs maps them.
_CLASS_STATUS = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "23": 400, "25": 500, "28": 403,
    "2D": 500, "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500,
    "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500,
}
_CODE_STATUS = {
    "23503": 409, "23505": 409, "25006": 405, "P0001": 400, "42883": 404, "42P01": 404,
    "42P17": 500, "42501": 403, "57P01": 503,
}


def from_pg(exc: psycopg.Error, *, anonymous: bool) -> ApiError:
    diag = exc.diag
    code = diag.sqlstate or "XX000"
    status = _CODE_STATUS.get(code) or _CLASS_STATUS.get(code[:2]) or 400
    if code == "42501" and anonymous:
        status = 401
    if code[:2] == "PT" and code[2:].isdigit() and 100 <= int(code[2:]) <= 599:
        status = int(code[2:])  # `raise sqlstate 'PT402'`: the function chooses the HTTP status
    message = diag.message_primary or str(exc).strip()
    # Connection or internal failures must not leak internals.
    if code[:2] in ("08", "XX", "58", "F0", "53"):
        message = "The database could not complete the request; try again."
    return ApiError(status, code, message, diag.message_detail, diag.message_hint)
