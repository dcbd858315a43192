"""Submitting, approving and rejecting country risk assessments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from countries import reference
from countries import visibility as rules
from countries.models import (
    Assessment,
    AssessmentApproval,
    AssessmentStatus,
    Country,
    Dimension,
    DimensionLevel,
    Level,
    RegionalException,
    Source,
    Trend,
)
from forum import limits
from forum.rendering import render_markdown

REASONING_MAX = 20_000
SOURCES_MAX = 20
EXCEPTIONS_MAX = 20
TEXT_MAX = 300


@dataclass(frozen=True)
class LevelInput:
    dimension: str  # the dimension's code
    level: int
    trend: str
    reasoning: str


@dataclass(frozen=True)
class SourceInput:
    title: str
    publisher: str
    published_on: date
    url: str


@dataclass(frozen=True)
class ExceptionInput:
    area: str
    level: int
    reason: str
    dimension: str = ""  # optional: the dimension's code


def _short(text: str, what: str, limit: int = TEXT_MAX) -> str:
    text = limits.check_characters(" ".join((text or "").split()))
    if not text:
        raise ValidationError(_("%(what)s is required.") % {"what": what})
    if len(text) > limit:
        raise ValidationError(
            _("%(what)s is too long (at most %(max)d characters).") % {"what": what, "max": limit}
        )
    return text


def _level(value: object) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise ValidationError(_("Choose a level from insignificant to extreme."))
    return level


def _check_levels(levels: Iterable[LevelInput]) -> tuple[list[LevelInput], dict[str, Dimension]]:
    dimensions = {d.code: d for d in Dimension.objects.all()}
    levels = list(levels)
    given = [item.dimension for item in levels]
    if sorted(given) != sorted(dimensions) or len(set(given)) != len(given):
        raise ValidationError(_("Give a level, a trend and reasoning for every dimension."))
    for item in levels:
        _level(item.level)
        if item.trend not in Trend.values:
            raise ValidationError(_("Choose a trend: improving, stable or deteriorating."))
        reasoning = limits.check_characters(item.reasoning or "").strip()
        if not reasoning:
            raise ValidationError(_("Give the reasoning for every dimension."))
        if len(reasoning) > REASONING_MAX:
            raise ValidationError(
                _("Reasoning is too long (at most %(max)d characters).") % {"max": REASONING_MAX}
            )
    return levels, dimensions


def submit_assessment(
    *,
    author: Member,
    country: str,
    assessed_on: date,
    levels: Iterable[LevelInput],
    sources: Iterable[SourceInput],
    exceptions: Iterable[ExceptionInput] = (),
    summary: str = "",
    oecd_category: int | None = None,
    oecd_date: date | None = None,
    corrects: Assessment | None = None,
    correction_note: str = "",
) -> Assessment:
    """Submit an assessment of partner `country` for the legal-policy review queue.

    It waits for review whoever wrote it: nobody approves their own assessment.
    """
    group = rules.legal_group()
    if not rules.can_assess(author, group):
        raise PermissionDenied(
            _("Only trusted members and moderators of legal policy write assessments.")
        )
    code = (country or "").upper()
    if not reference.is_partner(code):
        raise ValidationError(_("Assessments are for partner countries only."))
    if assessed_on > timezone.localdate():
        raise ValidationError(_("The date of an assessment cannot be in the future."))
    levels, dimensions = _check_levels(levels)
    sources = list(sources)
    if not sources:
        raise ValidationError(_("Give at least one source."))
    if len(sources) > SOURCES_MAX:
        raise ValidationError(_("At most %(max)d sources.") % {"max": SOURCES_MAX})
    clean_sources = []
    for source in sources:
        url = (source.url or "").strip()
        if not url.startswith(("https://", "http://")) or len(url) > 500:
            raise ValidationError(_("A source needs a web address (http or https)."))
        clean_sources.append(
            SourceInput(
                title=_short(source.title, _("A source's title")),
                publisher=_short(source.publisher, _("A source's publisher"), 200),
                published_on=source.published_on,
                url=url,
            )
        )
    exceptions = list(exceptions)
    if len(exceptions) > EXCEPTIONS_MAX:
        raise ValidationError(_("At most %(max)d regional exceptions.") % {"max": EXCEPTIONS_MAX})
    for item in exceptions:
        _level(item.level)
        if item.dimension and item.dimension not in dimensions:
            raise ValidationError(_("Unknown dimension."))
    if oecd_category is not None:
        if not 0 <= int(oecd_category) <= 7:
            raise ValidationError(_("The OECD country risk category is from 0 to 7."))
        if oecd_date is None:
            raise ValidationError(_("Give the date of the OECD category."))
    if corrects is not None:
        if corrects.status != AssessmentStatus.PUBLISHED or corrects.country_id != code:
            raise ValidationError(
                _("A correction names a published assessment of the same country.")
            )
        correction_note = _short(correction_note, _("What the correction corrects"), 500)
    summary = limits.check_characters(" ".join((summary or "").split()))[:TEXT_MAX]
    limits.check_posting_rate(author)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            country=Country.objects.get(pk=code),
            assessed_on=assessed_on,
            author=author,
            summary=summary,
            corrects=corrects,
            correction_note=correction_note if corrects is not None else "",
            oecd_category=oecd_category,
            oecd_date=oecd_date if oecd_category is not None else None,
        )
        DimensionLevel.objects.bulk_create(
            [
                DimensionLevel(
                    assessment=assessment,
                    dimension=dimensions[item.dimension],
                    level=_level(item.level),
                    trend=item.trend,
                    reasoning_source=item.reasoning.strip(),
                    reasoning_html=render_markdown(item.reasoning.strip()),
                )
                for item in levels
            ]
        )
        Source.objects.bulk_create(
            [
                Source(
                    assessment=assessment,
                    title=s.title,
                    publisher=s.publisher,
                    published_on=s.published_on,
                    url=s.url,
                )
                for s in clean_sources
            ]
        )
        RegionalException.objects.bulk_create(
            [
                RegionalException(
                    assessment=assessment,
                    dimension=dimensions.get(item.dimension) if item.dimension else None,
                    area=_short(item.area, _("An exception's area"), 200),
                    level=_level(item.level),
                    reason=_short(item.reason, _("An exception's reason"), 2000),
                )
                for item in exceptions
            ]
        )
    return assessment


def approvals_required() -> int:
    """Four eyes by default (the author and one reviewer); two reviewers from different
    countries when legal policy asks two approvals of its posts."""
    group = rules.legal_group()
    return 2 if group is not None and group.approvals_required == 2 else 1


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("author").get(pk=assessment.pk)


def approve_assessment(*, moderator: Member, assessment: Assessment) -> Assessment:
    """Approve a pending assessment; it is published once enough reviewers approved it.

    Its author never approves it; with two approvals required, the second comes from
    another country than the first.
    """
    if not rules.can_review_assessments(moderator):
        raise PermissionDenied(_("Only legal-policy moderators review assessments."))
    needed = approvals_required()
    with transaction.atomic():
        locked = _lock(assessment)
        if locked.author_id == moderator.pk:
            raise PermissionDenied(_("Nobody approves their own assessment."))
        if locked.status != AssessmentStatus.PENDING:
            raise ValidationError(_("This assessment was already decided."))
        earlier = list(locked.approvals.all())
        if any(a.moderator_id == moderator.pk for a in earlier):
            raise ValidationError(_("You already approved this assessment."))
        if earlier and needed > 1 and all(a.country == moderator.country.code for a in earlier):
            raise ValidationError(
                _("The second approval must come from a moderator in another country.")
            )
        now = timezone.now()
        AssessmentApproval.objects.create(
            assessment=locked, moderator=moderator, country=moderator.country.code, created_at=now
        )
        if len(earlier) + 1 >= needed:
            locked.status = AssessmentStatus.PUBLISHED
            locked.published_at = now
            locked.decided_by = moderator
            locked.decided_at = now
            locked.save(update_fields=["status", "published_at", "decided_by", "decided_at"])
            _tell_followers_after_commit(locked.pk)
    return locked


def reject_assessment(*, moderator: Member, assessment: Assessment, note: str) -> Assessment:
    """Send a pending assessment back with a reason; it stays visible to its author."""
    if not rules.can_review_assessments(moderator):
        raise PermissionDenied(_("Only legal-policy moderators review assessments."))
    note = limits.check_note(note)
    if not note:
        raise ValidationError(_("Say why the assessment is not approved."))
    with transaction.atomic():
        locked = _lock(assessment)
        if locked.author_id == moderator.pk:
            raise PermissionDenied(_("Nobody decides on their own assessment."))
        if locked.status != AssessmentStatus.PENDING:
            raise ValidationError(_("This assessment was already decided."))
        locked.status = AssessmentStatus.REJECTED
        locked.decided_by = moderator
        locked.decided_at = timezone.now()
        locked.reject_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "reject_note"])
    return locked


def _tell_followers_after_commit(assessment_id: int) -> None:
    from countries import tasks

    transaction.on_commit(lambda: tasks.notify_followers.enqueue(assessment_id), robust=True)
