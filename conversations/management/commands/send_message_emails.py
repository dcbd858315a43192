"""Send the immediate notification emails that are due, unread direct messages included."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conversations import mail


class Command(BaseCommand):
    help = (
        "Email members who chose it about direct messages they have not read in 15 minutes "
        "(inside their immediate notification email, with any notifications due; "
        "send_notifications does the same and more)."
    )

    def handle(self, *args, **options) -> None:
        report = mail.run()
        self.stdout.write(
            f"Notification emails: {report.sent} sent ({report.extra_items} unread direct "
            f"messages, {report.notifications} notifications), {report.failed} failed and kept "
            "for the next run."
        )
