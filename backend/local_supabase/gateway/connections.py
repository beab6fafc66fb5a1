"""Connection limits: uvicorn's httptools protocol with a header deadline and connection caps.

uvicorn bounds only the idle time between two requests (`timeout_keep_alive`);
a client that sends half a request line and then waits holds a socket forever,
and enough of them use up the process's file descriptors. This protocol adds,
per connection:

- a header deadline: the request line and headers must arrive within
  `header_timeout_s` of the connection opening, or of the first byte of the
  next request on a kept-alive one (idle time between requests is uvicorn's
  `timeout_keep_alive`, `keep_alive_s`); a request begun but not finished is
  answered 408, a connection that sent nothing is just closed;
- a header size cap (`max_header_bytes`, 431), httptools having none;
- caps on open connections, in total (`max_connections`, 503) and per client
  address (`max_connections_per_address`, 429), so one address's slow clients
  cannot starve another's. The address is `GatewayState.limit_key` of the
  bare connection: the peer itself. A trusted proxy's connections carry many
  clients, so only the total cap counts them.

A refused connection is answered in the error shape of the path its first bytes
name (answers.py) and closed; it never reaches the app. The limits come from the
app's GatewayState (so from Settings), found through uvicorn's loaded app.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .answers import raw_response

# A refused connection waits this long for its request line (to answer in its service's shape).
REFUSAL_WAIT_S = 1.0
# Refused connections still open beyond this are closed without waiting for a request line.
MAX_REFUSED_OPEN = 256


@dataclass
class ConnectionBook:
    """Open connections of one gateway process, by client address."""

    max_total: int
    max_per_address: int
    total: int = 0
    by_address: Counter = field(default_factory=Counter)
    refused_open: int = 0

    def admit(self, address: str | None) -> tuple[int, str] | None:
        """Count a new connection in, or say why not: (status, message)."""
        if self.total >= self.max_total:
            return 503, "The server has too many open connections; try again shortly."
        if address is not None and self.by_address[address] >= self.max_per_address:
            return 429, f"Too many open connections from this address (at most {self.max_per_address})."
        self.total += 1
        if address is not None:
            self.by_address[address] += 1
        return None

    def release(self, address: str | None) -> None:
        self.total -= 1
        if address is not None:
            self.by_address[address] -= 1
            if self.by_address[address] <= 0:
                del self.by_address[address]


def _request_path(data: bytes) -> str:
    """The path of a request line (`GET /rest/v1/x?y HTTP/1.1`), or "" if it is not there yet."""
    line = data.split(b"\r\n", 1)[0].split(b" ")
    if len(line) < 2:
        return ""
    return line[1].split(b"?", 1)[0].decode("latin-1")


class _HeadersTooLarge(Exception):
    pass


class GatewayProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol (httptools), with the limits above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = getattr(getattr(self.app, "state", None), "gateway", None)
        self._gateway = state
        self._book: ConnectionBook | None = getattr(state, "connections", None)
        self._address: str | None = None
        self._counted = False
        self._refusal: tuple[int, str] | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._awaiting_headers = False
        self._header_bytes = 0
        self._received = 0
        self._oversized = False
        self._head = b""

    # ------------------------------------------------------------ connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self._book is None:
            return
        settings = self._gateway.settings
        peer = self.client[0] if self.client else None
        if peer is not None and not self._gateway.is_trusted_proxy(peer):
            self._address = self._gateway.limit_key({"client": self.client, "headers": []})
        self._refusal = self._book.admit(self._address)
        if self._refusal is None:
            self._counted = True
            self._await_headers(settings.header_timeout_s)
            return
        self._book.refused_open += 1
        if self._book.refused_open > MAX_REFUSED_OPEN:
            transport.abort()
            return
        self._header_timer = self.loop.call_later(REFUSAL_WAIT_S, self._answer_refusal)

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()
        super().connection_lost(exc)

    def _forget(self) -> None:
        self._cancel_header_timer()
        if self._book is None:
            return
        if self._counted:
            self._counted = False
            self._book.release(self._address)
        elif self._refusal is not None:
            self._refusal = None
            self._book.refused_open -= 1

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        # The socket now belongs to the WebSocket protocol: count it until that one loses it.
        self._cancel_header_timer()
        ws = self.transport.get_protocol()
        lost = ws.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            self._forget()
            lost(exc)

        ws.connection_lost = connection_lost  # type: ignore[method-assign]

    # ------------------------------------------------------------ bytes in

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            self._head += data[:4096]
            if b"\r\n" in self._head or len(self._head) >= 4096:
                self._answer_refusal()
            return
        if self._awaiting_headers and self._book is not None:
            if self._header_timer is None:  # the first bytes after a response start the next deadline
                self._header_timer = self.loop.call_later(self._gateway.settings.header_timeout_s,
                                                          self._header_deadline)
            self._received += len(data)
            if len(self._head) < 4096:
                self._head += data[:4096]
        super().data_received(data)
        # Still waiting for the end of the headers: every byte so far is header (httptools buffers a
        # partial header line without calling back).
        if (self._awaiting_headers and self._book is not None and not self.transport.is_closing()
                and self._received > self._gateway.settings.max_header_bytes):
            self._oversized = True
            self._close_with(431, "The request's headers are too large.")

    # The parser hands over the request line and headers piece by piece: counted as they come.
    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._book is not None and self._header_bytes > self._gateway.settings.max_header_bytes:
            self._oversized = True
            raise _HeadersTooLarge  # the parser stops; uvicorn then calls send_400_response

    def send_400_response(self, msg: str) -> None:
        if self._oversized:
            self._close_with(431, "The request's headers are too large.")
        else:
            super().send_400_response(msg)

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)  # the next request's headers are in already
        super().on_response_complete()
        if self._book is not None and not pipelined and not self.transport.is_closing():
            # Idle until the next request begins (uvicorn's keep-alive timeout); its first byte starts the deadline.
            self._cancel_header_timer()
            self._awaiting_headers = True
            self._header_bytes = 0
            self._received = 0
            self._head = b""

    # ------------------------------------------------------------ deadlines and answers

    def _await_headers(self, timeout: float) -> None:
        self._cancel_header_timer()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._received = 0
        self._head = b""
        self._header_timer = self.loop.call_later(timeout, self._header_deadline)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline(self) -> None:
        self._header_timer = None
        if not self._awaiting_headers or self.transport.is_closing():
            return
        if self._received:
            self._close_with(408, "The request's headers did not arrive in time.")
        else:
            self.transport.close()  # an idle connection: nothing to answer

    def _answer_refusal(self) -> None:
        if self._refusal is None or self.transport.is_closing():
            return
        status, message = self._refusal
        self._cancel_header_timer()
        self.transport.write(raw_response(_request_path(self._head), status, message))
        self.transport.close()

    def _close_with(self, status: int, message: str) -> None:
        self._cancel_header_timer()
        self._awaiting_headers = False
        if not self.transport.is_closing():
            self.transport.write(raw_response(_request_path(self._head), status, message))
            self.transport.close()
