"""Start every scheduled meeting whose time has come (announces it to open rooms).

Optional: pages and sockets already treat a due meeting as live and start it
when they see it. Run it every minute from cron to announce starts to rooms
nobody has opened since.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum.actions import meetings


class Command(BaseCommand):
    help = "Mark scheduled meetings whose start has passed as live."

    def handle(self, *args, **options) -> None:
        started = meetings.start_due_meetings()
        self.stdout.write(f"Started {started} meetings.")
