"""Concurrent replies in one process: ten writers on one thread against ten on ten threads.

Each writer is a Python thread with its own database connection calling the public
`reply()` action, all released together. The three phases share the process, the
machine and the GIL, so what differs between "ten on one thread" and "ten on ten
threads" is only what one thread's replies wait for each other (its row and counters).
"""

from __future__ import annotations

import statistics
import threading
import time

from django.db import connection

from bench.jobs.seeds import join, member, members
from forum.actions import threads as thread_actions
from forum.models import Post, Role, Thread, WorkingGroup

GROUP = "legal-policy"
WRITERS = 10


def _thread(author, group, title: str) -> Thread:
    found = Thread.objects.filter(group=group, title=title).first()
    return found or thread_actions.create_thread(
        author=author,
        group=group,
        title=title,
        body="Written by the contention benchmark.",
        audience="group",
    )


def _replies(writer, parent: Post, count: int, gate: threading.Barrier, out: list, errors: list):
    try:
        gate.wait()
        for n in range(count):
            began = time.perf_counter()
            body = f"Reply {n} by {writer.handle}."
            thread_actions.reply(author=writer, parent=parent, body=body)
            out.append(time.perf_counter() - began)
    except Exception as error:  # counted and reported
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def _phase(writers, parents, count: int) -> tuple[list[float], list[str]]:
    gate = threading.Barrier(len(writers))
    latencies: list[float] = []
    errors: list[str] = []
    workers = [
        threading.Thread(target=_replies, args=(w, p, count, gate, latencies, errors))
        for w, p in zip(writers, parents, strict=True)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors


def _summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def run(count: str) -> dict:
    count_each = int(count)
    group = WorkingGroup.objects.get(slug=GROUP)
    author = member("contention.author@bench.example", "Contention Author", "contention-author")
    writers = members("contention", WRITERS)
    join(group, [author, *writers], Role.TRUSTED)
    shared = _thread(author, group, "Contention benchmark: one thread")
    own = [_thread(author, group, f"Contention benchmark: thread {i}") for i in range(WRITERS)]
    first = Post.objects.get(thread=shared, number=1)
    firsts = [Post.objects.get(thread=t, number=1) for t in own]
    connection.close()
    before = Post.objects.filter(thread=shared).count()
    alone, alone_errors = _phase(writers[:1], [first], count_each * 3)
    together, together_errors = _phase(writers, [first] * WRITERS, count_each)
    apart, apart_errors = _phase(writers, firsts, count_each)
    posts = Post.objects.filter(thread=shared).order_by("number")
    numbers = list(posts.values_list("number", flat=True))
    added = len(numbers) - before
    return {
        "alone": _summary(alone),
        "together": _summary(together),
        "apart": _summary(apart),
        "errors": alone_errors + together_errors + apart_errors,
        "shared_thread_added": added,
        "shared_thread_expected": count_each * 3 + count_each * WRITERS,
        "numbers_contiguous": numbers == list(range(1, len(numbers) + 1)),
        "database": connection.vendor,
    }


JOBS = {"contention": run}
