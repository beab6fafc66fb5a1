"""Who is calling: the client's address, trusting `X-Forwarded-For` only from known proxies.

Hosted Supabase's API gateway sets `X-Forwarded-For`; here the gateway is that
edge, so a header a caller wrote is believed only when the socket peer is one of
`CITYLOOP_TRUSTED_PROXIES` (the app servers: in Flet web every resident's request
leaves from the app's server, which forwards the browser's own address). The
address is read right to left, as a proxy chain appends: the first hop that is
not itself a trusted proxy is the client. Every per-address limit (sign-in,
sign-up, codes, account linking, connection caps) keys on this one answer, through
`limit_key`: an IPv6 client counts by its /64, since a phone or a home is given a whole
/64 and picks a new address in it at will (privacy addresses), so a per-/128 limit is no
limit. What is forwarded to PostgreSQL (`x-forwarded-for`) stays the exact address, as
hosted Supabase's gateway sends it; the SQL counts by the same key (migration 1420).
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, Mapping, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(text: str | Iterable[str]) -> tuple[Network, ...]:
    """`"127.0.0.1, 10.0.0.0/8"` -> networks; a bad entry raises ValueError naming it."""
    items = text.split(",") if isinstance(text, str) else list(text)
    nets: list[Network] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"CITYLOOP_TRUSTED_PROXIES: {item!r} is not an address or network") from None
    return tuple(nets)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:1234"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:5678"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


IPV6_CLIENT_PREFIX = 64  # the network one subscriber is given (RFC 6177); its addresses are theirs to pick


def limit_key(address: str) -> str:
    """What a per-address limit counts under: an IPv4 address itself, an IPv6 address's /64
    (an IPv4-mapped one: its IPv4 address); anything unparsable as it is."""
    ip = _ip(address)
    if ip is None:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def _trusted(ip, proxies: Sequence[Network]) -> bool:
    return ip is not None and any(ip in net for net in proxies)


def is_trusted(peer: str, proxies: Sequence[Network]) -> bool:
    """Whether a socket peer is one of the trusted proxies."""
    return _trusted(_ip(peer), proxies)


def resolve(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client's address for a request from `peer` carrying `forwarded_for`."""
    peer_ip = _ip(peer) if peer else None
    if peer_ip is None:
        return peer or "unknown"
    if not forwarded_for or not _trusted(peer_ip, proxies):
        return str(peer_ip)
    hops = [h for h in forwarded_for.split(",") if h.strip()]
    client = peer_ip
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:  # a garbled hop: stop at the last address we could believe
            break
        client = ip
        if not _trusted(ip, proxies):
            break
    return str(client)


def from_scope(scope: Mapping, proxies: Sequence[Network]) -> str:
    """`resolve` for an ASGI scope (HTTP or WebSocket)."""
    peer = scope.get("client")
    forwarded = None
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            text = value.decode("latin-1")
            forwarded = text if forwarded is None else f"{forwarded},{text}"
    return resolve(peer[0] if peer else None, forwarded, proxies)
