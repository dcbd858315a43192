"""For random members, threads, audiences, moderation states and chat, a search finds
exactly what the visibility rule lets that member read, and nothing else.

Every thing is indexed here whatever its state (more than the actions ever index), so
that only the query's own use of the rule keeps the rest out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Member, Organization
from forum import visibility
from forum.models import (
    Audience,
    AudienceCountry,
    ChatMessage,
    Meeting,
    MeetingCountry,
    Membership,
    Post,
    PostStatus,
    Role,
    Thread,
)
from search import query as search_query
from search.analysis import index_text, parse
from search.models import Entry, EntryKind
from search.query import matching_entries, page_ids

COUNTRIES = ["CN", "ZM", "KE"]
ROLES = [Role.MEMBER, Role.TRUSTED, Role.MODERATOR, Role.CHAIR]
STATUSES = [PostStatus.PUBLISHED, PostStatus.PENDING, PostStatus.REJECTED, PostStatus.REMOVED]
AUDIENCES = [Audience.GROUP, Audience.DOMESTIC, Audience.COUNTRIES]
TEXT = "中非法律合作 والتعاون Coopération"

members_st = st.lists(
    st.fixed_dictionaries(
        {
            "country": st.sampled_from(COUNTRIES),
            "legal": st.one_of(st.none(), st.sampled_from(ROLES)),
            "promotion": st.one_of(st.none(), st.sampled_from(ROLES)),
            "staff": st.sampled_from([False, False, False, True]),
        }
    ),
    min_size=2,
    max_size=4,
)
threads_st = st.lists(
    st.fixed_dictionaries(
        {
            "author": st.integers(min_value=0, max_value=3),
            "audience": st.sampled_from(AUDIENCES),
            "countries": st.sets(st.sampled_from(COUNTRIES), max_size=2),
            "opening": st.sampled_from(STATUSES),
            "replies": st.lists(
                st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from(STATUSES)),
                max_size=3,
            ),
        }
    ),
    min_size=1,
    max_size=3,
)
meetings_st = st.lists(
    st.fixed_dictionaries(
        {
            "group": st.sampled_from(["legal", "promotion"]),
            "audience": st.sampled_from(AUDIENCES),
            "countries": st.sets(st.sampled_from(COUNTRIES), min_size=1, max_size=2),
            "messages": st.lists(
                st.tuples(st.integers(min_value=0, max_value=3), st.booleans()), max_size=3
            ),
        }
    ),
    max_size=2,
)


class Rollback(Exception):
    """Leave the database as the example found it."""


def entry(**fields) -> Entry:
    return Entry(created_at=timezone.now(), **fields)


def build(members_spec, threads_spec, meetings_spec, groups):
    organization = Organization.objects.get_or_create(name="Org", defaults={"country": "CN"})[0]
    members = []
    for n, spec in enumerate(members_spec):
        member = Member.objects.create_user(
            f"p{n}@example.org",
            "x-password-123",
            display_name=f"P{n}",
            handle=f"p{n}",
            country=spec["country"],
            organization=organization,
            is_staff=spec["staff"],
        )
        for key, group in groups.items():
            if spec[key] is not None:
                Membership.objects.create(member=member, group=group, role=spec[key])
        members.append(member)
    entries = []
    for spec in threads_spec:
        author = members[spec["author"] % len(members)]
        group = groups["legal" if author.memberships.filter(group=groups["legal"]) else "promotion"]
        thread = Thread.objects.create(
            group=group, title=TEXT, author=author, audience=spec["audience"], post_counter=9
        )
        codes = {
            Audience.GROUP: [],
            Audience.DOMESTIC: [author.country.code],
            Audience.COUNTRIES: sorted(set(spec["countries"]) | {author.country.code}),
        }[spec["audience"]]
        AudienceCountry.objects.bulk_create(
            [AudienceCountry(thread=thread, country=c) for c in codes]
        )
        entries.append(entry(kind=EntryKind.THREAD, thread=thread, author=author, title=TEXT))
        posts = [(author, spec["opening"])] + [
            (members[i % len(members)], status) for i, status in spec["replies"]
        ]
        opening = None
        for number, (writer, status) in enumerate(posts, start=1):
            post = Post.objects.create(
                thread=thread,
                author=writer,
                parent=opening,
                number=number,
                depth=0 if opening is None else 1,
                path=f"{number:06d}",
                status=status,
                body_source=TEXT,
                body_html=f"<p>{TEXT}</p>",
            )
            opening = opening or post
            entries.append(
                entry(kind=EntryKind.POST, thread=thread, post=post, author=writer, body=TEXT)
            )
    for spec in meetings_spec:
        organizer = members[0]
        start = timezone.now()
        meeting = Meeting.objects.create(
            group=groups[spec["group"]],
            title="M",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            audience=spec["audience"],
            organizer=organizer,
        )
        if spec["audience"] != Audience.GROUP:
            MeetingCountry.objects.bulk_create(
                [MeetingCountry(meeting=meeting, country=c) for c in sorted(spec["countries"])]
            )
        for n, (i, removed) in enumerate(spec["messages"]):
            writer = members[i % len(members)]
            message = ChatMessage.objects.create(
                meeting=meeting,
                author=writer,
                client_id=f"c{n}",
                seq=n + 1,
                body=TEXT,
                html=TEXT,
                removed_at=timezone.now() if removed else None,
            )
            entries.append(
                entry(
                    kind=EntryKind.CHAT, meeting=meeting, message=message, author=writer, body=TEXT
                )
            )
    for e in entries:
        e.title, e.body = index_text(e.title), index_text(e.body)
    Entry.objects.bulk_create(entries)
    return members


def allowed(member) -> set[tuple[str, int]]:
    """What the visibility rule lets `member` read, asked thing by thing."""
    threads = set(visibility.visible_threads(member).values_list("pk", flat=True))
    posts = visibility.readable_post_ids(member, Post.objects.values_list("pk", flat=True))
    meetings = set(visibility.visible_meetings(member).values_list("pk", flat=True))
    chat = {
        m.pk
        for m in ChatMessage.objects.filter(removed_at__isnull=True)
        if m.meeting_id in meetings
    }
    return (
        {("thread", pk) for pk in threads}
        | {("post", pk) for pk in posts}
        | {("chat", pk) for pk in chat}
    )


class _candidates:
    """With `few`, rank only as many best matches as a page needs before the rule."""

    def __init__(self, few: bool) -> None:
        self.few = few

    def __enter__(self) -> None:
        self.saved = search_query.CANDIDATES, search_query.CANDIDATES_MIN
        if self.few:
            search_query.CANDIDATES, search_query.CANDIDATES_MIN = 1, 1

    def __exit__(self, *exc) -> None:
        search_query.CANDIDATES, search_query.CANDIDATES_MIN = self.saved


def found(member, text: str) -> set[tuple[str, int]]:
    return {
        (e.kind, e.post_id or e.message_id or e.thread_id)
        for e in matching_entries(member, parse(text))
    }


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(members_spec=members_st, threads_spec=threads_st, meetings_spec=meetings_st)
def test_every_result_is_something_the_rule_lets_the_member_read(
    members_spec, threads_spec, meetings_spec, legal, promotion
):
    try:
        with transaction.atomic():
            members = build(
                members_spec, threads_spec, meetings_spec, {"legal": legal, "promotion": promotion}
            )
            for member in members:
                expected = allowed(member)
                for text in ("法律", "تعاون", "cooperation -nothing", '"法律合作"'):
                    got = found(member, text)
                    assert got <= expected, (text, got - expected)
                    assert got == expected, (text, expected - got)
                    # The page a search shows (best matches first, then the rule on
                    # those) is the rule's own order, with plenty of candidates and
                    # with too few (where it ranks every readable match instead).
                    order = list(matching_entries(member, parse(text)).values_list("pk", flat=True))
                    for few in (False, True):
                        with _candidates(few):
                            for start in (0, 3):
                                page = page_ids(
                                    member, parse(text), sort="relevance", start=start, count=3
                                )
                                assert page == order[start : start + 4], (text, few, start)
            raise Rollback
    except Rollback:
        pass
