"""Who the client is behind a reverse proxy.

`X-Forwarded-*` headers are believed only when the request comes from an address in
`TRUSTED_PROXIES`; from anyone else they are dropped, so a client cannot choose its
own address (and with it, whose rate limit it spends) or claim HTTPS.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers a proxy writes about the client; Daphne passes through whatever the client sent.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen by a dual-stack listener arrives as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress | None, networks: Iterable[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, proxies: Iterable[str]) -> str:
    """Return the client's address for a request from `remote_addr`.

    From a trusted proxy, walk `forwarded_for` (X-Forwarded-For) from the right, past
    the trusted hops, to the first address that is not one: everything left of it was
    written by the client. From anyone else, the header is the client's say-so: ignore it.
    """
    networks = _networks(tuple(proxies))
    client = remote_addr
    if not _trusted(_parse(remote_addr), networks):
        return client
    for hop in reversed(forwarded_for.split(",")):
        address = _parse(hop)
        if address is None:  # not an address: stop at the last hop we could read
            break
        client = str(address)
        if not _trusted(address, networks):
            break
    return client


class TrustedProxyMiddleware:
    """Put the client's address in REMOTE_ADDR, for every later reader (allauth's
    rate limits included), and drop forwarded headers that no trusted proxy wrote.

    First in MIDDLEWARE: SecurityMiddleware reads X-Forwarded-Proto
    (SECURE_PROXY_SSL_HEADER) after it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        proxies = settings.TRUSTED_PROXIES
        peer = meta.get("REMOTE_ADDR", "")
        if proxies and _trusted(_parse(peer), _networks(tuple(proxies))):
            meta["REMOTE_ADDR"] = client_address(
                peer, meta.get("HTTP_X_FORWARDED_FOR", ""), proxies
            )
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
