"""One typed error family for everything the backend can refuse, with messages in zh and en.

`from_exception` turns what supabase-py raises (postgrest's APIError, supabase_auth's
AuthError family, storage3's StorageApiError, httpx's transport errors) into a
`CityError` subclass. The apps show `error.message(locale)`; the technical detail
stays in `error.detail` for logs, never in front of a user.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from shared import limits


class CityError(Exception):
    """Base of every error the client raises. `code` is the backend's code when there is one."""

    zh: ClassVar[str] = "出了点问题，请稍后再试"
    en: ClassVar[str] = "Something went wrong. Please try again later."

    def __init__(self, detail: str = "", *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail or self.en)
        self.detail = detail
        self.code = code
        self.status = status

    def message(self, locale: str = "zh-CN") -> str:
        return self.en if locale.lower().startswith("en") else self.zh

    @property
    def message_zh(self) -> str:
        return self.zh

    @property
    def message_en(self) -> str:
        return self.en

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, detail={self.detail!r})"


class AuthError(CityError):
    zh = "登录已失效或账号信息有误，请重新登录"
    en = "You are not signed in, or the sign-in failed. Please sign in again."


class InvalidCredentials(AuthError):
    zh = "账号或密码不正确"
    en = "The account or password is not correct."


class AccountExists(AuthError):
    zh = "该账号已注册，请直接登录"
    en = "This account already exists. Please sign in."


class WeakPassword(AuthError):
    zh = "密码太简单，请换一个更长的密码"
    en = "The password is too weak. Please choose a longer one."


class PhoneNotConfirmed(AuthError):
    zh = "手机号尚未验证，请用短信验证码登录"
    en = "This phone number is not verified yet. Please sign in with a code sent by SMS."


class NoAccountForPhone(AuthError):
    zh = "该手机号还没有注册账号"
    en = "There is no account for this phone number."


class CodeWrong(AuthError):
    zh = "验证码不正确，请核对短信后重新输入"
    en = "The code is not correct. Please check the SMS and type it again."


class CodeExpired(AuthError):
    zh = "验证码已过期，请重新获取"
    en = "The code has expired. Please ask for a new one."


class CodeTooManyTries(AuthError):
    zh = "验证码错误次数过多，请重新获取验证码"
    en = "Too many wrong codes. Please ask for a new code."


class CodeTooSoon(AuthError):
    zh = "验证码发送太频繁，请稍后再获取"
    en = "A code was sent only a moment ago. Please wait before asking again."


class RateLimited(CityError):
    zh = "尝试次数过多，请稍后再试"
    en = "Too many attempts. Please wait a moment and try again."


class LinkThrottled(RateLimited):
    """Too many failed attempts to link a utility account (per person, account number or address)."""


class LinkThrottledForAccount(LinkThrottled):
    zh = f"该户号的绑定尝试失败次数过多，请 {limits.minutes('link_misses_per_account')} 分钟后再试"
    en = (f"Too many failed attempts on this account number. "
          f"Please try again in {limits.minutes('link_misses_per_account')} minutes.")


class LinkThrottledForAddress(LinkThrottled):
    zh = f"当前网络的绑定尝试失败次数过多，请 {limits.minutes('link_misses_per_address')} 分钟后再试"
    en = (f"Too many failed attempts from this network. "
          f"Please try again in {limits.minutes('link_misses_per_address')} minutes.")


class LinkThrottledForPerson(LinkThrottled):
    zh = f"绑定尝试失败次数过多，请 {limits.minutes('link_misses_per_person')} 分钟后再试"
    en = f"Too many failed attempts. Please try again in {limits.minutes('link_misses_per_person')} minutes."


class ReportQuotaExceeded(RateLimited):
    """A citizen reached a report quota (private.limits reports_per_hour / reports_per_day)."""


class HourlyReportQuota(ReportQuotaExceeded):
    zh = f"上报太频繁：每小时最多 {limits.REPORTS_PER_HOUR} 件，请稍后再报"
    en = f"Too many reports: at most {limits.REPORTS_PER_HOUR} an hour. Please try again later."


class DailyReportQuota(ReportQuotaExceeded):
    zh = f"今天已上报 {limits.REPORTS_PER_DAY} 件，达到每日上限，请明天再报"
    en = f"You have filed {limits.REPORTS_PER_DAY} reports today, the most a day. Please try again tomorrow."


class NearbyLookupsThrottled(RateLimited):
    zh = "查询附近案件太频繁，请稍后再试"
    en = "Too many look-ups of nearby cases. Please try again later."


class PermissionDenied(CityError):
    zh = "您没有权限进行此操作"
    en = "You are not allowed to do this."


class NotFound(CityError):
    zh = "找不到该内容，可能已被删除或您无权查看"
    en = "Not found. It may have been removed, or you may not see it."


class InvalidTransition(CityError):
    zh = "该事件当前状态不允许此操作，请刷新后再试"
    en = "This case cannot do that in its current state. Please refresh and try again."


class Conflict(CityError):
    zh = "该内容已存在"
    en = "This already exists."


class ValidationError(CityError):
    zh = "填写的内容不符合要求，请检查后再提交"
    en = "Some of what you entered is not valid. Please check it and try again."


class NetworkError(CityError):
    zh = "网络连接失败，请检查网络后重试"
    en = "No connection to the server. Please check your network and try again."


class StorageError(CityError):
    zh = "照片上传失败，请重试"
    en = "The photo could not be uploaded. Please try again."


class ServerError(CityError):
    zh = "服务器暂时出错，请稍后再试"
    en = "The server had a problem. Please try again later."


