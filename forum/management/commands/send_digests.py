"""Send the email digests due now. Run it every 15 minutes (cron or a systemd timer)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forum import digests


class Command(BaseCommand):
    help = (
        "Send every digest due at this moment in each member's time zone, retry failed "
        "ones, and record each (member, period) so that a rerun sends nobody twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would get what; send nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Members per batch (default: the DIGEST_BATCH_SIZE setting, 500).",
        )
        parser.add_argument(
            "--shard",
            default="1/1",
            help="K/N: take only members whose id modulo N is K-1, to split a large run "
            "over N processes (default 1/1: everyone).",
        )

    def handle(self, *args, dry_run: bool, batch_size: int | None, shard: str, **options) -> None:
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            index, count = (int(part) for part in shard.split("/"))
        except ValueError:
            raise CommandError("--shard must look like 1/2") from None
        if not 1 <= index <= count:
            raise CommandError("--shard K/N needs 1 <= K <= N")
        started = time.monotonic()
        verbose = options["verbosity"] >= 1

        def progress(report: digests.RunReport) -> None:
            done = report.sent + report.empty + report.failed + report.unknown
            if verbose and report.due > (batch_size or settings.DIGEST_BATCH_SIZE):
                self.stderr.write(
                    f"… {done}/{report.due} done ({report.sent} sent, {report.failed} failed) "
                    f"after {time.monotonic() - started:.1f}s"
                )

        report = digests.run(
            batch_size=batch_size,
            dry_run=dry_run,
            progress=progress,
            shard=(index - 1, count),
        )
        if dry_run:
            for email, subject in report.planned:
                self.stdout.write(f"{email}\t{subject if subject != '-' else '(nothing new)'}")
            self.stdout.write(f"Dry run: {report.due} digests due; nothing sent.")
            return
        self.stdout.write(
            f"Digests: {report.sent} sent, {report.empty} with nothing new, "
            f"{report.failed} failed (retried next run), due {report.due}, "
            f"in {time.monotonic() - started:.1f}s."
        )
        if report.unknown:
            self.stderr.write(
                f"{report.unknown} digest(s) were being sent when the run stopped; they are "
                "left as 'sending' and not resent automatically."
            )
