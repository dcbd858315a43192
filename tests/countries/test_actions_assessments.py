from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from countries.actions import assessments as actions
from countries.models import (
    Assessment,
    AssessmentStatus,
    DimensionLevel,
    PublishedIsFinal,
    Source,
)
from tests.countries.helpers import publish, submit

pytestmark = pytest.mark.django_db


def test_the_data_migration_seeds_four_dimensions_with_five_written_levels():
    from countries.models import Dimension

    dimensions = list(Dimension.objects.prefetch_related("definitions"))
    assert [d.code for d in dimensions] == [
        "political-security",
        "legal-regulatory",
        "currency-financial",
        "operational",
    ]
    for d in dimensions:
        assert [x.level for x in d.definitions.all()] == [1, 2, 3, 4, 5]
        assert all(x.text for x in d.definitions.all())


def test_a_submitted_assessment_waits_for_review_with_rendered_reasoning(assessor):
    assessment = submit(assessor, reasoning="Risk <script>alert(1)</script> **high**")
    assert assessment.status == AssessmentStatus.PENDING
    html = assessment.levels.first().reasoning_html
    assert "<strong>high</strong>" in html and "<script>" not in html


def test_a_plain_member_may_not_assess(member):
    with pytest.raises(PermissionDenied):
        submit(member)


def test_an_assessment_needs_every_dimension_and_a_source(assessor):
    with pytest.raises(ValidationError):
        submit(assessor, levels={"no-such": 2})
    with pytest.raises(ValidationError):
        submit(assessor, sources=[])
    with pytest.raises(ValidationError):
        submit(assessor, code="US")  # not a partner
    with pytest.raises(ValidationError):
        submit(assessor, oecd_category=8, oecd_date=date(2026, 1, 1))
    assert not Assessment.objects.exists()


def test_the_author_may_not_approve_their_own_assessment(moderator):
    assessment = submit(moderator)
    with pytest.raises(PermissionDenied):
        actions.approve_assessment(moderator=moderator, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.PENDING
    assert not assessment.approvals.exists()


def test_four_eyes_one_other_moderator_publishes_by_default(assessor, moderator):
    assessment = publish(assessor, moderator)
    assert assessment.status == AssessmentStatus.PUBLISHED
    assert assessment.published_at is not None
    assert [a.moderator for a in assessment.approvals.all()] == [moderator]


def test_with_two_approvals_required_the_second_comes_from_another_country(
    assessor, moderator, make_member, legal, second_moderator
):
    from forum.models import Role

    legal.approvals_required = 2
    legal.save(update_fields=["approvals_required"])
    assessment = submit(assessor)
    actions.approve_assessment(moderator=moderator, assessment=assessment)  # KE
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.PENDING
    same_country = make_member(country="KE", groups=[legal], role=Role.MODERATOR)
    with pytest.raises(ValidationError):
        actions.approve_assessment(moderator=same_country, assessment=assessment)
    actions.approve_assessment(moderator=second_moderator, assessment=assessment)  # ZM
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.PUBLISHED


def test_a_member_outside_the_reviewers_may_not_approve(assessor, member):
    assessment = submit(assessor)
    with pytest.raises(PermissionDenied):
        actions.approve_assessment(moderator=member, assessment=assessment)


def test_a_published_assessment_is_immutable(assessor, moderator):
    assessment = publish(assessor, moderator)
    loaded = Assessment.objects.get(pk=assessment.pk)
    loaded.summary = "changed"
    with pytest.raises(PublishedIsFinal):
        loaded.save()
    with pytest.raises(PublishedIsFinal):
        Assessment.objects.filter(pk=assessment.pk).update(summary="changed")
    with pytest.raises(PublishedIsFinal):
        loaded.delete()
    with pytest.raises(PublishedIsFinal):
        Assessment.objects.filter(pk=assessment.pk).delete()
    level = DimensionLevel.objects.filter(assessment=assessment).first()
    level.level = 5
    with pytest.raises(PublishedIsFinal):
        level.save()
    with pytest.raises(PublishedIsFinal):
        DimensionLevel.objects.filter(assessment=assessment).update(level=5)
    with pytest.raises(PublishedIsFinal):
        Source.objects.create(
            assessment=assessment,
            title="Added later",
            publisher="x",
            published_on=date(2026, 1, 1),
            url="https://example.org",
        )
    with pytest.raises(ValidationError):
        actions.approve_assessment(moderator=moderator, assessment=assessment)
    assert DimensionLevel.objects.filter(assessment=assessment, level=5).count() == 0
    assert Assessment.objects.get(pk=assessment.pk).summary == ""


def test_a_correction_is_a_new_assessment_naming_what_it_corrects(assessor, moderator):
    original = publish(assessor, moderator)
    with pytest.raises(ValidationError):
        submit(assessor, corrects=original, correction_note="")
    correction = submit(
        assessor, corrects=original, correction_note="The operational level was a typo."
    )
    assert correction.pk != original.pk
    assert correction.corrects == original
    with pytest.raises(ValidationError):
        submit(assessor, code="ZM", corrects=original, correction_note="wrong country")


def test_a_rejected_assessment_keeps_its_reason(assessor, moderator):
    assessment = submit(assessor)
    with pytest.raises(ValidationError):
        actions.reject_assessment(moderator=moderator, assessment=assessment, note="")
    rejected = actions.reject_assessment(
        moderator=moderator, assessment=assessment, note="Sources are too old."
    )
    assert rejected.status == AssessmentStatus.REJECTED
    assert rejected.reject_note == "Sources are too old."


def test_a_stale_copy_cannot_overwrite_a_published_assessment(assessor, moderator):
    stale = submit(assessor)
    actions.approve_assessment(moderator=moderator, assessment=stale)
    stale.summary = "overwritten"
    with pytest.raises(PublishedIsFinal):
        stale.save()
    assert Assessment.objects.get(pk=stale.pk).status == AssessmentStatus.PUBLISHED


def test_the_database_itself_refuses_to_change_a_published_assessment(assessor, moderator):
    from django.db import DatabaseError, connection, transaction

    assessment = publish(assessor, moderator)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE countries_assessment SET summary = 'raw' WHERE id = %s", [assessment.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE countries_dimensionlevel SET level = 5 WHERE assessment_id = %s",
            [assessment.pk],
        )
    assert Assessment.objects.get(pk=assessment.pk).summary == ""
    pending = submit(assessor)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE countries_assessment SET summary = 'fine' WHERE id = %s", [pending.pk]
        )
    assert Assessment.objects.get(pk=pending.pk).summary == "fine"
