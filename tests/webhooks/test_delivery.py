"""What leaves the forum, when, signed how: through a real loopback receiver."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from forum.actions import meetings as meeting_actions
from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import Review
from tests.webhooks.receiver import Reply
from webhooks import crypto
from webhooks.actions import deliveries, endpoints
from webhooks.models import Attempt, Delivery, DeliveryState, Endpoint, Format

pytestmark = pytest.mark.django_db


def verified(secret: str, request) -> dict:
    return Webhook(secret).verify(request.body, request.headers)


def test_a_new_thread_arrives_signed_and_verifies_with_standardwebhooks(
    receiver, add_endpoint, member, send_now
):
    _endpoint, secret = add_endpoint(receiver.url)
    thread = send_now(
        lambda: thread_actions.create_thread(
            author=member, group=member.memberships.get().group, title="Mining code", body="Hi"
        )
    )
    assert len(receiver.received) == 1
    request = receiver.received[0]
    message = verified(secret, request)
    assert message["type"] == "thread.created"
    assert message["data"]["thread"]["id"] == thread.pk
    assert message["data"]["thread"]["title"] == "Mining code"
    assert message["data"]["thread"]["url"].startswith("https://forum.example.org/t/")
    assert message["data"]["author"] == {"name": member.display_name, "country": "CN"}
    assert message["data"]["seq"] >= 1
    assert "excerpt" not in message["data"]
    assert request.headers["webhook-id"].startswith("msg_")
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.message_id == request.headers["webhook-id"]
    with pytest.raises(WebhookVerificationError):
        Webhook(crypto.new_secret()).verify(request.body, request.headers)


def test_a_reply_sends_post_published_with_an_excerpt_only_when_opted_in(
    make_receiver, add_endpoint, member, thread, send_now
):
    plain, with_text = make_receiver(), make_receiver()
    _e1, plain_secret = add_endpoint(plain.url, events=["post.published"])
    _e2, text_secret = add_endpoint(with_text.url, events=["post.published"], include_excerpt=True)
    send_now(
        lambda: thread_actions.reply(
            author=member, parent=thread.posts.get(), body="The **new** code applies from May."
        )
    )
    bare = verified(plain_secret, plain.received[0])
    full = verified(text_secret, with_text.received[0])
    assert bare["type"] == full["type"] == "post.published"
    assert "excerpt" not in bare["data"]
    assert full["data"]["excerpt"] == "The new code applies from May."
    assert full["data"]["post"]["number"] == 2


def test_a_rolled_back_action_sends_nothing(receiver, add_endpoint, member, legal, send_now):
    add_endpoint(receiver.url)

    def fails_after_posting():
        with transaction.atomic():
            thread_actions.create_thread(author=member, group=legal, title="Gone", body="x")
            raise RuntimeError("the rest of the request failed")

    with pytest.raises(RuntimeError):
        send_now(fails_after_posting)
    assert Delivery.objects.count() == 0
    assert receiver.received == []


def test_pending_content_leaves_only_once_approved(
    receiver, add_endpoint, cross_border_review, member, moderator, send_now
):
    add_endpoint(receiver.url)
    thread = send_now(
        lambda: thread_actions.create_thread(
            author=member, group=cross_border_review, title="Waits", body="Cross-border"
        )
    )
    assert thread.posts.get().status == "pending"
    assert receiver.received == [] and Delivery.objects.count() == 0
    review = Review.objects.get(post__thread=thread)
    send_now(lambda: moderation.approve(moderator=moderator, review=review))
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["thread.created"]


def test_domestic_threads_reach_only_the_endpoint_bound_to_their_country(
    make_receiver, add_endpoint, staff, member, other_country_member, legal, send_now
):
    whole, china = make_receiver(), make_receiver()
    add_endpoint(whole.url)
    add_endpoint(china.url, actor=staff, country="CN")

    def start(author, **audience):
        return send_now(
            lambda: thread_actions.create_thread(
                author=author, group=legal, title="Topic", body="b", **audience
            )
        )

    start(member, audience="domestic")  # China only
    start(other_country_member, audience="domestic")  # Zambia only
    start(member, audience="countries", countries=["ZM"])  # a selection of countries
    assert whole.received == []
    assert len(china.received) == 1
    start(member)  # the whole group
    assert len(whole.received) == 1 and len(china.received) == 2


def test_only_staff_bind_an_endpoint_to_a_country(add_endpoint):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        add_endpoint("https://hooks.example.org/x", country="CN")


def test_a_post_removed_before_its_retry_is_not_sent_again(
    make_receiver, add_endpoint, member, chair, thread, send_now
):
    hook = make_receiver(lambda request: Reply(500))
    add_endpoint(hook.url, events=["post.published"])
    post = send_now(
        lambda: thread_actions.reply(author=member, parent=thread.posts.get(), body="Oops")
    )
    assert len(hook.received) == 1
    thread_actions.remove_post(moderator=chair, post=post, reason="Off topic.")
    delivery = Delivery.objects.get()
    assert deliveries.attempt(delivery.message_id, delivery.next_attempt_at) is not None
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.WITHDRAWN
    assert len(hook.received) == 1


def test_the_retry_schedule_on_a_fixed_clock_then_the_chairs_are_told(
    make_receiver, add_endpoint, member, legal, chair, send_now, monkeypatch
):
    hook = make_receiver(lambda request: Reply(500, b"down"))
    add_endpoint(hook.url)
    monkeypatch.setattr(deliveries.random, "uniform", lambda low, high: high)  # +10% jitter
    with transaction.atomic():
        thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    delivery = Delivery.objects.get()
    clock = timezone.now()
    waits = []
    for _attempt in range(10):
        assert send_now(lambda at=clock: deliveries.attempt(delivery.message_id, at)) is not None
        delivery.refresh_from_db()
        if delivery.state != DeliveryState.PENDING:
            break
        waits.append((delivery.next_attempt_at - clock).total_seconds())
        clock = delivery.next_attempt_at
    expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert waits == pytest.approx([seconds * 1.1 for seconds in expected])
    assert delivery.state == DeliveryState.FAILED
    assert len(hook.received) == 10
    assert Attempt.objects.filter(delivery=delivery, outcome="failure").count() == 10
    assert [m.to for m in mail.outbox] == [[chair.email]]
    assert delivery.message_id in mail.outbox[0].body
    # Not due before its time: an early task does nothing.
    assert deliveries.attempt(delivery.message_id, clock) is None


def test_every_retry_keeps_the_message_id_and_body(
    make_receiver, add_endpoint, member, legal, send_now
):
    answers = iter([Reply(500), Reply(204)])
    hook = make_receiver(lambda request: next(answers))
    _endpoint, secret = add_endpoint(hook.url)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    delivery = Delivery.objects.get()
    deliveries.attempt(delivery.message_id, delivery.next_attempt_at + timedelta(seconds=1))
    first, second = hook.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    verified(secret, second)


def test_retry_after_is_honoured(make_receiver, add_endpoint, member, legal, send_now):
    hook = make_receiver(lambda request: Reply(429, headers={"Retry-After": "120"}))
    add_endpoint(hook.url)
    with transaction.atomic():
        thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    delivery = Delivery.objects.get()
    clock = timezone.now()
    deliveries.attempt(delivery.message_id, clock)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == clock + timedelta(seconds=120)
    assert delivery.failures == 1


def test_410_gone_disables_the_endpoint(
    make_receiver, add_endpoint, member, legal, chair, send_now
):
    hook = make_receiver(lambda request: Reply(410))
    endpoint, _secret = add_endpoint(hook.url)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert [m.to for m in mail.outbox] == [[chair.email]]
    send_now(
        lambda: thread_actions.create_thread(
            author=member, group=legal, title="Another topic", body="b"
        )
    )
    assert len(hook.received) == 1 and Delivery.objects.count() == 1


def test_wecom_45009_is_throttled_and_sent_later_without_counting_a_failure(
    make_receiver, add_endpoint, member, legal, send_now
):
    answers = iter(
        [
            Reply(200, b'{"errcode":45009,"errmsg":"api freq out of limit"}'),
            Reply(200, b'{"errcode":0,"errmsg":"ok"}'),
        ]
    )
    hook = make_receiver(lambda request: next(answers))
    add_endpoint(hook.url, format_=Format.WECOM)
    with transaction.atomic():
        thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    delivery = Delivery.objects.get()
    clock = timezone.now()
    deliveries.attempt(delivery.message_id, clock)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.failures == 0
    assert delivery.next_attempt_at == clock + timedelta(seconds=60)
    deliveries.attempt(delivery.message_id, delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert json.loads(hook.received[1].body)["msgtype"] == "markdown"


def test_wecom_takes_twenty_a_minute_and_queues_the_rest(
    make_receiver, add_endpoint, member, legal, posting_unlimited
):
    hook = make_receiver(lambda request: Reply(200, b'{"errcode":0}'))
    add_endpoint(hook.url, format_=Format.WECOM)
    with transaction.atomic():
        for n in range(21):
            thread_actions.create_thread(author=member, group=legal, title=f"Topic {n}", body="b")
    clock = timezone.now()
    assert deliveries.run_due(clock) == 21
    assert len(hook.received) == 20
    waiting = Delivery.objects.get(state=DeliveryState.PENDING)
    assert waiting.next_attempt_at == clock + timedelta(minutes=1)
    assert waiting.failures == 0
    assert deliveries.run_due(clock + timedelta(minutes=1)) == 1
    assert len(hook.received) == 21
    assert not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()


def test_rotation_signs_with_both_secrets_for_24_hours(
    make_receiver, add_endpoint, member, legal, chair, send_now
):
    hook = make_receiver()
    endpoint, old = add_endpoint(hook.url)
    new = endpoints.rotate_secret(actor=chair, endpoint=endpoint)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    request = hook.received[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verified(old, request)
    verified(new, request)
    # A day later only the new secret signs.
    endpoint.refresh_from_db()
    later = endpoint.previous_secret_until + timedelta(seconds=1)
    test = endpoints.send_test(actor=chair, endpoint=endpoint)
    deliveries.attempt(test.message_id, later)
    signed = hook.received[1].headers["webhook-signature"]
    assert len(signed.split(" ")) == 1
    body = hook.received[1].body.decode()
    header_ts = int(hook.received[1].headers["webhook-timestamp"])
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(header_ts, tz=UTC)
    assert Webhook(new).sign(test.message_id, when, body) == signed
    assert Webhook(old).sign(test.message_id, when, body) != signed


def test_urls_and_secrets_are_stored_encrypted_and_shown_masked(add_endpoint):
    endpoint, secret = add_endpoint("https://hooks.example.org/services/T000/B000/abcdefgh")
    stored = Endpoint.objects.values().get(pk=endpoint.pk)
    assert "abcdefgh" not in str(stored) and secret not in str(stored)
    assert endpoint.url_masked == "https://hooks.example.org/…efgh"
    assert crypto.decrypt(endpoint.url_encrypted).endswith("/abcdefgh")


def test_a_separate_key_setting_encrypts(settings, add_endpoint):
    settings.WEBHOOKS_KEY = "another-key-for-webhooks"
    endpoint, _secret = add_endpoint("https://hooks.example.org/a/b")
    settings.WEBHOOKS_KEY = "a-different-key"
    settings.SECRET_KEY = "and-another-secret-key"
    from cryptography.fernet import InvalidToken

    with pytest.raises(InvalidToken):
        crypto.decrypt(endpoint.url_encrypted)


def test_a_meeting_is_announced_15_minutes_before_once(receiver, add_endpoint, schedule, send_now):
    add_endpoint(receiver.url, events=["meeting.starting"])
    far = schedule(starts_in=timedelta(hours=2))
    soon = send_now(lambda: schedule(starts_in=timedelta(minutes=10), title="Soon"))
    assert [json.loads(r.body)["data"]["meeting"]["id"] for r in receiver.received] == [soon.pk]
    # The scheduled job finds it announced already; the far one is not due.
    assert deliveries.meetings_starting() == 0
    assert deliveries.meetings_starting(far.starts_at - timedelta(minutes=14)) == 1


def test_published_minutes_are_announced(receiver, add_endpoint, meeting, chair, send_now):
    add_endpoint(receiver.url, events=["meeting.minutes"])
    meeting_actions.write_minutes(member=chair, meeting=meeting, minutes="We agreed.")
    thread = send_now(lambda: meeting_actions.publish_minutes(member=chair, meeting=meeting))
    (request,) = receiver.received
    message = json.loads(request.body)
    assert message["type"] == "meeting.minutes"
    assert message["data"]["thread"]["id"] == thread.pk
    assert message["data"]["meeting"]["id"] == meeting.pk


def test_resend_sends_the_same_message_again(
    receiver, add_endpoint, member, legal, chair, send_now
):
    add_endpoint(receiver.url)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    delivery = Delivery.objects.get()
    send_now(lambda: endpoints.resend(actor=chair, delivery=delivery))
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert first.body == again.body


def test_the_log_keeps_30_days(receiver, add_endpoint, member, legal, send_now):
    add_endpoint(receiver.url)
    send_now(
        lambda: thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    )
    assert deliveries.prune(timezone.now() + timedelta(days=29)) == 0
    assert deliveries.prune(timezone.now() + timedelta(days=31)) == 2
    assert not Delivery.objects.exists() and not Attempt.objects.exists()


def test_queueing_costs_the_same_whatever_the_number_of_endpoints(
    add_endpoint, member, legal, django_assert_num_queries
):
    for n in range(3):
        add_endpoint(f"https://hooks{n}.example.org/x")
    thread = thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    post = thread.posts.select_related("author", "thread__group").get()
    from forum.models import Event

    event = Event.objects.filter(post_id=post.pk).get()
    Delivery.objects.all().delete()
    with django_assert_num_queries(3):  # the endpoints, those already sent, one insert
        made = deliveries.post_published(post=post, thread=post.thread, event=event)
    assert len(made) == 3
