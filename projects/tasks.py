"""Background work of the docking platform, run after the write committed (idempotent)."""

from __future__ import annotations

from django.tasks import task


@task
def notify_docking_step(step_id: int) -> int:
    """Put a committed docking step in both organizations' inboxes."""
    from projects.actions.inbox import notify_step

    return notify_step(step_id)
