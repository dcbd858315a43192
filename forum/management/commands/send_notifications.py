"""Mail pending notifications (mentions, replies) in one email per member. Run every 5 minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from forum import notification_mail


class Command(BaseCommand):
    help = (
        "Send the immediate notification emails members asked for; a burst of notifications "
        "becomes one email once it has been quiet for two minutes."
    )

    def handle(self, *args, **options) -> None:
        report = notification_mail.run()
        self.stdout.write(
            f"Notification emails: {report.sent} sent ({report.notifications} notifications), "
            f"{report.failed} failed and kept for the next run."
        )
