"""Which address a request comes from: X-Forwarded-For believed only from trusted proxies."""

import pytest

from backend.local_supabase.client_address import from_scope, limit_key, parse_proxies, resolve

APPS = parse_proxies("127.0.0.1, 10.1.0.0/16")


def test_untrusted_peer_header_ignored():
    assert resolve("203.0.113.9", "1.2.3.4", APPS) == "203.0.113.9"


def test_trusted_peer_forwards_browser_address():
    assert resolve("127.0.0.1", "198.51.100.7", APPS) == "198.51.100.7"


def test_chain_read_right_to_left_stops_at_first_untrusted_hop():
    # The caller forged "6.6.6.6"; the app server (10.1.2.3) appended the real browser address.
    assert resolve("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", APPS) == "198.51.100.7"


def test_garbled_hop_stops_at_last_believable_address():
    assert resolve("127.0.0.1", "not-an-ip", APPS) == "127.0.0.1"
    assert resolve("127.0.0.1", "[2001:db8::1]:443", APPS) == "2001:db8::1"


def test_no_proxies_configured_means_socket_peer():
    assert resolve("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"


def test_scope_reads_repeated_headers():
    scope = {"client": ("127.0.0.1", 5000),
             "headers": [(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"198.51.100.7")]}
    assert from_scope(scope, APPS) == "198.51.100.7"


def test_bad_setting_names_the_entry():
    with pytest.raises(ValueError, match="nonsense"):
        parse_proxies("127.0.0.1, nonsense")


@pytest.mark.parametrize(("address", "key"), [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2::a", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:eeee:dddd:cccc", "2001:db8:1:2::/64"),  # any address of the /64: the same key
    ("2001:db8:1:3::a", "2001:db8:1:3::/64"),  # the next /64: another
    ("::ffff:198.51.100.7", "198.51.100.7"),  # an IPv4 client seen through an IPv6 socket
    ("::1", "::/64"),
    ("unknown", "unknown"),
])
def test_limits_count_an_ipv6_client_by_its_64(address, key):
    assert limit_key(address) == key
