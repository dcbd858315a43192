"""Send the email digests due now. Run it every 15 minutes (cron or a systemd timer)."""

from __future__ import annotations

import os
import subprocess
import sys
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
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Send with this many processes at once, each taking one shard (default: "
            "the DIGEST_PROCESSES setting; 0 means one per CPU core, at most 4). Building "
            "messages is CPU-bound Python.",
        )

    def handle(
        self,
        *args,
        dry_run: bool,
        batch_size: int | None,
        shard: str,
        processes: int | None,
        **options,
    ) -> None:
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            index, count = (int(part) for part in shard.split("/"))
        except ValueError:
            raise CommandError("--shard must look like 1/2") from None
        if not 1 <= index <= count:
            raise CommandError("--shard K/N needs 1 <= K <= N")
        if processes is None:
            processes = settings.DIGEST_PROCESSES or min(os.cpu_count() or 1, 4)
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if processes > 1 and count == 1 and not dry_run:
            self._run_shards(processes, batch_size, options["verbosity"])
            return
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
            self.stdout.write(
                f"Dry run: {len(report.planned)} digest(s) would be sent "
                f"({report.due} members in their digest hour); nothing sent."
            )
            return
        self.stdout.write(
            f"Digests: {report.sent} sent, {report.empty} with nothing new, "
            f"{report.failed} failed (retried next run), of {report.due} members in their "
            "digest hour (those already served this period are skipped), "
            f"in {time.monotonic() - started:.1f}s."
        )
        if report.unknown:
            self.stderr.write(
                f"{report.unknown} digest(s) were being sent when the run stopped; they are "
                "left as 'sending' and not resent automatically."
            )

    def _run_shards(self, processes: int, batch_size: int | None, verbosity: int) -> None:
        """Run one child per shard at once; each claims its own digests, so none is sent
        twice, and each prints its own summary."""
        started = time.monotonic()
        manage = str(settings.BASE_DIR / "manage.py")
        command = [sys.executable, manage, "send_digests", "--processes", "1"]
        command += ["--verbosity", str(verbosity)]
        if batch_size is not None:
            command += ["--batch-size", str(batch_size)]
        children = [
            subprocess.Popen([*command, "--shard", f"{k}/{processes}"])  # noqa: S603
            for k in range(1, processes + 1)
        ]
        failed = [child.args[-1] for child in children if child.wait() != 0]
        if failed:
            raise CommandError(f"shard(s) {', '.join(failed)} failed; rerun to send the rest")
        self.stdout.write(f"All {processes} shards done in {time.monotonic() - started:.1f}s.")
