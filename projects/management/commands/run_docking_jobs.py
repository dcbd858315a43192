"""The docking platform's scheduled jobs: run hourly from cron or a systemd timer.

Listing expiry reminders and expiry, docking reminders and "no response" closes, and a
catch-up of docking steps whose inbox items no task made. Safe to run twice or to
overlap with itself: every change is a conditional update.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from projects.actions import dockings, inbox, listings


class Command(BaseCommand):
    help = "Remind and expire listings; remind and close unanswered dockings."

    def handle(self, *args, **options) -> None:
        done = {
            "listings reminded": listings.remind_expiring(),
            "listings expired": listings.expire_listings(),
            "dockings reminded": dockings.remind_unanswered(),
            "dockings closed (no response)": dockings.close_unanswered(),
            "steps notified late": inbox.notify_missed(),
        }
        if options["verbosity"]:
            self.stdout.write(", ".join(f"{name}: {n}" for name, n in done.items()))
