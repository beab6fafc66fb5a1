"""Gateway limits through raw sockets (gateway/limits.py, gateway/connections.py, gateway/json_body.py).

Body caps run against the session's gateway (defaults: 1 MB outside Storage). The
connection limits run against a second gateway process with small limits, so a
test can reach them with a few sockets: connections from distinct loopback source
addresses (127.0.0.2, 127.0.0.3, ...) are distinct client addresses.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.backend.realtime_support import Gateway
from tests.conftest import StackInfo, free_port

pytestmark = pytest.mark.timeout(240)

HEADER_TIMEOUT_S = 2
KEEP_ALIVE_S = 1
MAX_CONNECTIONS = 30
MAX_PER_ADDRESS = 10
PROXY = "127.0.0.9"


# ------------------------------------------------------------------ raw HTTP helpers

def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def connect(url: str, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", _port(url)))
    return sock


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response (status, headers, body), read until its Content-Length or EOF."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection (EOF) within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def request_head(method: str, path: str, stack: StackInfo, extra: str = "") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\napikey: {stack.service_key}\r\n"
            f"Authorization: Bearer {stack.service_key}\r\nContent-Type: application/json\r\n{extra}\r\n").encode()


def send_chunked(sock: socket.socket, total: int, piece: int = 64 * 1024) -> None:
    """Send `total` bytes as chunks, stopping as soon as the server has answered."""
    sent = 0
    while sent < total:
        if select.select([sock], [], [], 0)[0]:
            return  # the answer is there: stop sending
        try:
            sock.sendall(b"%x\r\n" % piece + b"a" * piece + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return
        sent += piece
    sock.sendall(b"0\r\n\r\n")


# ------------------------------------------------------------------ bodies (the session's gateway)

def test_a_rest_body_over_the_cap_is_refused_by_its_content_length_before_it_is_sent(stack) -> None:
    with connect(stack.url) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", "/rest/v1/rpc/sleep_for", stack,
                                  "Content-Profile: tests\r\nContent-Length: 104857600\r\n"))
        status, headers, body = read_response(sock)
        assert time.monotonic() - started < 3
    assert status == 413
    error = json.loads(body)
    assert set(error) == {"code", "message", "details", "hint"} and error["code"] == "PGRST413"
    assert "1048576 bytes" in error["message"]


def test_a_streamed_rest_body_is_cut_off_at_the_cap(stack) -> None:
    with connect(stack.url) as sock:
        sock.sendall(request_head("POST", "/rest/v1/rpc/sleep_for", stack,
                                  "Content-Profile: tests\r\nTransfer-Encoding: chunked\r\n"))
        send_chunked(sock, 8 * 1024 * 1024)
        status, _, body = read_response(sock)
    assert status == 413 and json.loads(body)["code"] == "PGRST413"


def test_an_auth_body_over_the_cap_is_refused_in_gotrues_shape(stack) -> None:
    with connect(stack.url) as sock:
        sock.sendall(request_head("POST", "/auth/v1/signup", stack, "Transfer-Encoding: chunked\r\n"))
        send_chunked(sock, 4 * 1024 * 1024)
        status, headers, body = read_response(sock)
    error = json.loads(body)
    assert status == 413 and error["code"] == error["error_code"] == "request_too_large" and error["msg"]


def test_a_storage_body_over_the_global_limit_is_refused_in_storages_shape(stack) -> None:
    from tests.conftest import STORAGE_MAX_BYTES

    with connect(stack.url) as sock:
        sock.sendall(request_head("POST", "/storage/v1/object/any-bucket/a.bin", stack,
                                  f"Content-Length: {STORAGE_MAX_BYTES * 4}\r\n"))
        status, _, body = read_response(sock)
    error = json.loads(body)
    assert status == 413 and error["statusCode"] == "413" and error["error"] == "Payload too large"


def test_a_body_under_the_cap_still_works(stack) -> None:
    r = httpx.post(f"{stack.url}/rest/v1/rpc/sleep_for", json={"seconds": 0, "pad": "x" * 500_000},
                   headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}",
                            "Content-Profile": "tests"})
    # An unknown argument, but the body was read and parsed: PostgREST's "no such function" answer.
    assert r.status_code == 404 and r.json()["code"] == "PGRST202"


@pytest.mark.parametrize(("path", "code_key", "code"), [
    ("/rest/v1/rpc/sleep_for", "code", "PGRST102"),
    ("/auth/v1/signup", "code", "bad_json"),
])
def test_deeply_nested_json_is_refused_before_it_is_parsed(stack, path, code_key, code) -> None:
    body = b'{"seconds": 0, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = httpx.post(f"{stack.url}{path}", content=body,
                   headers={"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}",
                            "Content-Profile": "tests", "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()[code_key] == code
    assert "nested" in json.dumps(r.json())


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_gateway_memory_stays_bounded_under_five_20_mb_bodies(stack) -> None:
    pid = int((stack.home / "gateway.pid").read_text())
    before = _rss_kb(pid)
    errors: list[BaseException] = []

    def one(chunked: bool) -> None:
        try:
            with connect(stack.url) as sock:
                if chunked:
                    sock.sendall(request_head("POST", "/auth/v1/signup", stack, "Transfer-Encoding: chunked\r\n"))
                    send_chunked(sock, 20 * 1024 * 1024)
                else:
                    sock.sendall(request_head("POST", "/auth/v1/signup", stack, f"Content-Length: {20 * 1024 * 1024}\r\n"))
                assert read_response(sock)[0] == 413
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n % 2 == 0,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert _rss_kb(pid) - before < 50 * 1024  # kB: far below the 100 MB the bodies add up to
    assert httpx.get(f"{stack.url}/health", timeout=5).status_code == 200


# ------------------------------------------------------------------ connections (a gateway with small limits)

@pytest.fixture(scope="module")
def small(stack) -> Iterator[Gateway]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "CITYLOOP_HEADER_TIMEOUT": HEADER_TIMEOUT_S, "CITYLOOP_KEEP_ALIVE_TIMEOUT": KEEP_ALIVE_S,
            "CITYLOOP_MAX_CONNECTIONS": MAX_CONNECTIONS, "CITYLOOP_MAX_CONNECTIONS_PER_ADDRESS": MAX_PER_ADDRESS,
            "CITYLOOP_TRUSTED_PROXIES": PROXY, "CITYLOOP_ESCALATION_INTERVAL": 0, "CITYLOOP_PAYMENTS_INTERVAL": 0,
            "CITYLOOP_CARE_SCAN_INTERVAL": 0, "CITYLOOP_CARE_ESCALATION_INTERVAL": 0,
        }.items():
            mp.setenv(name, str(value))
        gateway = Gateway(stack, free_port())
        gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


@contextmanager
def idle_connections(url: str, source: str, count: int) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        socks = [stack.enter_context(connect(url, source)) for _ in range(count)]
        time.sleep(0.2)  # the server has counted them
        yield socks


def get_from(source: str, url: str, **kwargs) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=5) as client:
        return client.get(url, **kwargs)


def post_from(source: str, url: str, **kwargs) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=5) as client:
        return client.post(url, **kwargs)


def wait_until_released(url: str, source: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if get_from(source, f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("connections were not released")


def test_a_half_sent_header_is_answered_408_at_the_header_deadline(stack, small) -> None:
    with connect(small.url) as sock:
        sock.sendall(b"GET /rest/v1/books HTTP/1.1\r\nHost: localhost\r\napikey: ")
        started = time.monotonic()
        status, _, body = read_response(sock, timeout=HEADER_TIMEOUT_S + 5)
        took = time.monotonic() - started
        assert closed_within(sock, 2)
    assert status == 408 and json.loads(body)["code"] == "PGRST408"
    assert HEADER_TIMEOUT_S - 0.5 < took < HEADER_TIMEOUT_S + 2


def test_a_connection_that_sends_nothing_is_closed_at_the_header_deadline(small) -> None:
    with connect(small.url) as sock:
        assert not closed_within(sock, HEADER_TIMEOUT_S - 0.5)
        assert closed_within(sock, 3)


def test_an_idle_keep_alive_connection_is_closed(small) -> None:
    with connect(small.url) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(sock)[0] == 200
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")  # kept alive: a second request
        assert read_response(sock)[0] == 200
        started = time.monotonic()
        assert closed_within(sock, KEEP_ALIVE_S + 3)
        assert time.monotonic() - started >= KEEP_ALIVE_S - 0.5


def test_one_address_at_its_cap_does_not_stop_another(stack, small) -> None:
    with idle_connections(small.url, "127.0.0.2", MAX_PER_ADDRESS):
        with connect(small.url, "127.0.0.2") as extra:
            extra.sendall(request_head("GET", "/rest/v1/books", stack))
            status, headers, body = read_response(extra)
        assert status == 429 and json.loads(body)["code"] == "PGRST429" and headers["retry-after"]
        with connect(small.url, "127.0.0.2") as extra:
            extra.sendall(request_head("POST", "/storage/v1/object/list/x", stack))
            status, _, body = read_response(extra)
        assert status == 429 and json.loads(body)["statusCode"] == "429"
        # Another address is served as usual, in the same moment.
        r = get_from("127.0.0.3", f"{small.url}/health")
        assert r.status_code == 200
    wait_until_released(small.url, "127.0.0.2")


def test_the_total_cap_answers_503_quickly(stack, small) -> None:
    groups = ["127.0.0.4", "127.0.0.5", "127.0.0.6"]
    with ExitStack() as held:
        for source in groups:
            held.enter_context(idle_connections(small.url, source, MAX_PER_ADDRESS))
        with connect(small.url, "127.0.0.7") as extra:
            started = time.monotonic()
            extra.sendall(request_head("POST", "/auth/v1/token?grant_type=password", stack))
            status, _, body = read_response(extra)
            assert time.monotonic() - started < 2  # answered at once, not at a deadline
        assert status == 503 and json.loads(body)["code"] == "service_unavailable"
    wait_until_released(small.url, "127.0.0.7")


def test_a_trusted_proxys_connections_count_only_towards_the_total(small) -> None:
    with idle_connections(small.url, PROXY, MAX_PER_ADDRESS):
        r = get_from(PROXY, f"{small.url}/health")
        assert r.status_code == 200


def test_sql_reads_the_resolved_client_address_never_a_forged_one(stack, small) -> None:
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}", "Content-Profile": "tests",
               "X-Forwarded-For": "203.0.113.66"}
    # From a peer that is no trusted proxy, the forged header is replaced by the peer's address.
    r = post_from("127.0.0.3", f"{small.url}/rest/v1/rpc/caller_address", json={}, headers=headers)
    assert r.status_code == 200 and r.json() == "127.0.0.3"
    # From the trusted proxy, the address it forwards is the caller's.
    r = post_from(PROXY, f"{small.url}/rest/v1/rpc/caller_address", json={}, headers=headers)
    assert r.status_code == 200 and r.json() == "203.0.113.66"


@pytest.mark.parametrize("ending", [b"\r\n\r\n", b""], ids=["whole", "unfinished"])
def test_an_oversized_header_is_refused_431(stack, ending) -> None:
    with connect(stack.url) as sock:
        sock.sendall(b"GET /rest/v1/books HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * (100 * 1024) + ending)
        status, _, body = read_response(sock)
    assert status == 431 and json.loads(body)["code"] == "PGRST431"


def test_a_proxied_client_at_its_cap_does_not_stop_the_proxys_other_clients(stack, small) -> None:
    def call(client: str, seconds: float) -> httpx.Response:
        return post_from(PROXY, f"{small.url}/rest/v1/rpc/sleep_for", json={"seconds": seconds},
                         headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}",
                                  "Content-Profile": "tests", "X-Forwarded-For": client})

    busy = [threading.Thread(target=call, args=("203.0.113.10", 5)) for _ in range(MAX_PER_ADDRESS)]
    for t in busy:
        t.start()
    try:
        time.sleep(2)  # all of them are running
        started = time.monotonic()
        r = call("203.0.113.10", 0)
        # At once: not after the busy calls' five seconds.
        assert r.status_code == 429 and r.json()["code"] == "PGRST429" and time.monotonic() - started < 3
        r = call("203.0.113.11", 0)
        assert r.status_code == 200
    finally:
        for t in busy:
            t.join(30)
    assert call("203.0.113.10", 0).status_code == 200  # released once they finished
