"""Sign-in throttling (backend/local_supabase/auth/ratelimit.py and the password grant).

The per-account limit is tested on the session stack (its configured failures per window);
the per-address limit on a second gateway started here with a limit of 5, so
the rest of the suite keeps signing in from 127.0.0.1 undisturbed.
"""

from __future__ import annotations

import uuid
from typing import Iterator

import httpx
import pytest
from supabase import Client, ClientOptions, create_client
from supabase_auth.errors import AuthApiError

from backend.local_supabase.auth.ratelimit import SlidingWindow
from backend.local_supabase.config import Settings
from tests.backend.gateway_support import extra_gateway
from tests.conftest import StackInfo


def account_failures() -> int:
    """The session stack's limit, read from the environment `stack` started it with (so: call after `stack`)."""
    return Settings.from_environ().signin_account_failures


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_counts_events_within_the_window_only() -> None:
    clock = FakeClock()
    window = SlidingWindow(3, 60, clock=clock)
    for _ in range(3):
        assert window.retry_after("k") is None
        window.hit("k")
        clock.now += 10
    assert window.retry_after("k") == pytest.approx(30)  # first event at 1000, now 1030
    assert window.retry_after("other") is None
    clock.now = 1060.5  # the first event has left the window
    assert window.retry_after("k") is None
    window.hit("k")
    assert window.retry_after("k") == pytest.approx(9.5)


def test_sliding_window_release_takes_back_one_event() -> None:
    window = SlidingWindow(2, 60, clock=FakeClock())
    window.hit("k")
    window.hit("k")
    assert window.retry_after("k") is not None
    window.release("k")
    assert window.retry_after("k") is None


def _sign_in(client: Client, email: str, password: str):
    return client.auth.sign_in_with_password({"email": email, "password": password})


def test_account_limit_blocks_even_the_right_password(stack: StackInfo, make_user) -> None:
    victim, bystander = make_user(), make_user()
    for _ in range(account_failures()):
        with pytest.raises(AuthApiError) as err:
            _sign_in(stack.client(), victim.email, "wrong-password")
        assert err.value.code == "invalid_credentials"

    with pytest.raises(AuthApiError) as err:
        _sign_in(stack.client(), victim.email, "wrong-password")
    assert (err.value.status, err.value.code) == (429, "over_request_rate_limit")
    with pytest.raises(AuthApiError) as err:
        _sign_in(stack.client(), victim.email.upper(), victim.password)
    assert (err.value.status, err.value.code) == (429, "over_request_rate_limit")
    assert "Try again in" in err.value.message

    raw = httpx.post(f"{stack.url}/auth/v1/token", params={"grant_type": "password"},
                     json={"email": victim.email, "password": victim.password}, headers={"apikey": stack.anon_key})
    assert raw.status_code == 429 and 0 < int(raw.headers["retry-after"]) <= 300

    # Other accounts are not affected, and the victim's open session still works.
    assert _sign_in(stack.client(), bystander.email, bystander.password).user.id == bystander.id
    assert stack.client().auth.get_user(victim.access_token).user.id == victim.id


def test_successful_sign_ins_do_not_count_as_failures(stack: StackInfo, make_user) -> None:
    person = make_user()
    for _ in range(account_failures() + 2):
        assert _sign_in(stack.client(), person.email, person.password).user.id == person.id


@pytest.fixture()
def strict_gateway(stack: StackInfo) -> Iterator[str]:
    """A second gateway allowing 5 sign-in attempts per address."""
    with extra_gateway(stack, CITYLOOP_SIGNIN_ADDRESS_ATTEMPTS="5") as url:
        yield url


def test_address_limit_counts_every_attempt_from_one_address(stack: StackInfo, strict_gateway: str,
                                                             make_user) -> None:
    person = make_user()
    client = create_client(strict_gateway, stack.anon_key,
                           options=ClientOptions(auto_refresh_token=False, persist_session=False))
    # Five attempts on five different accounts: the account limit never comes into play.
    assert _sign_in(client, person.email, person.password).user.id == person.id
    for _ in range(4):
        with pytest.raises(AuthApiError) as err:
            _sign_in(client, f"nobody{uuid.uuid4().hex[:8]}@test.cityloop.local", "wrong-password")
        assert err.value.code == "invalid_credentials"

    with pytest.raises(AuthApiError) as err:
        _sign_in(client, person.email, person.password)
    assert (err.value.status, err.value.code) == (429, "over_request_rate_limit")
    assert "address" in err.value.message and "Try again in" in err.value.message
    # The session stack keeps its own, much larger allowance.
    assert _sign_in(stack.client(), person.email, person.password).user.id == person.id