# postgrest / PostgreSQL codes -> error class (the RPCs raise PTxyz, the gateway answers HTTP xyz)
_PG_CODES: dict[str, type[CityError]] = {
    "PT400": ValidationError, "PT401": AuthError, "PT403": PermissionDenied, "PT404": NotFound,
    "PT409": InvalidTransition,
    "42501": PermissionDenied,  # insufficient privilege / RLS refused a write
    "23505": Conflict,  # unique violation
    "23503": ValidationError, "23514": ValidationError, "23502": ValidationError, "22P02": ValidationError,
    "22001": ValidationError, "22003": ValidationError, "22007": ValidationError, "22023": ValidationError,
    "PGRST116": NotFound,  # .single() found no row
    "PGRST301": AuthError, "PGRST302": AuthError, "PGRST303": AuthError,  # JWT problems
    "PGRST202": NotFound,  # no such function
    "PGRST205": NotFound,  # no such table
}

# PT429 refusals name the limit (a row of private.limits) in their hint.
_LIMIT_HINTS: dict[str, type[CityError]] = {
    "reports_per_hour": HourlyReportQuota, "reports_per_day": DailyReportQuota,
    "nearby_lookups": NearbyLookupsThrottled, "link_misses_per_person": LinkThrottledForPerson,
    "link_misses_per_account": LinkThrottledForAccount, "link_misses_per_address": LinkThrottledForAddress,
}

_AUTH_CODES: dict[str, type[CityError]] = {
    "invalid_credentials": InvalidCredentials, "user_already_exists": AccountExists,
    "email_exists": AccountExists, "phone_exists": AccountExists, "weak_password": WeakPassword,
    "over_request_rate_limit": RateLimited, "over_email_send_rate_limit": RateLimited,
    "over_sms_send_rate_limit": RateLimited, "user_banned": PermissionDenied, "user_not_found": NotFound,
    "validation_failed": ValidationError, "bad_jwt": AuthError, "session_not_found": AuthError,
    "session_expired": AuthError, "refresh_token_not_found": AuthError, "refresh_token_already_used": AuthError,
    "no_authorization": AuthError, "not_admin": PermissionDenied,
    "phone_not_confirmed": PhoneNotConfirmed, "otp_disabled": NoAccountForPhone,
}


def _code_error(code: str | None, message: str, status: int | None) -> CityError | None:
    """SMS-code answers. GoTrue answers a wrong and an expired code with one code
    (`otp_expired`); the local Auth's message says which, and which 429 ended a code."""
    text = (message or "").lower()
    if code == "otp_expired":
        return (CodeExpired if "code has expired" in text else CodeWrong)(message, code=code, status=status)
    if code == "over_request_rate_limit" and "wrong codes" in text:
        return CodeTooManyTries(message, code=code, status=status)
    if code == "over_sms_send_rate_limit":
        return CodeTooSoon(message, code=code, status=status)
    return None


def _by_status(status: int | None) -> type[CityError]:
    if status is None:
        return CityError
    if status == 401:
        return AuthError
    if status == 403:
        return PermissionDenied
    if status in (404, 406):
        return NotFound
    if status == 409:
        return Conflict
    if status == 429:
        return RateLimited
    if 400 <= status < 500:
        return ValidationError
    if status >= 500:
        return ServerError
    return CityError


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def from_exception(exc: BaseException) -> CityError:
    """The CityError for what supabase-py (or httpx underneath it) raised."""
    if isinstance(exc, CityError):
        return exc
    from postgrest.exceptions import APIError
    from storage3.exceptions import StorageApiError
    from supabase_auth import errors as auth_errors

    if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
        return NetworkError(str(exc) or type(exc).__name__)
    if isinstance(exc, APIError):
        code = str(exc.code) if exc.code is not None else None
        detail = " ".join(str(p) for p in (exc.message, exc.details, exc.hint) if p)
        if code == "PT429" and exc.hint in _LIMIT_HINTS:
            return _LIMIT_HINTS[exc.hint](detail, code=code, status=429)
        if code in _PG_CODES:
            return _PG_CODES[code](detail, code=code)
        status = _int(code)  # postgrest puts the HTTP status in `code` when the body was not JSON
        if code and code.startswith("PT") and _int(code[2:]):
            status = _int(code[2:])
        if code and len(code) == 5 and code[:2] in ("22", "23"):
            return ValidationError(detail, code=code)
        return _by_status(status)(detail, code=code, status=status)
    if isinstance(exc, auth_errors.AuthRetryableError):
        return NetworkError(exc.message, status=_int(getattr(exc, "status", None)))
    if isinstance(exc, auth_errors.AuthSessionMissingError):
        return AuthError(exc.message)
    if isinstance(exc, auth_errors.AuthWeakPasswordError):
        return WeakPassword(exc.message, code="weak_password")
    if isinstance(exc, auth_errors.AuthError):
        code = str(exc.code) if getattr(exc, "code", None) else None
        status = _int(getattr(exc, "status", None))
        if (found := _code_error(code, exc.message, status)) is not None:
            return found
        if code in _AUTH_CODES:
            return _AUTH_CODES[code](exc.message, code=code, status=status)
        if status == 400 and "credential" in (exc.message or "").lower():
            return InvalidCredentials(exc.message, code=code, status=status)
        cls = _by_status(status)
        return (AuthError if cls in (CityError, NotFound) else cls)(exc.message, code=code, status=status)
    if isinstance(exc, StorageApiError):
        status = _int(exc.status)
        cls = _by_status(status)
        if cls in (CityError, ServerError, ValidationError):
            cls = StorageError
        return cls(exc.message, code=str(exc.code) if exc.code else None, status=status)
    return CityError(f"{type(exc).__name__}: {exc}")
