"""The SQL counts per-address limits by the same key as the gateway (migration 1420 mirrors
backend/local_supabase/client_address.py, limit_key): an IPv6 caller by its /64."""

from __future__ import annotations

import json

import pytest

from backend.local_supabase.client_address import limit_key

ADDRESSES = ["198.51.100.7", "2001:db8:1:2::a", "2001:db8:1:2:ffff:eeee:dddd:cccc", "2001:db8:1:3::a",
             "::ffff:198.51.100.7", "::1", "2001:DB8:0:0:1::1"]


def sql_key(db, forwarded_for: str | None) -> str | None:
    headers = json.dumps({} if forwarded_for is None else {"x-forwarded-for": forwarded_for})
    with db.transaction():
        db.execute("select set_config('request.headers', %s, true)", (headers,))
        return db.execute("select private.client_address()").fetchone()[0]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_sql_and_the_gateway_count_under_one_key(db, address) -> None:
    assert sql_key(db, address) == limit_key(address)


def test_outside_a_request_there_is_no_address_and_junk_counts_as_written(db) -> None:
    assert sql_key(db, None) is None
    assert sql_key(db, "not-an-address") == "not-an-address"
    assert sql_key(db, "2001:db8:1:2::a, 10.0.0.1") == "2001:db8:1:2::/64"  # the first entry is the client


def test_nobody_calls_it_over_the_api(stack, db) -> None:
    for role in ("anon", "authenticated"):
        assert not db.execute("select has_function_privilege(%s, 'private.client_address()', 'execute')",
                              (role,)).fetchone()[0]
