"""The digest benchmark's seed (10,000 members and a week of activity), reset and run."""

from __future__ import annotations

import random
import resource
import time
import zoneinfo
from datetime import timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.mail import EmailMessage, mailers
from django.db import connection
from django.utils import timezone

from accounts.models import Member
from forum import digests, rendering
from forum.models import (
    Audience,
    AudienceCountry,
    Digest,
    Membership,
    Mention,
    Post,
    PostStatus,
    Thread,
    WorkingGroup,
)

COUNTRIES = ["CN", "ZM", "KE", "EG", "NG", "ET", "TZ", "GH", "ZA", "SN", "CI", "CM", "MA"]
COUNTRIES += ["DZ", "AO", "UG", "RW", "MZ", "ZW", "SD"]
ZONES = ["Asia/Shanghai", "Africa/Lusaka", "Africa/Nairobi", "Africa/Cairo", "Africa/Lagos"]
ZONES += ["Pacific/Auckland", "America/Los_Angeles", "UTC"]
LANGUAGES = ["en", "zh-hans", "fr", "ar"]
DOMAIN = "@bench.example"


def seed(count: str) -> dict:
    """Seed `count` members and a week of activity, once; later runs only clear digests."""
    count = int(count)
    Digest.objects.all().delete()
    if Member.objects.filter(email__endswith=DOMAIN).exists():
        return {"seeded": False}
    random.seed(7)
    groups = list(WorkingGroup.objects.order_by("pk"))
    today = timezone.now().weekday()
    Member.objects.bulk_create(
        [
            Member(
                email=f"m{n}{DOMAIN}",
                display_name=f"Member {n}",
                handle=f"m{n}",
                country=COUNTRIES[n % len(COUNTRIES)],
                language=LANGUAGES[n % 4],
                time_zone=ZONES[n % len(ZONES)],
                password=UNUSABLE_PASSWORD_PREFIX,
                digest_frequency="weekly" if n % 5 == 0 else "daily",
                digest_hour=0,
                digest_weekday=today,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    people = list(Member.objects.filter(email__endswith=DOMAIN).order_by("pk"))
    # Weekly members in zones already on another date would not be due: keep them daily.
    now = timezone.now()
    Member.objects.filter(
        pk__in=[
            m.pk
            for m in people
            if m.digest_frequency == "weekly"
            and now.astimezone(zoneinfo.ZoneInfo(m.time_zone)).weekday() != today
        ]
    ).update(digest_frequency="daily")
    Membership.objects.bulk_create(
        [
            Membership(member=m, group=g, role="moderator" if n % 100 == 0 else "member")
            for n, m in enumerate(people)
            for g in groups[: 1 + n % 3]
        ],
        batch_size=2000,
    )
    body = (
        "A note with **some** Markdown, a [link](https://example.org) and a list:\n\n"
        "- one\n- two\n\nAnd a longer paragraph that the digest cuts to its first lines. "
    ) * 2
    html = rendering.render_markdown(body)
    threads = []
    audiences = [Audience.GROUP, Audience.GROUP, Audience.DOMESTIC, Audience.COUNTRIES]
    for t in range(300):
        author = people[random.randrange(count)]
        created = now - timedelta(minutes=random.randrange(7 * 24 * 60))
        threads.append(
            Thread(
                group=groups[t % 3],
                title=f"Thread {t} about mining codes",
                author=author,
                audience=audiences[t % 4],
                created_at=created,
                last_activity_at=created,
                post_counter=1,
            )
        )
    Thread.objects.bulk_create(threads)
    threads = list(Thread.objects.select_related("author").order_by("pk"))
    AudienceCountry.objects.bulk_create(
        [
            AudienceCountry(thread=t, country=t.author.country.code)
            for t in threads
            if t.audience != Audience.GROUP
        ]
        + [
            AudienceCountry(thread=t, country=c)
            for t in threads
            if t.audience == Audience.COUNTRIES
            for c in ("ZM", "KE")
            if c != t.author.country.code
        ]
    )
    Post.objects.bulk_create(
        [
            Post(
                thread=t,
                author=t.author,
                number=1,
                depth=0,
                path="000001",
                status=PostStatus.PENDING if i % 25 == 0 else PostStatus.PUBLISHED,
                body_source=body,
                body_html=html,
                created_at=t.created_at,
            )
            for i, t in enumerate(threads)
        ]
    )
    opening = {p.thread_id: p for p in Post.objects.filter(number=1)}
    replies = []
    counters = {t.pk: 1 for t in threads}
    for r in range(3000):
        t = threads[random.randrange(len(threads))]
        counters[t.pk] += 1
        number = counters[t.pk]
        replies.append(
            Post(
                thread=t,
                author=people[random.randrange(count)],
                parent=opening[t.pk],
                number=number,
                depth=1,
                path=f"000001{number:06d}",
                status=PostStatus.PENDING if r % 50 == 0 else PostStatus.PUBLISHED,
                body_source=body,
                body_html=html,
                created_at=min(now, t.created_at + timedelta(minutes=random.randrange(1, 600))),
            )
        )
    Post.objects.bulk_create(replies, batch_size=1000)
    for t in threads:
        Thread.objects.filter(pk=t.pk).update(
            post_counter=counters[t.pk], reply_count=counters[t.pk] - 1, last_activity_at=now
        )
    Mention.objects.bulk_create(
        [
            Mention(post=p, member=people[random.randrange(count)])
            for p in Post.objects.filter(number__gt=1)[:500]
        ],
        ignore_conflicts=True,
    )
    return {"seeded": True}


def clear() -> dict:
    """Forget every digest record, so that every member is due again."""
    Digest.objects.all().delete()
    return {}


def run(count: str, index: str, shards: str) -> dict:
    """Send one shard's digests; with one shard, time the mail-transport baseline first."""
    count, index, shards = int(count), int(index), int(shards)
    baseline = 0.0
    if shards == 1:
        # Baseline: as many small prebuilt messages over one connection to the same server.
        messages = [EmailMessage("Baseline", "Hello", to=[f"m{n}{DOMAIN}"]) for n in range(count)]
        started = time.perf_counter()
        with mailers.default as mailer:
            mailer.send_messages(messages)
        baseline = time.perf_counter() - started
        del messages

    per_batch: list[int] = []
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
    return {
        "baseline_s": baseline,
        "wall_s": wall,
        "sent": report.sent,
        "empty": report.empty,
        "failed": report.failed,
        "due": report.due,
        "batches": report.batches,
        "queries_per_batch": per_batch,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before / 1024,
    }


JOBS = {"digests_seed": seed, "digests_clear": clear, "digests_run": run}
