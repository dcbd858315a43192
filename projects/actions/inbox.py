"""Telling members about listings and docking steps: their inbox (live) and, through
it, their digest. Docking steps reach both organizations after the step committed."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from forum import events
from forum.actions.notifications import NOTIFICATION_CREATED, _audience, _payload, inbox_stream
from forum.models import Notification
from projects.models import Docking, DockingStep

logger = logging.getLogger(__name__)

KIND = Notification.Kind.DOCKING


def tell(*, recipient_ids, actor_id: int | None, data: dict[str, Any]) -> list[Notification]:
    """Put one docking-platform item in each recipient's inbox and say so live.

    A constant number of queries whatever the number of recipients; call it inside
    a transaction (the live events go out when it commits).
    """
    ids = sorted({pk for pk in recipient_ids if pk != actor_id})
    if not ids:
        return []
    recipients = list(
        get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
    )
    now = timezone.now()
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=pk, kind=KIND, actor_id=actor_id, data=data, created_at=now
                )
                for pk in recipients
            ]
        )
        if created and created[0].pk is None:  # backends without RETURNING on bulk inserts
            created = list(
                Notification.objects.filter(kind=KIND, created_at=now, recipient__in=recipients)
            )
        unread = dict(
            Notification.objects.filter(recipient__in=recipients, read_at__isnull=True)
            .values_list("recipient")
            .annotate(n=Count("pk"))
        )
        actor = (
            get_user_model().objects.filter(pk=actor_id).values_list("display_name", flat=True)
        ).first()
        events.record_many(
            [
                (
                    inbox_stream(n.recipient_id),
                    NOTIFICATION_CREATED,
                    {
                        **_payload(n, actor, unread.get(n.recipient_id, 0)),
                        # Ids only, like the forum's frames: the page shows the text.
                        "docking": data.get("docking"),
                        "action": data.get("action") or data.get("event"),
                    },
                    _audience(n.recipient_id),
                )
                for n in created
            ]
        )
    return created


def party_ids(docking: Docking) -> list[int]:
    """The active members of both organizations of `docking`."""
    orgs = [docking.organization_id, docking.listing.organization_id]
    return list(
        get_user_model()
        .objects.filter(organization__in=orgs, is_active=True)
        .values_list("pk", flat=True)
    )


def step_data(step: DockingStep) -> dict[str, Any]:
    docking = step.docking
    return {
        "event": "step",
        "action": step.action,
        "state": step.state,
        "docking": docking.pk,
        "listing": docking.listing_id,
        "title": docking.listing.title,
        "organization": docking.organization.name,
        "url": docking.get_absolute_url(),
    }


def notify_step(step_id: int) -> int:
    """Make the inbox items of one committed step, once (the step is claimed in the same
    transaction). Return how many were made."""
    with transaction.atomic():
        claimed = DockingStep.objects.filter(pk=step_id, notify_pending=True).update(
            notify_pending=False
        )
        if not claimed:
            return 0
        step = DockingStep.objects.select_related(
            "docking", "docking__listing", "docking__organization"
        ).get(pk=step_id)
        recipients = party_ids(step.docking)
        return len(tell(recipient_ids=recipients, actor_id=step.actor_id, data=step_data(step)))


def notify_missed(*, older_than_seconds: int = 60) -> int:
    """Catch up on steps whose inbox items no task made (a crash, a lost task)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    handled = 0
    for step_id in list(
        DockingStep.objects.filter(Q(notify_pending=True), created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    ):
        try:
            notify_step(step_id)
        except Exception:
            logger.exception("Could not notify docking step %s", step_id)
            continue
        handled += 1
    return handled
