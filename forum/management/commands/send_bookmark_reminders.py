"""Put due bookmark reminders into the members' inboxes. Run it every 5 minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum.actions.reading import send_due_reminders


class Command(BaseCommand):
    help = "Put bookmarks whose reminder time has come into their members' inboxes (once)."

    def handle(self, *args, **options) -> None:
        sent = send_due_reminders()
        if options["verbosity"] > 1:
            self.stdout.write(f"{sent} reminder(s) sent")
