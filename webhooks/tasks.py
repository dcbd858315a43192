"""Webhook work in the background, through Django's Tasks framework.

Each task is idempotent: a delivery is claimed with one conditional UPDATE before
it is sent, so a doubled task sends nothing twice.
"""

from __future__ import annotations

from django.tasks import task

from forum.models import Meeting
from webhooks.actions import deliveries


@task
def deliver(message_id: str) -> str:
    """Send one due delivery once; return its state afterwards ("skipped" if not due)."""
    delivery = deliveries.attempt(message_id)
    return delivery.state if delivery is not None else "skipped"


@task
def announce_meeting(meeting_id: int) -> int:
    """Queue `meeting.starting` for a meeting about to start; return the deliveries made."""
    meeting = Meeting.objects.select_related("group").filter(pk=meeting_id).first()
    return len(deliveries.meeting_starting(meeting)) if meeting is not None else 0
