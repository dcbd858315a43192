"""Background work of the country risk database, run after the write committed."""

from __future__ import annotations

from django.tasks import task

from countries.actions import follows


@task
def notify_followers(assessment_id: int) -> int:
    """Tell a country's followers of its newly published assessment (idempotent)."""
    return len(follows.notify_followers(assessment_id))
