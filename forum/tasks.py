"""Background work, run through Django's Tasks framework after the write committed.

Each task is idempotent: a retried or doubled run changes nothing the first did.
"""

from __future__ import annotations

from django.tasks import task

from forum.actions import notifications


@task
def derive_notifications(event_id: int) -> int:
    """Create the notifications (and their inbox events) of one committed post event."""
    return len(notifications.derive_from_event(event_id))
