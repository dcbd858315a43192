"""Sending one request to an endpoint, and nothing the internal network would answer.

Every send resolves the host, refuses private, loopback, link-local and other
non-public addresses (WEBHOOKS_ALLOW_LOOPBACK lets tests and benchmarks use
127.0.0.1), then connects to the very address it checked, so a DNS answer that
changes between the check and the connection cannot point the request inward.
HTTPS only (plain HTTP only to an allowed loopback receiver); redirects are not followed.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import certifi
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 15.0
ANSWER_KEPT_BYTES = 64 * 1024


class Refused(Exception):
    """The URL may not be sent to (scheme, address); the message says why."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    duration_ms: int


def _allow_loopback() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False))


def address_allowed(address: str) -> bool:
    """Return whether a request may go to `address`: a public one (or loopback when allowed)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return _allow_loopback()
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def check_url(url: str) -> None:
    """Refuse, when an endpoint is saved, what can never be sent to (addresses are checked
    again, after DNS, at every send)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused(_("Enter an https:// address."))
    if parts.username or parts.password:
        raise Refused(_("The address may not carry a user name or password."))
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise Refused(_("The address has an invalid port.")) from None
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(str(literal)):
        raise Refused(_("The address points to a private or internal network."))
    if parts.scheme == "http" and not (_allow_loopback() and _is_loopback_name(parts.hostname)):
        raise Refused(_("Enter an https:// address."))


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(host: str, port: int) -> str:
    """Return the address to connect to for `host`, or refuse when any of its addresses
    is not allowed (an attacker's name may mix a public and a private one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Refused(_("The host name does not resolve: %(error)s") % {"error": error}) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(_("The host name does not resolve."))
    for address in addresses:
        if not address_allowed(address):
            raise Refused(
                _("The host name resolves to a private or internal address (%(address)s).")
                % {"address": address}
            )
    return addresses[0]


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~60 ms."""
    return ssl.create_default_context(cafile=certifi.where())


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` after the checks above; raise Refused or httpx.HTTPError."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(parts.hostname, port)
    if parts.scheme == "http" and not ipaddress.ip_address(address).is_loopback:
        raise Refused(_("Enter an https:// address."))
    host_for_url = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(
        (parts.scheme, f"{host_for_url}:{port}", parts.path or "/", parts.query, "")
    )
    request_headers = {**headers, "Host": parts.netloc}
    started = time.monotonic()
    with (
        httpx.Client(
            timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, verify=_tls()
        ) as client,
        client.stream(
            "POST",
            pinned,
            content=body,
            headers=request_headers,
            # TLS names and checks the certificate of the host, not of the address.
            extensions={"sni_hostname": parts.hostname},
        ) as response,
    ):
        kept = bytearray()
        for chunk in response.iter_bytes():
            kept += chunk
            if len(kept) >= ANSWER_KEPT_BYTES:
                break
    return Answer(
        status=response.status_code,
        headers=response.headers,
        body=bytes(kept[:ANSWER_KEPT_BYTES]),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
