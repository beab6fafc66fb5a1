"""GoTrue-shaped errors: what the client reads, and nothing more.

supabase-py sends `X-Supabase-Api-Version: 2024-01-01`; when the answer
carries the same header it takes the error code from `code`, otherwise from
`error_code`, and the text from `msg` or `message`. We send all four so any
client version reads the same thing. Messages follow GoTrue's wording where
it has one, so app code written against hosted Supabase behaves the same.
"""

from __future__ import annotations

from typing import Any, Mapping

from starlette.responses import JSONResponse

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION = "2024-01-01"

INVALID_LOGIN = "Invalid login credentials"
DUPLICATE_EMAIL = "A user with this email address has already been registered"
DUPLICATE_PHONE = "A user with this phone number has already been registered"


class AuthError(Exception):
    """An error answer: HTTP status, GoTrue error code, a message for people."""

    def __init__(self, status: int, code: str, message: str, *,
                 extra: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body = {"code": self.code, "error_code": self.code, "message": self.message, "msg": self.message, **self.extra}
        headers = {API_VERSION_HEADER: API_VERSION, "x-error-code": self.code, **self.headers}
        return JSONResponse(body, status_code=self.status, headers=headers)


def bad_request(code: str, message: str) -> AuthError:
    return AuthError(400, code, message)


def validation_failed(message: str) -> AuthError:
    return AuthError(400, "validation_failed", message)


def unprocessable(code: str, message: str) -> AuthError:
    return AuthError(422, code, message)


def forbidden(code: str, message: str) -> AuthError:
    return AuthError(403, code, message)


def not_found(code: str, message: str) -> AuthError:
    return AuthError(404, code, message)


def invalid_credentials() -> AuthError:
    return AuthError(400, "invalid_credentials", INVALID_LOGIN)


def weak_password(min_length: int) -> AuthError:
    # The client builds AuthWeakPasswordError from `weak_password.reasons`.
    return AuthError(422, "weak_password", f"Password should be at least {min_length} characters.",
                     extra={"weak_password": {"reasons": ["length"]}})


def too_many_requests(message: str, retry_after_s: float, *, code: str = "over_request_rate_limit") -> AuthError:
    seconds = max(1, int(retry_after_s + 0.999))
    return AuthError(429, code, f"{message} Try again in {seconds} seconds.",
                     headers={"Retry-After": str(seconds)})


def sms_too_soon(retry_after_s: float) -> AuthError:
    """GoTrue's answer when a number asks for a code again before [auth.sms] max_frequency."""
    seconds = max(1, int(retry_after_s + 0.999))
    return AuthError(429, "over_sms_send_rate_limit",
                     f"For security purposes, you can only request this after {seconds} seconds.",
                     headers={"Retry-After": str(seconds)})


# GoTrue answers a wrong and an expired code alike (403 otp_expired); the message says which.
OTP_INVALID = "Token has expired or is invalid"


def otp_wrong() -> AuthError:
    return AuthError(403, "otp_expired", OTP_INVALID)


def otp_expired() -> AuthError:
    return AuthError(403, "otp_expired", f"{OTP_INVALID}: the code has expired, request a new one")


def otp_exhausted(retry_after_s: float) -> AuthError:
    return too_many_requests("Too many wrong codes: this code no longer works, request a new one.", retry_after_s)


def unexpected() -> AuthError:
    return AuthError(500, "unexpected_failure", "Unexpected failure, please check server logs for more information")
