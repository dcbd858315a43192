"""One rule: for random members, groups, audiences, moderation states and moves, the SQL
filter of the pages, the in-memory check of sockets and digests, the SQL filter over
members (notifications, mentions) and the thread page itself all agree."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Member, Organization
from forum import visibility
from forum.models import (
    Audience,
    AudienceCountry,
    Membership,
    Post,
    PostStatus,
    Role,
    Thread,
)

COUNTRIES = ["CN", "ZM", "KE"]
ROLES = [Role.MEMBER, Role.TRUSTED, Role.MODERATOR, Role.CHAIR]
STATUSES = [PostStatus.PUBLISHED, PostStatus.PENDING, PostStatus.REJECTED, PostStatus.REMOVED]

members_st = st.lists(
    st.fixed_dictionaries(
        {
            "country": st.sampled_from(COUNTRIES),
            # Per group: absent, or a role.
            "legal": st.one_of(st.none(), st.sampled_from(ROLES)),
            "promotion": st.one_of(st.none(), st.sampled_from(ROLES)),
            "staff": st.sampled_from([False, False, False, True]),
        }
    ),
    min_size=2,
    max_size=5,
)
threads_st = st.lists(
    st.fixed_dictionaries(
        {
            "author": st.integers(min_value=0, max_value=4),
            "audience": st.sampled_from([Audience.GROUP, Audience.DOMESTIC, Audience.COUNTRIES]),
            "countries": st.sets(st.sampled_from(COUNTRIES), max_size=2),
            "status": st.sampled_from(STATUSES),
            "moved": st.booleans(),
        }
    ),
    min_size=1,
    max_size=3,
)


class Rollback(Exception):
    """Leave the database as the example found it."""


def build(members_spec, threads_spec, legal, promotion):
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
        for group, key in ((legal, "legal"), (promotion, "promotion")):
            if spec[key] is not None:
                Membership.objects.create(member=member, group=group, role=spec[key])
        members.append(member)
    threads = []
    for spec in threads_spec:
        author = members[spec["author"] % len(members)]
        # A thread starts where its author belongs, as create_thread insists.
        groups = [
            g for g in (legal, promotion) if Membership.objects.filter(member=author, group=g)
        ]
        if not groups:
            continue
        group = groups[0]
        thread = Thread.objects.create(
            group=group, title="T", author=author, audience=spec["audience"], post_counter=1
        )
        codes = []
        if spec["audience"] == Audience.DOMESTIC:
            codes = [author.country.code]
        elif spec["audience"] == Audience.COUNTRIES:
            codes = sorted(set(spec["countries"]) | {author.country.code})
        AudienceCountry.objects.bulk_create(
            [AudienceCountry(thread=thread, country=c) for c in codes]
        )
        Post.objects.create(
            thread=thread,
            author=author,
            number=1,
            depth=0,
            path="0001",
            status=spec["status"],
            body_source="x",
            body_html="<p>x</p>",
        )
        if spec["moved"]:
            Thread.objects.filter(pk=thread.pk).update(group=promotion if group == legal else legal)
        threads.append(Thread.objects.select_related("group").get(pk=thread.pk))
    return members, threads


def in_memory(member, thread) -> bool:
    """What a socket, a digest or an email decides, from the thread's scope."""
    if not (member.is_staff or visibility.role_in(member, thread.group)):
        return False  # no socket or digest section for a group one is not in
    opening = thread.posts.get(number=1)
    scope = visibility.thread_audience(thread, status=opening.status, author_id=opening.author_id)
    return scope.admits(visibility.reader_for(member, thread.group))


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(members_spec=members_st, threads_spec=threads_st)
def test_pages_sockets_and_member_filters_agree_on_every_thread(
    members_spec, threads_spec, legal, promotion
):
    try:
        with transaction.atomic():
            members, threads = build(members_spec, threads_spec, legal, promotion)
            for member in members:
                client = Client()
                client.force_login(member)
                sql = set(visibility.visible_threads(member).values_list("pk", flat=True))
                for thread in threads:
                    opening = thread.posts.get(number=1)
                    scope = visibility.thread_audience(
                        thread, status=opening.status, author_id=opening.author_id
                    )
                    by_members = Member.objects.filter(
                        scope.members_q(thread.group_id), pk=member.pk
                    ).exists()
                    seen = thread.pk in sql
                    case = (member.country.code, member.is_staff, thread.audience, opening.status)
                    assert seen == in_memory(member, thread) == by_members, case
                    status = client.get(f"/t/{thread.pk}/").status_code
                    assert status == (200 if seen else 404), case
            raise Rollback
    except Rollback:
        pass
