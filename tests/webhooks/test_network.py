"""A webhook cannot probe the internal network: checks at save time and after DNS."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from forum.actions import threads as thread_actions
from tests.webhooks.receiver import Reply
from webhooks import network
from webhooks.models import Attempt, Delivery, DeliveryState

pytestmark = pytest.mark.django_db


def resolving_to(*addresses):
    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return fake


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/x",  # not HTTPS
        "https://10.0.0.1/x",
        "https://192.168.1.20/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://127.0.0.1/x",
        "https://user:secret@hooks.example.org/x",
        "ftp://hooks.example.org/x",
        "https://hooks.example.org:99999/x",
    ],
)
def test_an_unsendable_url_is_refused_when_saved(add_endpoint, settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError):
        add_endpoint(url)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("100.64.0.1", False),  # shared address space
        ("169.254.10.10", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("127.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - refused, not bound
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_allowed(settings, address, allowed):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    assert network.address_allowed(address) is allowed


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(
    add_endpoint, member, legal, send_now, monkeypatch
):
    add_endpoint("https://intranet.example.org/hook")
    monkeypatch.setattr(network.socket, "getaddrinfo", resolving_to("93.184.215.14", "10.1.2.3"))
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    attempt = Attempt.objects.get()
    assert attempt.outcome == Attempt.Outcome.REFUSED
    assert "10.1.2.3" in attempt.detail
    assert attempt.status_code is None
    assert Delivery.objects.get().state == DeliveryState.PENDING  # retried: DNS may change


def test_a_name_resolving_to_loopback_is_refused_after_dns(
    receiver, add_endpoint, member, legal, send_now, settings
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    add_endpoint(f"https://localhost:{receiver.port}/hook")  # a name, not an address: saved
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    assert receiver.received == []
    attempt = Attempt.objects.get()
    assert attempt.outcome == Attempt.Outcome.REFUSED and "127.0.0.1" in attempt.detail


def test_redirects_are_not_followed(make_receiver, add_endpoint, member, legal, send_now):
    inner = make_receiver()
    outer = make_receiver(lambda request: Reply(302, headers={"Location": inner.url}))
    add_endpoint(outer.url)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    assert len(outer.received) == 1 and inner.received == []
    attempt = Attempt.objects.get()
    assert attempt.outcome == Attempt.Outcome.FAILURE and attempt.status_code == 302
    assert "Redirect refused" in attempt.detail
    assert Delivery.objects.get().failures == 1


def test_the_request_goes_to_the_checked_address_with_the_original_host(
    receiver, add_endpoint, member, legal, send_now, monkeypatch
):
    """The connection uses the resolved address: a second DNS answer cannot redirect it."""
    add_endpoint(f"http://localhost:{receiver.port}/hook")
    calls = []
    real = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        calls.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(network.socket, "getaddrinfo", counting)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    # Only the name is looked up; the connection is to the literal address it gave.
    assert [host for host in calls if host != "127.0.0.1"] == ["localhost"]
    assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"
