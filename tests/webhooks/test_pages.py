"""The chairs' pages: add, see masked, edit, send a test, resend; nobody else sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

NEW = {
    "name": "WeCom China office",
    "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-wxyz",
    "format": "wecom",
    "events": ["thread.created", "meeting.starting"],
}


def test_a_chair_adds_a_webhook_and_sees_its_secret_once(chair_client, legal):
    response = chair_client.post(
        reverse("webhook_new", args=[legal.slug]), NEW | {"format": "standard"}
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["meeting.starting", "thread.created"]
    assert b"whsec_" in response.content
    page = chair_client.get(reverse("webhook_detail", args=[legal.slug, endpoint.pk]))
    assert b"whsec_" not in page.content
    listing = chair_client.get(reverse("webhook_list", args=[legal.slug]))
    assert "https://qyapi.weixin.qq.com/…wxyz" in listing.content.decode()
    assert b"abcd-1234" not in listing.content


def test_a_refused_address_comes_back_with_what_was_typed(chair_client, legal):
    response = chair_client.post(
        reverse("webhook_new", args=[legal.slug]), NEW | {"url": "http://hooks.example.org/x"}
    )
    assert response.status_code == 400
    assert b"WeCom China office" in response.content
    assert b"https://" in response.content
    assert not Endpoint.objects.exists()


def test_only_staff_see_the_country_binding(chair_client, staff, legal):
    url = reverse("webhook_new", args=[legal.slug])
    assert b'name="country"' not in chair_client.get(url).content
    assert b'name="country"' in client_for(staff).get(url).content
    chair_client.post(url, NEW | {"country": "CN"})
    assert Endpoint.objects.get().country == ""  # the field is not the chair's


def test_members_and_moderators_get_the_missing_page(member, moderator, legal):
    url = reverse("webhook_list", args=[legal.slug])
    for person in (member, moderator):
        response = client_for(person).get(url)
        assert response.status_code == 404


def test_a_chair_without_mfa_is_sent_to_set_it_up(chair_without_mfa, legal):
    response = client_for(chair_without_mfa).get(reverse("webhook_list", args=[legal.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_send_test_and_resend_from_the_log(chair_client, legal, receiver, settings, send_now):
    chair_client.post(
        reverse("webhook_new", args=[legal.slug]), NEW | {"url": receiver.url, "format": "standard"}
    )
    endpoint = Endpoint.objects.get()
    send_now(lambda: chair_client.post(reverse("webhook_test", args=[legal.slug, endpoint.pk])))
    delivery = Delivery.objects.get()
    assert delivery.event_type == "webhook.test" and delivery.state == "delivered"
    log = chair_client.get(reverse("webhook_detail", args=[legal.slug, endpoint.pk]))
    assert delivery.message_id.encode() in log.content and b"HTTP 200" in log.content
    send_now(
        lambda: chair_client.post(
            reverse("webhook_resend", args=[legal.slug, endpoint.pk, delivery.pk])
        )
    )
    assert len(receiver.received) == 2


def test_disable_rotate_and_delete(chair_client, legal, chair):
    chair_client.post(reverse("webhook_new", args=[legal.slug]), NEW)
    endpoint = Endpoint.objects.get()
    args = [legal.slug, endpoint.pk]
    chair_client.post(reverse("webhook_toggle", args=args), {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled and chair.display_name in endpoint.disabled_reason
    old = endpoint.secret_encrypted
    chair_client.post(reverse("webhook_rotate", args=args))
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted != old and endpoint.previous_secret_encrypted == old
    chair_client.post(reverse("webhook_delete", args=args))
    assert not Endpoint.objects.exists()


def test_the_group_page_links_chairs_to_the_webhooks(chair_client, member_client, legal):
    link = reverse("webhook_list", args=[legal.slug]).encode()
    assert link in chair_client.get(reverse("group", args=[legal.slug])).content
    assert link not in member_client.get(reverse("group", args=[legal.slug])).content
