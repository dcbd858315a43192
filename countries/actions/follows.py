"""Following a country, and telling its followers of a newly published assessment."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import Member
from countries.models import Assessment, AssessmentStatus, Country, CountryFollow
from forum import events
from forum.actions import notifications
from forum.models import Notification
from forum.models.notifications import NotificationKind


def set_follow(*, member: Member, country: Country, follow: bool) -> bool:
    """Follow or stop following `country`; return whether the member follows it now."""
    with transaction.atomic():
        if follow:
            CountryFollow.objects.get_or_create(member=member, country_id=country.code)
        else:
            CountryFollow.objects.filter(member=member, country_id=country.code).delete()
    return follow


def notify_followers(assessment_id: int) -> list[Notification]:
    """Tell the followers of an assessment's country that it was published, once.

    Run after the publishing transaction committed (a task). A constant number of
    queries whatever the number of followers; a second run creates nothing. Published
    assessments are for every signed-in member, so every active follower hears of it.
    """
    assessment = (
        Assessment.objects.filter(pk=assessment_id, status=AssessmentStatus.PUBLISHED)
        .select_related("author")
        .first()
    )
    if assessment is None:
        return []
    told = Notification.objects.filter(
        kind=NotificationKind.COUNTRY, data__assessment=assessment.pk
    ).values("recipient")
    recipients = list(
        Member.objects.filter(is_active=True, country_follows__country=assessment.country_id)
        .exclude(pk=assessment.author_id)
        .exclude(pk__in=told)
    )
    if not recipients:
        return []
    now = timezone.now()
    data = {
        "assessment": assessment.pk,
        "country": assessment.country_id,
        "assessed_on": assessment.assessed_on.isoformat(),
        "url": reverse("countries:country", kwargs={"code": assessment.country_id}),
    }
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=recipient,
                    kind=NotificationKind.COUNTRY,
                    actor_id=assessment.author_id,
                    data=data,
                    created_at=now,
                )
                for recipient in recipients
            ],
            batch_size=1000,
        )
        created = list(
            Notification.objects.filter(
                kind=NotificationKind.COUNTRY, data__assessment=assessment.pk, created_at=now
            )
        )
        unread = dict(
            Notification.objects.filter(
                recipient__in=[n.recipient_id for n in created], read_at__isnull=True
            )
            .values_list("recipient")
            .annotate(n=Count("pk"))
        )
        actor = assessment.author.display_name
        events.record_many(
            [
                (
                    notifications.inbox_stream(n.recipient_id),
                    notifications.NOTIFICATION_CREATED,
                    {
                        "id": n.pk,
                        "kind": n.kind,
                        "thread": None,
                        "post_id": None,
                        "actor": actor,
                        "created_at": n.created_at.isoformat(),
                        "unread": unread.get(n.recipient_id, 0),
                    },
                    visibility_scope(n.recipient_id),
                )
                for n in created
            ]
        )
    return created


def visibility_scope(member_id: int):
    from forum import visibility

    # Only the member's own sockets follow their inbox stream.
    return visibility.Scope(countries=frozenset(), members=frozenset([member_id]))


def followers_of_note(thread_id: int) -> list[int]:
    """Return the ids of members following a country a legal-policy thread is tagged with
    (the forum's notifications ask this for every newly published opening post)."""
    from countries.visibility import LEGAL_POLICY
    from forum.models import Tag, Thread

    if not Thread.objects.filter(pk=thread_id, group__slug=LEGAL_POLICY).exists():
        return []
    codes = Tag.objects.filter(threads=thread_id, kind=Tag.Kind.COUNTRY).values("name")
    return list(
        CountryFollow.objects.filter(country__in=codes)
        .values_list("member_id", flat=True)
        .distinct()
    )
