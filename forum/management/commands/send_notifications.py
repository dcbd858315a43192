"""Mail pending notifications (mentions, replies) in one email per member. Run every 5 minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum import notification_mail
from forum.actions import notifications


class Command(BaseCommand):
    help = (
        "Derive notifications that no background task derived, then send the immediate "
        "notification emails members asked for; a burst of notifications becomes one email "
        "once it has been quiet for two minutes."
    )

    def handle(self, *args, **options) -> None:
        # First derive what a crash or a lost task left out, so that its mail goes too.
        caught_up = notifications.derive_missed()
        if caught_up:
            self.stdout.write(f"Derived the notifications of {caught_up} missed posts.")
        # Other apps' parts (direct messages unread for 15 minutes) ride in the same email.
        report = notification_mail.run()
        self.stdout.write(
            f"Notification emails: {report.sent} sent ({report.notifications} notifications, "
            f"{report.extra_items} other items), {report.failed} failed and kept for the next run."
        )
