"""Refresh-token reuse interval ([auth] refresh_token_reuse_interval in supabase/config.toml).

Two tabs refreshing one session at once present the same refresh token; inside the
interval the second gets the session's current tokens instead of revoking it.
Outside the interval a spent token coming back still ends the whole session.
"""

from __future__ import annotations

import threading
import time

import jwt
import pytest
from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError

from backend.local_supabase.config import Settings
from backend.local_supabase.project_config import load_auth_config
from tests.backend.gateway_support import extra_gateway
from tests.conftest import StackInfo


def test_the_interval_is_read_from_config_toml_and_can_be_overridden() -> None:
    assert load_auth_config(environ={}).refresh_token_reuse_interval_s == 10
    assert Settings.from_environ({"CITYLOOP_HOME": "/tmp/x"}).auth.refresh_token_reuse_interval_s == 10
    overridden = Settings.from_environ({"CITYLOOP_HOME": "/tmp/x", "CITYLOOP_REFRESH_TOKEN_REUSE_INTERVAL": "2"})
    assert overridden.auth.refresh_token_reuse_interval_s == 2


def _refresh_together(url: str, anon_key: str, token: str, n: int = 2) -> list:
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        client = create_client(url, anon_key, options=ClientOptions(auto_refresh_token=False, persist_session=False))
        barrier.wait()
        try:
            results[i] = client.auth.refresh_session(token).session
        except AuthApiError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_concurrent_refreshes_of_one_token_both_get_the_same_tokens(stack: StackInfo, make_user, db) -> None:
    person = make_user()
    first = person.client.auth.get_session()
    a, b = _refresh_together(stack.url, stack.anon_key, first.refresh_token)
    assert not isinstance(a, Exception) and not isinstance(b, Exception), (a, b)
    assert a.refresh_token == b.refresh_token != first.refresh_token
    claims = [jwt.decode(s.access_token, options={"verify_signature": False}) for s in (a, b)]
    assert claims[0]["session_id"] == claims[1]["session_id"] and claims[0]["sub"] == claims[1]["sub"] == person.id
    for session in (a, b):  # both tabs stay signed in
        assert stack.client().auth.get_user(session.access_token).user.id == person.id
    live = db.execute("select count(*) from auth.refresh_tokens where session_id = %s and not revoked",
                      (claims[0]["session_id"],)).fetchone()[0]
    assert live == 1
    # ... and the session goes on rotating.
    assert stack.client().auth.refresh_session(a.refresh_token).session.refresh_token != a.refresh_token


def test_a_token_two_rotations_old_is_reuse_even_inside_the_interval(stack: StackInfo, make_user, db) -> None:
    person = make_user()
    first = person.client.auth.get_session().refresh_token
    second = stack.client().auth.refresh_session(first).session
    stack.client().auth.refresh_session(second.refresh_token)
    with pytest.raises(AuthApiError) as err:
        stack.client().auth.refresh_session(first)
    assert (err.value.status, err.value.code) == (400, "refresh_token_already_used")
    session_id = jwt.decode(second.access_token, options={"verify_signature": False})["session_id"]
    assert db.execute("select count(*) from auth.sessions where id = %s", (session_id,)).fetchone()[0] == 0


def test_reuse_after_the_interval_revokes_the_session(stack: StackInfo, make_user, db) -> None:
    with extra_gateway(stack, CITYLOOP_REFRESH_TOKEN_REUSE_INTERVAL="1") as url:
        client = lambda: create_client(url, stack.anon_key,  # noqa: E731
                                       options=ClientOptions(auto_refresh_token=False, persist_session=False))
        person = make_user()
        first = person.client.auth.get_session().refresh_token
        second = client().auth.refresh_session(first).session
        time.sleep(1.5)
        with pytest.raises(AuthApiError) as err:
            client().auth.refresh_session(first)
        assert (err.value.status, err.value.code) == (400, "refresh_token_already_used")
        session_id = jwt.decode(second.access_token, options={"verify_signature": False})["session_id"]
        assert db.execute("select count(*) from auth.sessions where id = %s", (session_id,)).fetchone()[0] == 0
        with pytest.raises(AuthApiError):
            client().auth.refresh_session(second.refresh_token)
