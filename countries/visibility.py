"""Who may see and do what in the country risk database. Built on forum.visibility.

Published assessments are for every signed-in member (their audience is every partner
country); a pending or rejected one only for its author, the legal-policy moderators
and staff. Risk notes are legal-policy threads tagged with the country and follow the
thread rule (`forum.visibility.visible_threads`) unchanged, as do meetings. Missing and
not-yours answer the same 404.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from countries import reference
from countries.models import Assessment, AssessmentStatus, Country, FrozenReport
from forum import visibility
from forum.models import (
    Audience,
    AudienceCountry,
    MeetingState,
    Post,
    PostStatus,
    Role,
    Tag,
    Thread,
    WorkingGroup,
)
from forum.models.groups import MODERATING_ROLES

if TYPE_CHECKING:
    from forum.visibility import Viewer

LEGAL_POLICY = "legal-policy"
ASSESSING_ROLES = frozenset({Role.TRUSTED, *MODERATING_ROLES})
_ISO = re.compile(r"[A-Za-z]{2}")


def signed_in(viewer: Viewer) -> bool:
    return bool(viewer and viewer.is_authenticated and viewer.is_active)


def legal_group() -> WorkingGroup | None:
    """Return the legal-policy working group, which reviews assessments and writes notes."""
    return WorkingGroup.objects.filter(slug=LEGAL_POLICY).first()


def legal_role(viewer: Viewer, group: WorkingGroup | None) -> str | None:
    """Return the viewer's role in legal policy (None outside it)."""
    if group is None or not signed_in(viewer):
        return None
    return visibility.role_in(viewer, group)


# --- countries ---------------------------------------------------------------------------


def partner_countries(viewer: Viewer) -> QuerySet[Country]:
    """Return the partner countries a signed-in member may browse; none for anonymous."""
    if not signed_in(viewer):
        return Country.objects.none()
    return Country.objects.filter(partner=True)


def get_country_or_404(viewer: Viewer, code: str) -> Country:
    """Return partner country `code` for a signed-in viewer; 404 for anything else."""
    if not signed_in(viewer) or not _ISO.fullmatch(code or "") or not reference.is_partner(code):
        raise Http404("No such country.")
    return Country(code=code.upper(), partner=True)


# --- assessments ---------------------------------------------------------------------------


def _moderates_legal(viewer: Viewer) -> bool:
    if viewer.is_staff:
        return True
    return visibility.moderated_groups(viewer).filter(slug=LEGAL_POLICY).exists()


def assessment_filter(viewer: Viewer, *, moderator: bool | None = None) -> Q:
    """Return the condition an assessment meets when `viewer` may read it."""
    if moderator is None:
        moderator = _moderates_legal(viewer)
    if moderator:
        return Q()
    return Q(status=AssessmentStatus.PUBLISHED) | Q(author=viewer)


def visible_assessments(viewer: Viewer, *, moderator: bool | None = None) -> QuerySet[Assessment]:
    """Return the assessments `viewer` may read: published ones, their own, and every one
    for the legal-policy moderators and staff (they review them)."""
    if not signed_in(viewer):
        return Assessment.objects.none()
    return Assessment.objects.filter(assessment_filter(viewer, moderator=moderator))


def published_assessments() -> QuerySet[Assessment]:
    """Return the published assessments: their audience is every partner country."""
    return Assessment.objects.filter(status=AssessmentStatus.PUBLISHED)


