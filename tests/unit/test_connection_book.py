"""The gateway's count of open connections (backend/local_supabase/gateway/connections.py), without a server."""

from __future__ import annotations

from backend.local_supabase.gateway.connections import ConnectionBook


def test_per_address_and_total_caps() -> None:
    book = ConnectionBook(max_total=3, max_per_address=2)
    assert book.admit("10.0.0.1") is None and book.admit("10.0.0.1") is None
    assert book.admit("10.0.0.1")[0] == 429
    assert book.admit("10.0.0.2") is None
    assert book.admit("10.0.0.3")[0] == 503
    book.release("10.0.0.1")
    assert book.admit("10.0.0.3") is None
    assert book.total == 3 and dict(book.by_address) == {"10.0.0.1": 1, "10.0.0.2": 1, "10.0.0.3": 1}


def test_a_proxys_connections_count_only_towards_the_total() -> None:
    book = ConnectionBook(max_total=3, max_per_address=1)
    assert all(book.admit(None) is None for _ in range(3))
    assert book.admit(None)[0] == 503
    for _ in range(3):
        book.release(None)
    assert book.total == 0 and not book.by_address
