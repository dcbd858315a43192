"""Remove orphan uploads and unreferenced stored files. Run it daily."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from attachments.actions import cleanup


class Command(BaseCommand):
    help = (
        "Delete uploads never attached (after ATTACHMENT_ORPHAN_HOURS), files of removed "
        "posts past ATTACHMENT_REMOVED_RETENTION_DAYS, and stored files nothing uses."
    )

    def handle(self, *args, **options) -> None:
        counts = cleanup.prune()
        self.stdout.write(
            f"Deleted {counts['orphans']} orphan uploads, {counts['expired']} files past "
            f"retention and {counts['blobs']} stored files."
        )
