"""One `send_digests` run for 10,000 members with a week of activity, to a local SMTP server.

Reports wall time, queries per batch (each batch should cost the same), peak memory of
the sending process, and a baseline measured in the same run: the same number of small
prebuilt messages sent over one connection to the same server, so the ratio shows what
building the digests costs on top of the mail transport.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from bench.server import prepare

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "10000"))


def _env(port: int = 0) -> dict[str, str]:
    env = dict(os.environ)
    # One database per size, seeded once and reused (its digest records are cleared).
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / f'bench-digests-{MEMBERS}.sqlite3'}")
    env.update(
        DJANGO_SETTINGS_MODULE="forum.settings",
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 30),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=30",
        SITE_URL="https://forum.example.org",
    )
    return env


SEED = r"""
import random, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from accounts.models import Member
from forum import rendering
from forum.models import (Audience, AudienceCountry, Digest, Mention, Membership, Post,
                          PostStatus, Thread, WorkingGroup)

count = int(sys.argv[1])
Digest.objects.all().delete()
if Member.objects.filter(email__endswith="@bench.example").exists():
    print("reused")
    raise SystemExit
random.seed(7)
groups = list(WorkingGroup.objects.order_by("pk"))
countries = ["CN", "ZM", "KE", "EG", "NG", "ET", "TZ", "GH", "ZA", "SN", "CI", "CM", "MA",
             "DZ", "AO", "UG", "RW", "MZ", "ZW", "SD"]
zones = ["Asia/Shanghai", "Africa/Lusaka", "Africa/Nairobi", "Africa/Cairo", "Africa/Lagos",
         "Pacific/Auckland", "America/Los_Angeles", "UTC"]
languages = ["en", "zh-hans", "fr", "ar"]
today = timezone.now().weekday()
members = [
    Member(email=f"m{n}@bench.example", display_name=f"Member {n}", handle=f"m{n}",
           country=countries[n % len(countries)], language=languages[n % 4],
           time_zone=zones[n % len(zones)], password="!",
           digest_frequency="weekly" if n % 5 == 0 else "daily",
           digest_hour=0, digest_weekday=today)
    for n in range(count)
]
Member.objects.bulk_create(members, batch_size=1000)
members = list(Member.objects.filter(email__endswith="@bench.example").order_by("pk"))
# Weekly members in zones already on another date would not be due: keep them daily.
Member.objects.filter(pk__in=[m.pk for m in members if m.digest_frequency == "weekly"
    and timezone.now().astimezone(__import__("zoneinfo").ZoneInfo(m.time_zone)).weekday() != today]
).update(digest_frequency="daily")
memberships = []
for n, m in enumerate(members):
    role = "moderator" if n % 100 == 0 else "member"
    for g in groups[: 1 + n % 3]:
        memberships.append(Membership(member=m, group=g, role=role))
Membership.objects.bulk_create(memberships, batch_size=2000)
now = timezone.now()
body = ("A note with **some** Markdown, a [link](https://example.org) and a list:\n\n"
        "- one\n- two\n\nAnd a longer paragraph that the digest cuts to its first lines. " * 2)
html = rendering.render_markdown(body)
threads, posts = [], []
for t in range(300):
    author = members[random.randrange(count)]
    audience = [Audience.GROUP, Audience.GROUP, Audience.DOMESTIC, Audience.COUNTRIES][t % 4]
    created = now - timedelta(minutes=random.randrange(7 * 24 * 60))
    threads.append(Thread(group=groups[t % 3], title=f"Thread {t} about mining codes",
                          author=author, audience=audience, created_at=created,
                          last_activity_at=created, post_counter=1))
Thread.objects.bulk_create(threads)
threads = list(Thread.objects.order_by("pk"))
AudienceCountry.objects.bulk_create(
    [AudienceCountry(thread=t, country=t.author.country.code)
     for t in threads if t.audience != Audience.GROUP]
    + [AudienceCountry(thread=t, country=c) for t in threads if t.audience == Audience.COUNTRIES
       for c in ("ZM", "KE") if c != t.author.country.code])
openings = [Post(thread=t, author=t.author, number=1, depth=0, path="000001",
                 status=PostStatus.PENDING if i % 25 == 0 else PostStatus.PUBLISHED,
                 body_source=body, body_html=html, created_at=t.created_at)
            for i, t in enumerate(threads)]
Post.objects.bulk_create(openings)
opening = {p.thread_id: p for p in Post.objects.filter(number=1)}
replies = []
counters = {t.pk: 1 for t in threads}
for r in range(3000):
    t = threads[random.randrange(len(threads))]
    counters[t.pk] += 1
    number = counters[t.pk]
    replies.append(Post(thread=t, author=members[random.randrange(count)],
                        parent=opening[t.pk], number=number, depth=1,
                        path=f"000001{number:06d}",
                        status=PostStatus.PENDING if r % 50 == 0 else PostStatus.PUBLISHED,
                        body_source=body, body_html=html,
                        created_at=min(now, t.created_at
                                       + timedelta(minutes=random.randrange(1, 600)))))
Post.objects.bulk_create(replies, batch_size=1000)
for t in threads:
    Thread.objects.filter(pk=t.pk).update(post_counter=counters[t.pk],
                                          reply_count=counters[t.pk] - 1, last_activity_at=now)
