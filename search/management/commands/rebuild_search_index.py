"""Rebuild the search index from every thread title, published post and chat message."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from search import index

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the forum's threads, published posts and meeting "
        "chat, with a progress bar on stderr. Searches keep the old index until it is done."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        show = options["verbosity"] > 0

        def progress(done: int, total: int) -> None:
            if not show:
                return
            filled = BAR_WIDTH * done // max(total, 1)
            percent = 100 * done // max(total, 1)
            self.stderr.write(
                f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% {done:,}/{total:,}",
                ending="",
            )
            self.stderr.flush()

        count = index.rebuild(progress)
        index.tidy()
        if show:
            self.stderr.write("")
        self.stdout.write(
            f"Indexed {count:,} thread titles, posts and chat messages "
            f"in {time.monotonic() - started:.1f} s."
        )
