"""`python -m bench.api_jobs NAME`: the API benchmark's seed and query probe, inside Django.

Run by bench/api.py with the run's environment (DATABASE_URL and the rest); prints its
JSON answer last.
"""

from __future__ import annotations

import json
import sys

import django

THREADS = 60
POSTS = 100
TITLE = "API benchmark thread"


def seed() -> dict:
    """60 threads in legal-policy, one with 100 posts, and a reader's read token."""
    from api.actions.tokens import create_token
    from api.models import AccessToken
    from bench.jobs.seeds import GROUP, join, member
    from forum import rendering
    from forum.actions import threads as thread_actions
    from forum.models import Post, Role, Thread, WorkingGroup

    group = WorkingGroup.objects.get(slug=GROUP)
    reader = member("api.reader@bench.example", "API Reader", "api-reader", "ZM")
    writer = member("api.writer@bench.example", "API Writer", "api-writer", "CN")
    join(group, [reader])
    join(group, [writer], Role.TRUSTED)
    existing = Thread.objects.filter(group=group, title__startswith=TITLE).count()
    for n in range(existing, THREADS):
        thread_actions.create_thread(
            author=writer, group=group, title=f"{TITLE} {n}", body=f"Opening post {n}."
        )
    thread = Thread.objects.filter(group=group, title=f"{TITLE} 0").get()
    if thread.post_counter < POSTS:
        body = "A reply with **some** Markdown, a [link](https://example.org) and a list:\n\n- a"
        html = rendering.render_markdown(body)
        Post.objects.bulk_create(
            [
                Post(
                    thread=thread,
                    author=writer if number % 2 else reader,
                    parent_id=thread.posts.get(number=1).pk,
                    number=number,
                    depth=1,
                    path=f"{1:06d}{number:06d}",
                    body_source=body,
                    body_html=html,
                )
                for number in range(2, POSTS + 1)
            ]
        )
        Thread.objects.filter(pk=thread.pk).update(reply_count=POSTS - 1, post_counter=POSTS)
    AccessToken.objects.filter(member=reader).delete()
    _token, plaintext = create_token(member=reader, name="benchmark", scopes=["read"])
    return {"thread": thread.pk, "token": plaintext, "group": GROUP}


def queries(token: str, *paths: str) -> dict:
    """Count the queries of one request per path (after a first, warming one)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    counted = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            status = client.get(path).status_code
        counted[path] = {"status": status, "queries": len(captured.captured_queries)}
    return counted


JOBS = {"seed": seed, "queries": queries}


def main(argv: list[str]) -> int:
    django.setup()
    if not argv or argv[0] not in JOBS:
        print(f"choose a job: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    print(json.dumps(JOBS[argv[0]](*argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
