"""Fair shares of the REST pool: an anonymous crowd of slow queries, or one greedy client, cannot
make a signed-in resident wait (gateway/db_share.py)."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest

from tests.backend.gateway_support import extra_gateway

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def shared_gateway(stack):
    """A gateway with the shares a city runs (8 per address) that believes addresses from 127.0.0.1."""
    with extra_gateway(stack, CITYLOOP_TRUSTED_PROXIES="127.0.0.1", CITYLOOP_DB_REQUESTS_PER_ADDRESS="8",
                       CITYLOOP_POOL_SIZE="10", CITYLOOP_ANON_DB_WAIT="20") as url:
        yield url


def _sleep(url: str, key: str, seconds: float, address: str, token: str | None = None) -> httpx.Response:
    return httpx.post(f"{url}/rest/v1/rpc/sleep_for", json={"seconds": seconds}, timeout=60,
                      headers={"apikey": key, "Authorization": f"Bearer {token or key}", "Content-Profile": "tests",
                               "X-Forwarded-For": address})


def test_sixteen_anonymous_slow_clients_leave_room_for_a_signed_in_resident(stack, make_user, shared_gateway) -> None:
    resident = make_user()
    with concurrent.futures.ThreadPoolExecutor(16) as crowd:
        slow = [crowd.submit(_sleep, shared_gateway, stack.anon_key, 2.5, f"198.51.100.{n}") for n in range(16)]
        time.sleep(0.7)  # the crowd holds its connections now
        started = time.monotonic()
        r = _sleep(shared_gateway, stack.anon_key, 0, "203.0.113.5", resident.access_token)
        took = time.monotonic() - started
        answers = [f.result() for f in slow]
    assert r.status_code == 200, r.text
    # Without the share the crowd holds all 10 connections for 2.5 s; with it, 3 at most.
    assert took < 1.5, took
    assert all(a.status_code == 200 for a in answers)  # anonymous callers wait their turn, none is lost


def test_one_address_gets_at_most_its_share_at_once(stack, shared_gateway) -> None:
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: _sleep(shared_gateway, stack.service_key, 1.5, "198.51.100.200"), range(12)))
    refused = [a for a in answers if a.status_code == 429]
    assert 1 <= len(refused) <= 4 and sum(a.status_code == 200 for a in answers) >= 8
    assert refused[0].json()["code"] == "PGRST429" and "at most 8" in refused[0].json()["message"]
    # Another address is served meanwhile.
    assert _sleep(shared_gateway, stack.service_key, 0, "198.51.100.201").status_code == 200
