"""Jobs of the search benchmark: seed posts in four languages, build the index, query.

The forum's rows are written in bulk (10% of posts pending, 20% of threads domestic
to a country other than the reader's); the index is then built by the same code as
`manage.py rebuild_search_index`, which is what "index build time" measures.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Member, Organization
from forum import visibility
from forum.models import (
    Audience,
    AudienceCountry,
    Membership,
    Post,
    PostStatus,
    Thread,
    WorkingGroup,
)
from search import index
from search.analysis import parse
from search.models import Entry
from search.query import search

GROUP = "legal-policy"
POSTS_PER_THREAD = 10
AUTHOR_COUNTRIES = ("CN", "ZM", "KE", "EG", "CM")
READER_COUNTRY = "ZM"
# Common words per language, and a rare one for each (about one post in a thousand).
_WORD_TEXT = {
    "zh": "法律 投资 风险 合作 中非 矿业 税收 法规 政策 项目 合同 劳动 外汇 管制 修订 "
    "要求 备案 材料 企业 政府 市场 发展 贸易 能源 银行 的 和 在 是 了",
    "ar": "التعاون القانون الاستثمار المخاطر الضرائب التعدين المشروع الحكومة والتعاون "
    "بالاستثمار للقانون العقد العمل السوق الطاقة التجارة في من على إلى مع هذا",
    "fr": "coopération juridique minière réglementation investissement risque fiscalité "
    "contrat projet énergie marché développement société état le la les de des et "
    "pour dans une sur",
    "en": "cooperation law investment risk mining tax regulation project contract labour "
    "energy market trade bank government the and of to in for on with",
}
WORDS = {language: text.split() for language, text in _WORD_TEXT.items()}
RARE = {"zh": "钽矿", "ar": "الزركون", "fr": "zircon", "en": "tantalum"}
QUERIES = [
    "法",
    "税",
    "法律",
    "投资",
    "风险",
    "法律合作",
    "投资风险",
    "التعاون",
    "تعاون",
    "الاستثمار",
    "استثمار",
    "coopération",
    "cooperation",
    "minière",
    "miniere",
    "law",
    "the",
    "tantalum",
    "zircon",
    '"mining tax"',
]


def _sentence(rng: random.Random, language: str, words: int) -> str:
    chosen = [rng.choice(WORDS[language]) for _ in range(words)]
    if rng.random() < 0.001:
        chosen.append(RARE[language])
    joiner = "" if language == "zh" and rng.random() < 0.5 else " "
    return joiner.join(chosen)


def seed(posts: str) -> dict:
    """Write `posts` posts in threads of ten, in four languages, once per database."""
    posts = int(posts)
    group = WorkingGroup.objects.get(slug=GROUP)
    if Post.objects.filter(thread__group=group).count() >= posts:
        return {"seeded": 0}
    rng = random.Random(15)
    organization = Organization.objects.get_or_create(name="Bench", defaults={"country": "ZM"})[0]
    authors = {}
    for country in AUTHOR_COUNTRIES:
        authors[country] = []
        for n in range(5):
            member, _ = Member.objects.get_or_create(
                email=f"search.{country.lower()}.{n}@bench.example",
                defaults={
                    "display_name": f"Search {country} {n}",
                    "handle": f"search-{country.lower()}-{n}",
                    "country": country,
                    "organization": organization,
                },
            )
            Membership.objects.get_or_create(member=member, group=group)
            authors[country].append(member)
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, posts, 1000):
            threads, audiences, rows = [], [], []
            for t in range(start // POSTS_PER_THREAD, (start + 1000) // POSTS_PER_THREAD):
                country = rng.choice(AUTHOR_COUNTRIES)
                # 20% domestic to a country other than the reader's.
                domestic = rng.random() < 0.2
                if domestic:
                    country = rng.choice([c for c in AUTHOR_COUNTRIES if c != READER_COUNTRY])
                language = rng.choice(list(WORDS))
                thread = Thread(
                    group=group,
                    title=_sentence(rng, language, 6),
                    author=rng.choice(authors[country]),
                    audience=Audience.DOMESTIC if domestic else Audience.GROUP,
                    created_at=now - timedelta(minutes=t),
                    last_activity_at=now - timedelta(minutes=t),
                    post_counter=POSTS_PER_THREAD,
                    reply_count=POSTS_PER_THREAD - 1,
                )
                threads.append((thread, country, language))
            Thread.objects.bulk_create([t for t, _c, _l in threads])
            openings = []
            for thread, country, language in threads:
                if thread.audience == Audience.DOMESTIC:
                    audiences.append(AudienceCountry(thread=thread, country=country))
                for number in range(1, POSTS_PER_THREAD + 1):
                    text = _sentence(rng, language, rng.randint(20, 80))
                    post = Post(
                        thread=thread,
                        author=thread.author if number == 1 else rng.choice(authors[country]),
                        number=number,
                        depth=0 if number == 1 else 1,
                        path=f"{1:06d}" if number == 1 else f"{1:06d}{number:06d}",
                        status=PostStatus.PENDING if rng.random() < 0.1 else PostStatus.PUBLISHED,
                        body_source=text,
                        body_html=f"<p>{text}</p>",
                        created_at=thread.created_at + timedelta(seconds=number),
                    )
                    if number == 1:
                        openings.append(post)
                    else:
                        post.opening = openings[-1]  # replies answer the opening post
                        rows.append(post)
            AudienceCountry.objects.bulk_create(audiences)
            Post.objects.bulk_create(openings, batch_size=500)
            for post in rows:
                post.parent_id = post.opening.pk
            Post.objects.bulk_create(rows, batch_size=500)
    return {"seeded": posts}


def _size() -> int:
    """Bytes the index takes: the table, its indexes and the full-text structures."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('search_entry')")
        else:
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search\\_%' ESCAPE '\\' "
                "OR name LIKE 'sqlite_autoindex_search\\_%' ESCAPE '\\'"
            )
        return int(cursor.fetchone()[0] or 0)


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def run(count: str = "200") -> dict:
    """Build the index, then time `count` searches and as many baseline SELECTs as a
    reader from Zambia (a plain member: domestic threads of others hidden)."""
    count = int(count)
    reader = Member.objects.filter(country=READER_COUNTRY, email__startswith="search.").first()
    started = time.perf_counter()
    entries = index.rebuild()
    index.tidy()  # as rebuild_search_index does
    build_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # statistics after the bulk seed, as autovacuum gives
    size = _size()
    queries = [QUERIES[i % len(QUERIES)] for i in range(count)]
    for text in QUERIES:  # warm the caches once, as a running server would have them
        search(reader, parse(text))
    baseline, timed, by_query = [], [], {}
    for text in queries:
        began = time.perf_counter()
        list(visibility.visible_threads(reader).order_by("-last_activity_at")[:20])
        baseline.append(time.perf_counter() - began)
        parsed = parse(text)
        began = time.perf_counter()
        results = search(reader, parsed)
        took = time.perf_counter() - began
        timed.append(took)
        by_query.setdefault(text, []).append((took, len(results.hits)))
    return {
        "vendor": connection.vendor,
        "posts": Post.objects.count(),
        "entries": entries,
        "build_s": build_s,
        "index_bytes": size,
        "search": _percentiles(timed),
        "baseline": _percentiles(baseline),
        "per_query_ms": {
            text: statistics.median(t for t, _n in runs) * 1000 for text, runs in by_query.items()
        },
        "hits": {text: runs[0][1] for text, runs in by_query.items()},
        "entries_total": Entry.objects.count(),
    }


JOBS = {"search_seed": seed, "search_run": run}
