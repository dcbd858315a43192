"""The scheduled job: meeting reminders, lost tasks, a dead worker's claim, the 30 days."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from forum.actions import meetings as meeting_actions
from forum.actions import threads as thread_actions
from webhooks.actions import deliveries
from webhooks.models import Attempt, Delivery, DeliveryState

pytestmark = pytest.mark.django_db


def test_the_job_announces_meetings_and_sends_what_no_task_sent(
    receiver, add_endpoint, schedule, member, legal
):
    add_endpoint(receiver.url, events=["meeting.starting", "thread.created"])
    with transaction.atomic():  # nothing runs on commit here: as if the tasks were lost
        schedule(starts_in=timedelta(minutes=12))
        thread_actions.create_thread(author=member, group=legal, title="Lost task", body="b")
    out = StringIO()
    call_command("send_webhooks", stdout=out)
    assert "1 meeting announcements queued" in out.getvalue()
    assert sorted(Delivery.objects.values_list("event_type", "state")) == [
        ("meeting.starting", "delivered"),
        ("thread.created", "delivered"),
    ]
    assert len(receiver.received) == 2
    call_command("send_webhooks", stdout=StringIO())
    assert len(receiver.received) == 2  # never twice


def test_a_dead_workers_claim_is_taken_back(receiver, add_endpoint, member, legal):
    add_endpoint(receiver.url)
    with transaction.atomic():
        thread_actions.create_thread(author=member, group=legal, title="Topic", body="b")
    delivery = Delivery.objects.get()
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_until=now - timedelta(seconds=1)
    )
    Attempt.objects.create(delivery=delivery, endpoint=delivery.endpoint, started_at=now)
    assert deliveries.run_due(now) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert sorted(Attempt.objects.values_list("outcome", flat=True)) == ["failure", "success"]


def test_a_moved_meeting_is_not_announced_for_its_old_time(receiver, add_endpoint, schedule, chair):
    add_endpoint(receiver.url, events=["meeting.starting"])
    meeting = schedule(starts_in=timedelta(minutes=10))
    with transaction.atomic():
        assert len(deliveries.meeting_starting(meeting)) == 1
    delivery = Delivery.objects.get()
    later = meeting.starts_at + timedelta(hours=3)
    meeting_actions.edit_meeting(
        member=chair, meeting=meeting, starts_at=later, ends_at=later + timedelta(hours=1)
    )
    deliveries.attempt(delivery.message_id)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.WITHDRAWN
    assert receiver.received == []


def test_a_limited_meeting_is_not_announced(receiver, add_endpoint, schedule):
    add_endpoint(receiver.url, events=["meeting.starting"])
    meeting = schedule(starts_in=timedelta(minutes=10), audience="domestic")
    assert deliveries.meeting_starting(meeting) == []
