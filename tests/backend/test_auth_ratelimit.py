"""Sign-in throttling (backend/local_supabase/auth/ratelimit.py, throttle.py and the password grant).

The per-(account, address) limit is tested on the session stack (its configured failures
per window); the rest on second gateways started here with small limits, one of them
trusting 127.0.0.1 as a proxy so that tests can speak from several client addresses
(X-Forwarded-For), as the app servers do for their residents.
"""

from __future__ import annotations

import time
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


# --- many addresses: a gateway that trusts 127.0.0.1 as a proxy ------------------------------

PAIR_FAILURES, ADDRESS_ATTEMPTS, SLOWDOWN_AFTER, SLOWDOWN_S = 3, 8, 6, 1.0


@pytest.fixture(scope="module")
def proxied(stack: StackInfo) -> Iterator[str]:
    with extra_gateway(stack, CITYLOOP_TRUSTED_PROXIES="127.0.0.1",
                       CITYLOOP_SIGNIN_ACCOUNT_FAILURES=str(PAIR_FAILURES),
                       CITYLOOP_SIGNIN_ADDRESS_ATTEMPTS=str(ADDRESS_ATTEMPTS),
                       CITYLOOP_SIGNIN_ACCOUNT_SLOWDOWN_AFTER=str(SLOWDOWN_AFTER),
                       CITYLOOP_SIGNIN_SLOWDOWN=str(SLOWDOWN_S)) as url:
        yield url


def new_address() -> str:
    # A documentation network of its own: an IPv6 caller counts by its /64 (client_address.limit_key).
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"


def at(url: str, stack: StackInfo, address: str) -> Client:
    return create_client(url, stack.anon_key, options=ClientOptions(
        auto_refresh_token=False, persist_session=False, headers={"X-Forwarded-For": address}))


def _fail(client: Client, **credentials) -> AuthApiError:
    with pytest.raises(AuthApiError) as err:
        client.auth.sign_in_with_password({**credentials, "password": "wrong-password"})
    return err.value


def test_wrong_passwords_from_one_address_do_not_stop_the_owner_elsewhere(stack: StackInfo, proxied: str,
                                                                          make_user) -> None:
    victim = make_user()
    attacker = at(proxied, stack, new_address())
    for _ in range(PAIR_FAILURES):
        assert _fail(attacker, email=victim.email).code == "invalid_credentials"
    err = _fail(attacker, email=victim.email)
    assert (err.status, err.code) == (429, "over_request_rate_limit")
    with pytest.raises(AuthApiError) as refused:  # from the attacker's address, even the right password
        attacker.auth.sign_in_with_password({"email": victim.email, "password": victim.password})
    assert refused.value.status == 429
    owner = at(proxied, stack, new_address())
    assert owner.auth.sign_in_with_password({"email": victim.email, "password": victim.password}).user.id == victim.id


def test_one_addresses_guesses_never_lock_other_addresses(stack: StackInfo, proxied: str, make_user) -> None:
    """The hole: enough guesses from one address locked every account it guessed at, for everybody."""
    people = [make_user() for _ in range(ADDRESS_ATTEMPTS // (PAIR_FAILURES + 1))]
    guesser = at(proxied, stack, new_address())
    for person in people:
        for _ in range(PAIR_FAILURES):
            assert _fail(guesser, email=person.email).code == "invalid_credentials"
        assert _fail(guesser, email=person.email).status == 429  # this account, from this address
    err = _fail(guesser, email=f"x{uuid.uuid4().hex[:8]}@test.cityloop.local")
    assert (err.status, err.code) == (429, "over_request_rate_limit") and "address" in err.message
    for person in people:
        client = at(proxied, stack, new_address())
        assert client.auth.sign_in_with_password({"email": person.email, "password": person.password}).user.id \
            == person.id


def test_email_and_phone_of_one_account_share_one_budget(stack: StackInfo, proxied: str, service) -> None:
    email, phone, password = f"b{uuid.uuid4().hex[:12]}@test.cityloop.local", f"+86137{uuid.uuid4().int % 10**8:08d}", \
        "pw-" + uuid.uuid4().hex
    user = service.auth.admin.create_user({"email": email, "phone": phone, "password": password,
                                           "email_confirm": True, "phone_confirm": True}).user
    guesser = at(proxied, stack, new_address())
    assert _fail(guesser, email=email).code == "invalid_credentials"
    assert _fail(guesser, phone=phone).code == "invalid_credentials"
    assert _fail(guesser, email=email.upper()).code == "invalid_credentials"
    err = _fail(guesser, phone=phone)
    assert (err.status, err.code) == (429, "over_request_rate_limit")
    assert at(proxied, stack, new_address()).auth.sign_in_with_password(
        {"phone": phone, "password": password}).user.id == user.id


def test_guesses_spread_over_addresses_only_slow_the_account_down(stack: StackInfo, proxied: str,
                                                                  make_user) -> None:
    victim = make_user()
    for _ in range(SLOWDOWN_AFTER // 2):  # 2 guesses each from 3 addresses: no address reaches its limit
        client = at(proxied, stack, new_address())
        for _ in range(2):
            assert _fail(client, email=victim.email).code == "invalid_credentials"
    started = time.monotonic()
    owner = at(proxied, stack, new_address())
    assert owner.auth.sign_in_with_password({"email": victim.email, "password": victim.password}).user.id == victim.id
    assert time.monotonic() - started >= SLOWDOWN_S


def test_forwarded_for_from_an_untrusted_peer_is_ignored(stack: StackInfo, make_user) -> None:
    """The session stack trusts no proxy: a written X-Forwarded-For does not make a new address."""
    victim = make_user()
    for i in range(account_failures()):
        assert _fail(at(stack.url, stack, f"192.0.2.{i + 1}"), email=victim.email).code == "invalid_credentials"
    with pytest.raises(AuthApiError) as err:
        at(stack.url, stack, "192.0.2.200").auth.sign_in_with_password(
            {"email": victim.email, "password": victim.password})
    assert (err.value.status, err.value.code) == (429, "over_request_rate_limit")
