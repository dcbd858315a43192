"""Delete logged events older than EVENT_RETENTION_DAYS (default 30). Run it daily."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from forum import events


class Command(BaseCommand):
    help = "Delete events older than the retention period; clients older than that resync."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: the EVENT_RETENTION_DAYS setting).",
        )

    def handle(self, *args, days: int | None, **options) -> None:
        days = days if days is not None else settings.EVENT_RETENTION_DAYS
        if days < 1:
            self.stderr.write("--days must be at least 1")
            return
        deleted = events.prune(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {deleted} events older than {days} days.")
