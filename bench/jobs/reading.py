"""The reading benchmark's seed: a 20-post thread, a reader's session, and the static
copy of its page (same bytes, compressed the same way) beside the collected files."""

from __future__ import annotations

import gzip
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from bench.jobs.seeds import GROUP, join, member, session_for
from forum.actions import threads as thread_actions
from forum.models import Role, Thread, WorkingGroup

TITLE = "Reading benchmark: twenty posts"
BODY = (
    "A reply of ordinary length, with **bold**, a [link](https://example.org), a list\n\n"
    "- first point about the regulation\n- second point, with a date\n\n"
    "and a closing sentence that says what happens next in the working group."
)


def reading_thread() -> dict:
    """Seed (once) and render the thread page for the reader; write its static twin."""
    group = WorkingGroup.objects.get(slug=GROUP)
    reader = member("bench.reader@bench.example", "Bench Reader", "bench-reader", "ZM")
    writer = member("bench.writer@bench.example", "Bench Writer", "bench-writer", "CN")
    # Trusted, both: their cross-border posts publish at once under the default policy.
    join(group, [reader, writer], Role.TRUSTED)
    thread = Thread.objects.filter(title=TITLE, post_counter=20).first()
    if thread is None:
        thread = thread_actions.create_thread(author=writer, group=group, title=TITLE, body=BODY)
        opening = thread.posts.get()
        parent = opening
        for n in range(19):
            author = reader if n % 2 else writer
            post = thread_actions.reply(author=author, parent=parent, body=BODY)
            parent = post if n % 3 else opening
    Session.objects.all().delete()
    session = session_for(reader)
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    page = client.get(thread.get_absolute_url())
    if page.status_code != 200:
        raise RuntimeError(f"thread page answered {page.status_code}")
    folder = Path(settings.STATIC_ROOT) / "bench-reading"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thread.html").write_bytes(page.content)
    (folder / "thread.html.gz").write_bytes(gzip.compress(page.content, 6))
    return {
        "thread": thread.get_absolute_url(),
        "session": session,
        "static": f"{settings.STATIC_URL}bench-reading/thread.html",
        "bytes": len(page.content),
        "gzip_bytes": len(gzip.compress(page.content, 6)),
    }


JOBS = {"reading_thread": reading_thread}
