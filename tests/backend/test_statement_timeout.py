"""Each API role's own statement_timeout holds in its requests (gateway/db.py's prelude).

`SET ROLE` does not apply `alter role ... set statement_timeout`; the prelude does,
from the settings the schema cache read (anon 3 s, authenticated 8 s in the shim;
service_role none: 0, not the login's 8 s). A cancelled statement answers
as PostgREST does: 500, SQLSTATE 57014.
"""

from __future__ import annotations

import random
import time

import httpx
import pytest

from tests.backend.rest_support import sign, user_claims

pytestmark = pytest.mark.timeout(240)



def slow_regex() -> str:
    """A pattern whose compilation takes about two to four seconds on this machine when quiet, more under load.
    PostgreSQL caches compiled patterns per connection, so each call makes a new one."""
    return "(.{0,%d}){1,%d}x" % (random.randint(25, 30), random.randint(230, 245))


def slow_filter() -> str:
    """Four such patterns in one `or`: compiled one after another, well past anon's 3 s on any machine."""
    return "(" + ",".join(f'body.match."{slow_regex()}"' for _ in range(4)) + ")"



def _headers(key: str, token: str | None = None) -> dict[str, str]:
    return {"apikey": key, "Authorization": f"Bearer {token or key}", "Accept-Profile": "tests",
            "Content-Profile": "tests"}


def _sleep(stack, seconds: float, key: str, token: str | None = None) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.post(f"{stack.url}/rest/v1/rpc/sleep_for", json={"seconds": seconds}, headers=_headers(key, token),
                   timeout=60)
    return r, time.monotonic() - started


def _assert_cancelled(r: httpx.Response) -> None:
    assert r.status_code == 500, r.text
    body = r.json()
    assert body["code"] == "57014" and body["message"] == "canceling statement due to statement timeout"


def test_a_slow_regex_filter_as_anon_is_cancelled_at_three_seconds(stack) -> None:
    started = time.monotonic()
    r = httpx.get(f"{stack.url}/rest/v1/long_texts", params={"select": "id", "or": slow_filter()},
                  headers=_headers(stack.anon_key), timeout=60)
    took = time.monotonic() - started
    _assert_cancelled(r)
    assert 2.5 < took < 5


def test_anon_is_cancelled_at_three_seconds_and_authenticated_runs_past_them(stack) -> None:
    r, took = _sleep(stack, 4, stack.anon_key)
    _assert_cancelled(r)
    assert 2.5 < took < 3.9
    token = sign(stack, user_claims("00000000-0000-4000-8000-00000000a001"))
    r, took = _sleep(stack, 4, stack.anon_key, token)
    assert r.status_code == 200 and r.json() == 4


def test_authenticated_is_cancelled_at_eight_seconds(stack) -> None:
    token = sign(stack, user_claims("00000000-0000-4000-8000-00000000a002"))
    r, took = _sleep(stack, 10, stack.anon_key, token)
    _assert_cancelled(r)
    assert 7.5 < took < 9.5


def test_the_service_role_runs_without_a_timeout(stack, db) -> None:
    assert db.execute("select s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole"
                      " where r.rolname = 'service_role'").fetchone()[0] == ["statement_timeout=0"]
    r, took = _sleep(stack, 9, stack.service_key)  # past the login's 8 s
    assert r.status_code == 200 and r.json() == 9


def test_storage_checks_run_under_the_callers_timeout(stack, service, db) -> None:
    bucket = "slow-policy"
    service.storage.create_bucket(bucket, options={"public": False})
    service.storage.from_(bucket).upload("a.txt", b"a", {"content-type": "text/plain"})
    db.execute(f"""create policy "Anon waits on the slow bucket" on storage.objects for select to anon
                   using (bucket_id = '{bucket}' and tests.sleep_for(4) > 0)""")
    try:
        started = time.monotonic()
        r = httpx.post(f"{stack.url}/storage/v1/object/list/{bucket}", json={"prefix": ""},
                       headers={"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}"}, timeout=60)
        took = time.monotonic() - started
        assert r.json()["statusCode"] == "544" and r.json()["code"] == "DatabaseTimeout", r.text
        assert took < 3.9
    finally:
        db.execute('drop policy "Anon waits on the slow bucket" on storage.objects')
        service.storage.empty_bucket(bucket)
        service.storage.delete_bucket(bucket)


def test_a_changed_role_setting_holds_after_a_schema_reload(stack, db) -> None:
    db.execute("alter role anon set statement_timeout = '1s'")
    try:
        db.execute("notify pgrst, 'reload schema'")
        deadline = time.monotonic() + 10
        while True:
            r, took = _sleep(stack, 1.5, stack.anon_key)
            if r.status_code == 500 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        _assert_cancelled(r)
        assert took < 1.4
    finally:
        db.execute("alter role anon set statement_timeout = '3s'")
        db.execute("notify pgrst, 'reload schema'")
    deadline = time.monotonic() + 10
    while _sleep(stack, 1.5, stack.anon_key)[0].status_code != 200:
        assert time.monotonic() < deadline, "the 3 s setting did not come back"
        time.sleep(0.2)