Mention.objects.bulk_create(
    [Mention(post=p, member=members[random.randrange(count)]) for p in
     Post.objects.filter(number__gt=1)[:500]], ignore_conflicts=True)
print("seeded")
"""

CLEAR = r"""
import django
django.setup()
from forum.models import Digest
Digest.objects.all().delete()
"""

RUN = r"""
import json, resource, sys, time
import django
django.setup()
from django.core.mail import EmailMessage, mailers
from django.db import connection
from forum import digests

count, index, shards = (int(arg) for arg in sys.argv[1:4])
baseline = 0.0
if shards == 1:
    # Baseline: as many small prebuilt messages over one connection to the same server.
    messages = [EmailMessage("Baseline", "Hello", to=[f"m{n}@bench.example"]) for n in range(count)]
    started = time.perf_counter()
    with mailers.default as mailer:
        mailer.send_messages(messages)
    baseline = time.perf_counter() - started
    del messages

per_batch = []
original = digests.send_batch
def counted(*args, **kwargs):
    calls = [0]
    def wrapper(execute, sql, params, many, context):
        calls[0] += 1
        return execute(sql, params, many, context)
    with connection.execute_wrapper(wrapper):
        original(*args, **kwargs)
    per_batch.append(calls[0])
digests.send_batch = counted
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
report = digests.run(shard=(index, shards))
wall = time.perf_counter() - started
print(json.dumps({
    "baseline_s": baseline, "wall_s": wall, "sent": report.sent, "empty": report.empty,
    "failed": report.failed, "due": report.due, "batches": report.batches,
    "queries_per_batch": per_batch,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_before_mb": rss_before / 1024,
}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        print("digests: aiosmtpd is not installed (it is in the dev requirements)")
        return

    class Count:
        def __init__(self) -> None:
            self.messages = 0
            self.bytes = 0

        async def handle_DATA(self, server, session, envelope):
            self.messages += 1
            self.bytes += len(envelope.content)
            return "250 OK"

    port = _free_port()
    env = _env(port)
    print(f"digests: seeding {MEMBERS} members with a week of activity …", flush=True)
    prepare(env, SEED, str(MEMBERS), timeout=1800)
    handler = Count()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        single = _run_processes(env, 1)
        received_single = handler.messages - MEMBERS
        sharded = _run_processes(env, 2)
        command_wall, command_processes = _run_command(env)
    finally:
        server.stop()
    result = single[0]
    print(f"members: {MEMBERS}, due: {result['due']}, batches: {result['batches']}")
    print(
        f"one process: sent {result['sent']} (received by SMTP: {received_single}), "
        f"nothing new: {result['empty']}, failed: {result['failed']}"
    )
    print(
        f"baseline (same count of tiny prebuilt messages): {result['baseline_s']:.1f} s; "
        f"send_digests: {result['wall_s']:.1f} s "
        f"(ratio {result['wall_s'] / result['baseline_s']:.1f}x)"
    )
    queries = result["queries_per_batch"]
    print(f"queries per batch: {sorted(set(queries))} over {len(queries)} batches")
    print(
        f"peak RSS: {result['peak_rss_mb']:.0f} MB "
        f"(after setup and the baseline: {result['rss_before_mb']:.0f} MB)"
    )
    wall = max(r["wall_s"] for r in sharded)
    print(
        f"two processes (--shard 1/2 and 2/2 at once): {wall:.1f} s "
        f"(ratio {wall / result['baseline_s']:.1f}x), sent "
        f"{sum(r['sent'] for r in sharded)}, peak RSS "
        f"{', '.join(f'{r["peak_rss_mb"]:.0f}' for r in sharded)} MB, queries per batch "
        f"{sorted({q for r in sharded for q in r['queries_per_batch']})}"
    )
    print(
        f"manage.py send_digests as run from cron ({command_processes} processes, the "
        f"default here, Django start-up included): {command_wall:.1f} s "
        f"(ratio {command_wall / result['baseline_s']:.1f}x)"
    )
    print(f"SMTP server received {handler.messages} messages, {handler.bytes / 2**20:.0f} MB")


def _run_command(env: dict[str, str]) -> tuple[float, int]:
    """Time `manage.py send_digests` with its default processes, from a clean slate."""
    import time

    subprocess.run([sys.executable, "-c", CLEAR], cwd=ROOT, env=env, check=True, timeout=600)
    processes = min(os.cpu_count() or 1, 4)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "send_digests", "--verbosity", "0"],
        cwd=ROOT,
        env={key: value for key, value in env.items() if key != "DIGEST_PROCESSES"},
        check=True,
        timeout=1800,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, processes


def _run_processes(env: dict[str, str], count: int) -> list[dict]:
    """Run `count` sending processes at once (shards of one run); return their figures."""
    # Each run starts from no digest records, so every member is due again.
    subprocess.run([sys.executable, "-c", CLEAR], cwd=ROOT, env=env, check=True, timeout=600)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RUN, str(MEMBERS), str(index), str(count)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(count)
    ]
    results = []
    for process in processes:
        out, _err = process.communicate(timeout=1800)
        if process.returncode:
            raise SystemExit(f"digests: a sending process failed ({process.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
