"""Property-based: random headers, bodies and query strings at every route never get a 5xx.

Every service behind the gateway (/rest, /auth, /storage, /health, /realtime's HTTP
path, /functions and the payment sandbox) is sent hypothesis's inventions,
including the inputs that once made 500s: huge numbers in Range, long select
lists, lone surrogates and deep nesting in JSON, bad UTF-8. Calls carry the anon
key, a garbled key or none, so nothing an attacker could not send is tried; the
`tests` schema is unchanged afterwards.
"""

from __future__ import annotations

import os

import httpx
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.backend.rest_support import checksum

pytestmark = pytest.mark.timeout(600)

# A fixed sequence of examples; set CITYLOOP_FUZZ_EXAMPLES for a longer, random hunt.
_HUNT = os.environ.get("CITYLOOP_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_HUNT or 200), deadline=None, derandomize=not _HUNT, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

PATHS = [
    "/health", "/rest/v1/", "/rest/v1/books", "/rest/v1/kv", "/rest/v1/notes", "/rest/v1/rpc/sleep_for",
    "/rest/v1/rpc/caller_address", "/rest/v1/nope", "/auth/v1/signup", "/auth/v1/token?grant_type=password",
    "/auth/v1/token?grant_type=refresh_token", "/auth/v1/user", "/auth/v1/logout", "/auth/v1/settings",
    "/auth/v1/admin/users", "/auth/v1/admin/users/00000000-0000-0000-0000-000000000000", "/auth/v1/verify",
    "/auth/v1/otp", "/storage/v1/bucket", "/storage/v1/bucket/fuzz-none", "/storage/v1/object/list/fuzz-none",
    "/storage/v1/object/fuzz-none/a.txt", "/storage/v1/object/sign/fuzz-none/a.txt",
    "/storage/v1/object/upload/sign/fuzz-none/a.txt", "/storage/v1/object/public/fuzz-none/a.txt",
    "/storage/v1/object/move", "/storage/v1/object/copy", "/realtime/v1/websocket", "/realtime/v1/api/broadcast",
    "/functions/v1/payments-checkout", "/functions/v1/payments-notify/sandbox", "/sandbox-pay/checkout/x",
    "/sandbox-pay/api/bills",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
HUGE = "9" * 5000
NASTY_TEXT = st.one_of(
    st.sampled_from(["", "*", "id", "null", HUGE, f"0-{HUGE}", ",".join(["id"] * 1500), "eq.1", "(" * 200,
                     "and(" * 50, "\\ud800", "%ud800", "%FF%FE", "😀", "a" * 3000, "1e999", "-1", "0-", "-0"]),
    st.text(max_size=40),
)
QUERY_KEYS = st.sampled_from(["select", "order", "limit", "offset", "id", "or", "and", "columns", "on_conflict",
                              "apikey", "grant_type", "token", "seconds", "prefix", "x"])
QUERY = st.lists(st.tuples(QUERY_KEYS, NASTY_TEXT), max_size=4)
HEADER_VALUE = st.one_of(
    st.sampled_from([HUGE, f"0-{HUGE}", f"items={HUGE}-", "bytes=0-1", "0--1", "application/json",
                     "application/vnd.pgrst.object+json", "text/csv", "multipart/form-data; boundary=x",
                     "count=exact", "return=representation", "max-affected=" + HUGE, "Bearer x.y.z", "Bearer ",
                     "tests", "public", "nope", "6.6.6.6", "unknown, 1.2.3.4", "chunked"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip),
)
HEADER_NAMES = st.sampled_from(["range", "range-unit", "accept", "content-type", "prefer", "accept-profile",
                                "content-profile", "authorization", "x-forwarded-for", "x-upsert", "x-metadata",
                                "cache-control", "x-client-info"])
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUE, max_size=4)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
BODY = st.one_of(
    st.just(b""),
    JSONISH.map(lambda v: httpx.Request("POST", "http://x", json=v).content),
    st.sampled_from([b'{"x": "\\ud800"}', b'["\\udfff"]', b"[" * 20_000 + b"]" * 20_000, b'{"a":' * 5000,
                     b"\xff\xfe\x00", b'{"seconds": ' + HUGE.encode() + b"}", b"null", b"[]", b"{}", b'"x"',
                     b'{"email": "\\ud800@x.example", "password": "pw-12345678"}',
                     b'{"prefix": "\\ud800", "limit": ' + HUGE.encode() + b"}"]),
    st.binary(max_size=200),
)
KEYS = st.sampled_from(["anon", "none", "garbled"])


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module", autouse=True)
def data_unchanged(db):
    before = checksum(db)
    yield
    assert checksum(db) == before


@FUZZ
# The inputs that once made 500s (Range, a 5000-column select, a lone surrogate, deep JSON), always tried.
@example(method="GET", path="/rest/v1/books", query=[], headers={"range": f"0-{HUGE}"}, body=b"", key="anon")
@example(method="GET", path="/rest/v1/books", query=[("select", ",".join(["id"] * 5000))], headers={}, body=b"",
         key="anon")
@example(method="POST", path="/rest/v1/kv", query=[], headers={"content-profile": "tests"},
         body=b'{"key": "\\ud800"}', key="anon")
@example(method="POST", path="/auth/v1/signup", query=[], headers={}, body=b"[" * 20_000 + b"]" * 20_000, key="anon")
@given(method=st.sampled_from(METHODS), path=st.sampled_from(PATHS), query=QUERY, headers=HEADERS, body=BODY,
       key=KEYS)
def test_no_route_answers_5xx_to_anything(stack, http, method, path, query, headers, body, key) -> None:
    sent = dict(headers)
    if key == "anon":
        sent.setdefault("apikey", stack.anon_key)
        sent.setdefault("authorization", f"Bearer {stack.anon_key}")
    elif key == "garbled":
        sent["apikey"] = stack.anon_key[:-3] + "abc"
    if sent.get("content-type", "").startswith("multipart") or sent.get("transfer-encoding"):
        sent.pop("transfer-encoding", None)
    try:
        r = http.request(method, path, params=query, headers=sent, content=body if method not in ("GET", "HEAD") else None)
    except httpx.LocalProtocolError:
        assume(False)  # a request the client itself refuses to send (e.g. a header ending in a space)
        return
    except httpx.RemoteProtocolError:
        pytest.fail(f"the gateway dropped the connection: {method} {path} {query} {sent} {body[:80]!r}")
    assert r.status_code < 500, (method, path, query, sent, body[:80], r.text[:300])
