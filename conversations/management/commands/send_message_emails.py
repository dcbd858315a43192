"""Mail direct messages left unread for 15 minutes. Run every 5 minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conversations import mail


class Command(BaseCommand):
    help = "Email members who chose it about direct messages they have not read in 15 minutes."

    def handle(self, *args, **options) -> None:
        report = mail.run()
        self.stdout.write(
            f"Direct-message emails: {report.sent} sent ({report.messages} messages), "
            f"{report.failed} failed and kept for the next run."
        )
