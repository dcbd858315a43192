"""Client addresses behind a reverse proxy: X-Forwarded-* believed from trusted proxies only."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

from forum.proxies import client_address
from tests.conftest import PASSWORD
from tests.servers import DaphneServer

PROXY = "10.0.0.7"
CLIENT_A, CLIENT_B = "198.51.100.10", "198.51.100.20"
TOO_MANY = "Too many failed login attempts"


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "proxies", "expected"),
    [
        ("203.0.113.5", "198.51.100.10", [], "203.0.113.5"),
        ("203.0.113.5", "198.51.100.10", ["10.0.0.0/8"], "203.0.113.5"),
        ("10.0.0.7", "198.51.100.10", ["10.0.0.0/8"], "198.51.100.10"),
        # The client wrote the leftmost entries; the proxy appended the real one.
        ("10.0.0.7", "1.2.3.4, 198.51.100.10", ["10.0.0.7"], "198.51.100.10"),
        # Two trusted hops (a load balancer, then nginx) are skipped.
        ("10.0.0.7", "1.2.3.4, 198.51.100.10, 10.0.0.2", ["10.0.0.0/8"], "198.51.100.10"),
        ("10.0.0.7", "", ["10.0.0.7"], "10.0.0.7"),
        ("10.0.0.7", "garbage", ["10.0.0.7"], "10.0.0.7"),
        ("10.0.0.7", "garbage, 10.0.0.2", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::5", ["::1"], "2001:db8::5"),
        ("::ffff:10.0.0.7", "::ffff:198.51.100.10", ["10.0.0.7"], "198.51.100.10"),
    ],
)
def test_client_address_walks_forwarded_for_from_the_right_past_trusted_hops(
    remote_addr, forwarded_for, proxies, expected
):
    assert client_address(remote_addr, forwarded_for, proxies) == expected


def fail_login(client: Client, n: int, **headers) -> None:
    for attempt in range(n):
        # A new address each time: only the per-address limit can trip.
        client.post(
            reverse("account_login"),
            {"login": f"nobody{attempt}@example.org", "password": "wrong-password"},
            **headers,
        )


def login(client: Client, member, **headers):
    return client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}, **headers
    )


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_change_the_address(
    member, settings
):
    settings.TRUSTED_PROXIES = []
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(10):
        fail_login(attacker, 1, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = login(attacker, member, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()


def test_from_a_trusted_proxy_each_forwarded_client_has_its_own_login_limit(member, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    via_proxy = Client(REMOTE_ADDR=PROXY)
    fail_login(via_proxy, 10, HTTP_X_FORWARDED_FOR=CLIENT_A)

    locked_out = login(via_proxy, member, HTTP_X_FORWARDED_FOR=CLIENT_A)
    assert TOO_MANY in locked_out.content.decode()
    other = login(Client(REMOTE_ADDR=PROXY), member, HTTP_X_FORWARDED_FOR=CLIENT_B)
    assert other.status_code == 302


def test_a_client_cannot_prepend_someone_elses_address_through_the_proxy(member, settings):
    """The proxy appends the real address: a forged leftmost entry changes nothing."""
    settings.TRUSTED_PROXIES = [PROXY]
    via_proxy = Client(REMOTE_ADDR=PROXY)
    for n in range(10):
        fail_login(via_proxy, 1, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {CLIENT_A}")
    response = login(via_proxy, member, HTTP_X_FORWARDED_FOR=f"{CLIENT_B}, {CLIENT_A}")
    assert TOO_MANY in response.content.decode()


@pytest.mark.parametrize(
    ("remote_addr", "redirected"), [(PROXY, False), ("203.0.113.5", True)], ids=["proxy", "other"]
)
def test_forwarded_proto_is_believed_from_a_trusted_proxy_only(
    anonymous_client, settings, remote_addr, redirected
):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = anonymous_client.get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_PROTO="https")
    assert (response.status_code == 301) is redirected


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login_over_http(server: DaphneServer, email: str, password: str, client: str) -> str:
    """Sign in through Daphne as if nginx forwarded `client`; return the outcome."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    url = server.url + reverse("account_login")
    headers = {"X-Forwarded-For": client}
    page = opener.open(urllib.request.Request(url, headers=headers), timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "login": email, "password": password}
    ).encode()
    try:
        body = opener.open(urllib.request.Request(url, data, headers), timeout=30).read()
    except urllib.error.HTTPError as error:
        return "signed in" if error.code == 302 else f"status {error.code}"
    return "too many" if TOO_MANY in body.decode() else "refused"


@pytest.mark.django_db(transaction=True)
def test_daphne_behind_a_trusted_proxy_limits_each_forwarded_client_on_its_own(member):
    server = DaphneServer(env={"TRUSTED_PROXIES": "127.0.0.1"}).start()
    try:
        outcomes = [
            login_over_http(server, f"nobody{n}@example.org", "wrong", CLIENT_A) for n in range(10)
        ]
        assert set(outcomes) == {"refused"}
        assert login_over_http(server, member.email, PASSWORD, CLIENT_A) == "too many"
        assert login_over_http(server, member.email, PASSWORD, CLIENT_B) == "signed in"
    finally:
        server.stop()
