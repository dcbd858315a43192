"""Announce meetings about to start, send webhook deliveries whose task was lost, and
forget the delivery log after 30 days. Run every minute."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.tasks import default_task_backend

from webhooks.actions import deliveries


class Command(BaseCommand):
    help = (
        "Queue meeting.starting for meetings starting within 15 minutes, send webhook "
        "deliveries that are overdue (a lost task, a worker that died), and prune the "
        "delivery log after 30 days."
    )

    def handle(self, *args, **options) -> None:
        announced = deliveries.meetings_starting()
        # With a worker that runs deferred tasks, only what is clearly overdue is taken here.
        grace = timedelta(minutes=2) if default_task_backend.supports_defer else timedelta(0)
        sent = deliveries.run_due(grace=grace)
        pruned = deliveries.prune()
        self.stdout.write(
            f"Webhooks: {announced} meeting announcements queued, {sent} overdue deliveries "
            f"attempted, {pruned} old log rows pruned."
        )