def with_parts(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return assessments.select_related("author", "decided_by", "corrects").prefetch_related(
        "levels__dimension", "sources", "exceptions__dimension", "approvals__moderator"
    )


def get_assessment_or_404(viewer: Viewer, pk: int) -> Assessment:
    try:
        return with_parts(visible_assessments(viewer)).get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such assessment.") from None


def can_assess(viewer: Viewer, group: WorkingGroup | None = None) -> bool:
    """Trusted members, moderators and chairs of legal policy (and staff) write assessments."""
    if not signed_in(viewer):
        return False
    if viewer.is_staff:
        return True
    group = group if group is not None else legal_group()
    return legal_role(viewer, group) in ASSESSING_ROLES


def can_review_assessments(viewer: Viewer) -> bool:
    """Legal-policy moderators and chairs (and staff) review assessments."""
    return signed_in(viewer) and _moderates_legal(viewer)


def may_approve(viewer: Viewer, assessment: Assessment) -> bool:
    """Never its author; only a reviewer; only while pending; once per reviewer."""
    return (
        assessment.status == AssessmentStatus.PENDING
        and assessment.author_id != viewer.pk
        and can_review_assessments(viewer)
        and not any(a.moderator_id == viewer.pk for a in assessment.approvals.all())
    )


def assessment_queue(viewer: Viewer) -> QuerySet[Assessment]:
    """Return the pending assessments `viewer` may decide: not their own."""
    if not can_review_assessments(viewer):
        return Assessment.objects.none()
    return with_parts(
        Assessment.objects.filter(status=AssessmentStatus.PENDING).exclude(author=viewer)
    ).order_by("submitted_at", "pk")


def can_publish_report(viewer: Viewer) -> bool:
    """A legal-policy chair (or staff) publishes the partners edition of a year."""
    group = legal_group()
    return signed_in(viewer) and group is not None and visibility.can_chair(viewer, group)


# --- notes and other threads tagged with a country ------------------------------------------


def _tagged(code: str) -> Q:
    return Q(
        Exists(
            Thread.tags.through.objects.filter(
                thread=OuterRef("pk"), tag__kind=Tag.Kind.COUNTRY, tag__name=code
            )
        )
    )


def visible_notes(viewer: Viewer, code: str) -> QuerySet[Thread]:
    """Return the risk notes on `code` that `viewer` may see: legal-policy threads tagged
    with the country, through the thread rule."""
    return (
        visibility.visible_threads(viewer)
        .filter(group__slug=LEGAL_POLICY)
        .filter(_tagged(code))
        .select_related("author", "group")
        .prefetch_related("tags")
        .order_by("-created_at", "-pk")
    )


def visible_country_threads(viewer: Viewer, code: str) -> QuerySet[Thread]:
    """Return the other threads tagged with `code` that `viewer` may see (outside legal policy)."""
    return (
        visibility.visible_threads(viewer)
        .exclude(group__slug=LEGAL_POLICY)
        .filter(_tagged(code))
        .select_related("author", "group")
        .order_by("-last_activity_at", "-pk")
    )


def partner_wide_notes(code: str) -> QuerySet[Thread]:
    """Return the published notes on `code` whose audience is every partner country:
    the only notes the partners edition of the report may carry."""
    partners = sorted(reference.partner_codes())
    covered = (
        AudienceCountry.objects.filter(thread=OuterRef("pk"), country__in=partners)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    published_opening = Post.objects.filter(
        thread=OuterRef("pk"), parent__isnull=True, status=PostStatus.PUBLISHED
    )
    return (
        Thread.objects.filter(group__slug=LEGAL_POLICY)
        .filter(_tagged(code))
        .filter(Exists(published_opening))
        .annotate(covered=Subquery(covered))
        .filter(Q(audience=Audience.GROUP) | Q(covered=len(partners)))
        .select_related("author", "group")
        .prefetch_related("tags")
        .order_by("-created_at", "-pk")
    )


def note_dimension(thread: Thread, dimension_codes: set[str]) -> str | None:
    """Return the dimension a note is filed under (its legal-policy topic tag), if any.
    Reads prefetched tags: no query."""
    for tag in thread.tags.all():
        if tag.kind == Tag.Kind.TOPIC and tag.name in dimension_codes:
            return tag.name
    return None


# --- meetings ---------------------------------------------------------------------------------


def upcoming_meetings_about(viewer: Viewer, code: str, now: datetime):
    """Return the upcoming meetings addressed to `code` that `viewer` may see."""
    return (
        visibility.visible_meetings(viewer)
        .filter(countries__country=code, ends_at__gte=now)
        .filter(state__in=[MeetingState.SCHEDULED, MeetingState.LIVE])
        .order_by("starts_at", "pk")
        .distinct()
    )


# --- reports ----------------------------------------------------------------------------------


def frozen_report(code: str, year: int) -> FrozenReport | None:
    """Return the published partners edition of `code`'s `year`, if any. Its audience is
    every partner country, so any signed-in member may read it."""
    return FrozenReport.objects.filter(country=code, year=year, edition="partners").first()
