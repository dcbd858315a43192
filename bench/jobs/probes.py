"""Probes: what a request or an action costs in queries, and whether notifications arrived.

They use only public entry points (the reply action, the test client on a URL) and
count with `connection.execute_wrapper`, so they keep working while the code behind
those entry points changes.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import connection
from django.test import Client

from accounts.models import Member
from forum.actions import threads as thread_actions
from forum.models import Notification, Post

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
SAVEPOINT = re.compile(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK TO)\b", re.IGNORECASE)
POST_INSERT = re.compile(r'^\s*INSERT INTO "forum_post"', re.IGNORECASE)


@dataclass
class Query:
    sql: str
    commits_before: int  # how many transactions had committed when it ran
    in_transaction: bool


@dataclass
class Recorder:
    """Every query of a call, each tagged with the transaction it ran in."""

    queries: list[Query] = field(default_factory=list)
    commits: int = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries.append(Query(sql, self.commits, connection.in_atomic_block))
        return execute(sql, params, many, context)

    def run(self, call: Callable[[], object]) -> object:
        """Run `call` with every query recorded and every commit counted."""
        original = connection.commit

        def commit() -> None:
            original()
            self.commits += 1

        connection.commit = commit  # the instance's; Atomic commits through it
        try:
            with connection.execute_wrapper(self):
                return call()
        finally:
            del connection.commit


def _reply_split(recorder: Recorder) -> dict:
    """Split one reply's queries: before, inside and after the transaction that wrote it."""
    written = next((q for q in recorder.queries if POST_INSERT.match(q.sql)), None)
    if written is None:
        raise RuntimeError("the reply inserted no post")
    tx = written.commits_before
    inside = [q for q in recorder.queries if q.in_transaction and q.commits_before == tx]
    before = [q for q in recorder.queries if q.commits_before <= tx and not q.in_transaction]
    after = [q for q in recorder.queries if q.commits_before > tx]
    return {
        "before": len(before),
        "inside": len(inside),
        "inside_savepoints": sum(1 for q in inside if SAVEPOINT.match(q.sql)),
        "inside_writes": sum(1 for q in inside if WRITE.match(q.sql)),
        "after": len(after),
        "total": len(recorder.queries),
        "inside_sql": [q.sql[:160] for q in inside],
    }


def reply_queries(author_id: str, posts: str, repeats: str, budget: str) -> dict:
    """Reply up to `repeats` times to each opening post through `reply()`; count queries.

    Stop replying to a post once `budget` seconds went by (after one reply at least).
    Return per post id the split of the last reply (the first ones warm caches) and the
    range of the in-transaction count over all of them.
    """
    author = Member.objects.get(pk=int(author_id))
    found = {}
    for post_id in posts.split(","):
        splits = []
        started = time.monotonic()
        for n in range(int(repeats)):
            if n and time.monotonic() - started > float(budget):
                break
            parent = Post.objects.select_related("thread").get(pk=int(post_id))
            recorder = Recorder()
            recorder.run(
                lambda parent=parent, n=n: thread_actions.reply(
                    author=author, parent=parent, body=f"Query count reply {n}."
                )
            )
            splits.append(_reply_split(recorder))
        last = dict(splits[-1])
        last["inside_range"] = [min(s["inside"] for s in splits), max(s["inside"] for s in splits)]
        last["measured"] = len(splits)
        found[post_id] = last
    return found


def check_notifications(expected_file: str, marker: str) -> dict:
    """Check the notifications of every post whose body carries `marker`.

    `expected_file` names a JSON file {thread_id: [ids of the members to notify]} (too
    long for a command line). Return per thread: posts, notifications expected, found,
    missing, duplicated (more than one row for a member and a post) and unexpected, and
    how long after each post its last notification row was created.
    """
    wanted = {int(k): set(v) for k, v in json.loads(Path(expected_file).read_text()).items()}
    report = {}
    for thread_id, recipients in wanted.items():
        posts = dict(
            Post.objects.filter(thread_id=thread_id, body_source__contains=marker).values_list(
                "pk", "created_at"
            )
        )
        per_post: dict[int, Counter[int]] = defaultdict(Counter)
        last_row: dict[int, datetime] = {}
        rows = Notification.objects.filter(post_id__in=list(posts)).values_list(
            "post_id", "recipient_id", "created_at"
        )
        for post_id, recipient_id, created in rows:
            per_post[post_id][recipient_id] += 1
            last_row[post_id] = max(created, last_row.get(post_id, created))
        missing = duplicated = unexpected = found = 0
        for post_id in posts:
            got = per_post[post_id]
            found += sum(got.values())
            missing += len(recipients - got.keys())
            unexpected += len(got.keys() - recipients)
            duplicated += sum(n - 1 for n in got.values() if n > 1)
        delays = [(last_row[p] - posts[p]).total_seconds() for p in posts if p in last_row]
        report[str(thread_id)] = {
            "posts": len(posts),
            "expected": len(posts) * len(recipients),
            "found": found,
            "missing": missing,
            "duplicated": duplicated,
            "unexpected": unexpected,
            "last_row_delay_p50_s": statistics.median(delays) if delays else None,
            "last_row_delay_max_s": max(delays) if delays else None,
        }
    return report


def pending_tasks() -> dict:
    """Background tasks queued in the database and not finished yet (READY or RUNNING).

    Zero when the project has no database task queue (tasks run in the request, or none).
    """
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return {"pending": 0}
    results = apps.get_model("django_tasks_database", "DBTaskResult")
    return {"pending": results.objects.filter(status__in=["READY", "RUNNING"]).count()}


def page_queries(session_key: str, *paths: str) -> dict:
    """Queries (and writes among them) of each page, on a second visit by the same member."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session_key
    found = {}
    for path in paths:
        client.get(path)  # the first visit may write (a read mark); a plain read follows
        recorder = Recorder()
        response = recorder.run(lambda path=path: client.get(path))
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        found[path] = {
            "queries": len(recorder.queries),
            "writes": sum(1 for q in recorder.queries if WRITE.match(q.sql)),
            "bytes": len(response.content),
        }
    return found


JOBS = {
    "reply_queries": reply_queries,
    "check_notifications": check_notifications,
    "page_queries": page_queries,
    "pending_tasks": pending_tasks,
}
