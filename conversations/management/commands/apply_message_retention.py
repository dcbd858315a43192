"""Delete direct messages older than DM_RETENTION_DAYS (unset: keep them forever)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conversations.actions import safety


class Command(BaseCommand):
    help = "Delete direct messages older than the DM_RETENTION_DAYS setting (default: forever)."

    def handle(self, *args, **options) -> None:
        deleted = safety.apply_retention()
        self.stdout.write(f"Deleted {deleted} direct messages past retention.")
