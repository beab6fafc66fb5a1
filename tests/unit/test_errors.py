"""shared.errors: what supabase-py raises becomes one CityError subclass, with messages in zh and en."""

from __future__ import annotations

import re

import httpx
import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthApiError, AuthRetryableError, AuthSessionMissingError, AuthWeakPasswordError

from shared import errors
from shared.errors import CityError, from_exception

ALL = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, CityError)]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_error_speaks_both_languages(cls) -> None:
    e = cls("technical detail")
    assert re.search(r"[\u4e00-\u9fff]", e.message("zh-CN"))
    assert e.message("en") and not re.search(r"[\u4e00-\u9fff]", e.message("en"))
    assert "technical detail" not in e.message("en")  # the detail is for logs only
    assert e.message_zh == e.message() and e.message_en == e.message("en-US")


@pytest.mark.parametrize("code, cls", [
    ("PT400", errors.ValidationError), ("PT401", errors.AuthError), ("PT403", errors.PermissionDenied),
    ("PT404", errors.NotFound), ("PT409", errors.InvalidTransition), ("42501", errors.PermissionDenied),
    ("23505", errors.Conflict), ("23514", errors.ValidationError), ("22P02", errors.ValidationError),
    ("PGRST116", errors.NotFound), ("PGRST301", errors.AuthError), ("500", errors.ServerError),
    ("429", errors.RateLimited), ("XX000", CityError),
])
def test_postgrest_codes(code, cls) -> None:
    e = from_exception(APIError({"message": "cannot start a report that is dispatched", "code": code,
                                 "details": None, "hint": None}))
    assert type(e) is cls
    assert e.code == code
    assert "cannot start" in e.detail


def test_invalid_transition_message() -> None:
    e = from_exception(APIError({"message": "cannot accept a report that is closed", "code": "PT409"}))
    assert isinstance(e, errors.InvalidTransition)
    assert "状态" in e.message("zh-CN") and "state" in e.message("en")


@pytest.mark.parametrize("exc, cls", [
    (AuthApiError("Invalid login credentials", 400, "invalid_credentials"), errors.InvalidCredentials),
    (AuthApiError("User already registered", 422, "user_already_exists"), errors.AccountExists),
    (AuthApiError("slow down", 429, "over_request_rate_limit"), errors.RateLimited),
    (AuthApiError("expired", 401, None), errors.AuthError),
    (AuthApiError("banned", 403, "user_banned"), errors.PermissionDenied),
    (AuthWeakPasswordError("weak", 422, ["length"]), errors.WeakPassword),
    (AuthSessionMissingError(), errors.AuthError),
    (AuthRetryableError("connection refused", 0), errors.NetworkError),
])
def test_auth_errors(exc, cls) -> None:
    assert type(from_exception(exc)) is cls


@pytest.mark.parametrize("status, cls", [(403, errors.PermissionDenied), (404, errors.NotFound),
                                         (413, errors.StorageError), (500, errors.StorageError),
                                         (409, errors.Conflict)])
def test_storage_errors(status, cls) -> None:
    e = from_exception(StorageApiError("nope", "Err", status))
    assert type(e) is cls and e.status == status


def test_network_errors() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1/")
    for exc in (httpx.ConnectError("refused", request=request), httpx.ReadTimeout("slow", request=request),
                ConnectionRefusedError(), TimeoutError()):
        assert type(from_exception(exc)) is errors.NetworkError


def test_city_errors_pass_through_and_unknown_ones_are_wrapped() -> None:
    e = errors.NotFound("x")
    assert from_exception(e) is e
    wrapped = from_exception(RuntimeError("boom"))
    assert type(wrapped) is CityError and "boom" in wrapped.detail
