"""The digest section "Countries you follow": new assessments and risk notes since the
last digest, in a constant number of queries per batch, through the visibility rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from accounts.models import Member
from countries.models import CountryFollow
from countries.visibility import LEGAL_POLICY, published_assessments
from forum import visibility
from forum.digests import ExtraItem, ExtraSection, _absolute
from forum.models import Post, PostStatus, Tag, Thread


def followed_countries(
    members: list[Member], since: dict[int, datetime], until: datetime
) -> dict[int, ExtraSection]:
    """Per member: the assessments published and the notes started in their followed
    countries since their last digest, each note only if they may read it."""
    follows: dict[int, set[str]] = defaultdict(set)
    for member_id, code in CountryFollow.objects.filter(
        member__in=[m.pk for m in members]
    ).values_list("member_id", "country_id"):
        follows[member_id].add(code)
    if not follows:
        return {}
    codes = set().union(*follows.values())
    earliest = min(since[m] for m in follows)
    assessments = list(
        published_assessments()
        .filter(country__in=codes, published_at__gte=earliest, published_at__lt=until)
        .values_list("pk", "country_id", "assessed_on", "published_at")
    )
    tagged = list(
        Thread.tags.through.objects.filter(
            tag__kind=Tag.Kind.COUNTRY,
            tag__name__in=codes,
            thread__group__slug=LEGAL_POLICY,
            thread__created_at__gte=earliest,
            thread__created_at__lt=until,
        ).values_list(
            "thread_id", "tag__name", "thread__group_id", "thread__title", "thread__created_at"
        )
    )
    openings = dict(
        Post.objects.filter(thread__in={row[0] for row in tagged}, parent__isnull=True).values_list(
            "thread_id", "status"
        )
    )
    audiences = visibility.audiences_of({row[0] for row in tagged})
    readers = visibility.readers_by_group([m for m in members if m.pk in follows])
    sections: dict[int, ExtraSection] = {}
    for member in members:
        mine = follows.get(member.pk)
        if not mine:
            continue
        after = since[member.pk]
        items = [
            ExtraItem(
                # Lazy: the message is rendered later, in the member's language.
                text=format_lazy(
                    gettext_lazy("New risk assessment: {country}, {date}"),
                    country=code,
                    date=assessed_on.isoformat(),
                ),
                url=_absolute(f"/countries/{code}/"),
                when=published_at,
            )
            for _pk, code, assessed_on, published_at in assessments
            if code in mine and published_at >= after
        ]
        seen = set()
        for thread_id, code, group_id, title, created_at in tagged:
            if code not in mine or created_at < after or thread_id in seen:
                continue
            status = openings.get(thread_id)
            reader = readers.get((member.pk, group_id))
            if status != PostStatus.PUBLISHED or reader is None:
                continue
            if not audiences[thread_id].for_post(status).admits(reader):
                continue
            seen.add(thread_id)
            items.append(
                ExtraItem(
                    text=f"{code}: {title}", url=_absolute(f"/t/{thread_id}/"), when=created_at
                )
            )
        if items:
            sections[member.pk] = ExtraSection(
                title=gettext_lazy("Countries you follow"), items=items
            )
    return sections
