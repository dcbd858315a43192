"""Querysets built once per shape and run with new ids answer as the queryset would."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count

from attachments.models import Attachment, Blob
from forum.models import Membership, Post, Thread
from forum.prepared import PreparedQuery, stand_in

pytestmark = pytest.mark.django_db


def _members_of(*, group: int):
    return Membership.objects.filter(group=group).order_by("member").values_list("member", "role")


def test_a_prepared_query_answers_as_its_queryset_for_every_id(legal, promotion, member, chair):
    prepared = PreparedQuery(_members_of)
    for group in (legal, promotion, legal):
        expected = list(_members_of(group=group.pk))
        assert [tuple(row) for row in prepared.rows("members", group=group.pk)] == expected
    assert len(prepared.shapes) == 1  # built once, run three times


def test_a_list_of_ids_is_part_of_the_shape(member, other_country_member, legal):
    def memberships(*, members):
        return Membership.objects.filter(member__in=members).values_list("member", flat=True)

    prepared = PreparedQuery(memberships)
    assert {row[0] for row in prepared.rows("m", members=[member.pk])} == {member.pk}
    both = [member.pk, other_country_member.pk]
    assert {row[0] for row in prepared.rows("m", members=both)} == set(both)
    assert len(prepared.shapes) == 2


def test_a_stand_in_fails_when_the_rule_reads_a_field_it_was_not_given():
    sender = stand_in(get_user_model(), id=-1, is_staff=False, country="ZM")
    assert sender.country.code == "ZM" and sender.is_staff is False
    with pytest.raises(get_user_model().DoesNotExist):
        sender.email  # noqa: B018


def test_an_id_the_query_does_not_take_as_a_parameter_is_refused(legal):
    def constant(*, group: int):
        return Membership.objects.filter(group=legal.pk).values_list("member")

    with pytest.raises(ValueError, match="parameter"):
        PreparedQuery(constant).rows("constant", group=legal.pk)


def _threads_with_related(*, thread: int):
    return (
        Thread.objects.filter(pk=thread)
        .select_related("group", "author")
        .annotate(shown_posts=Count("posts"))
    )


def test_prepared_objects_are_the_querysets_instances_with_related_rows_and_annotations(
    thread, domestic_thread, django_assert_num_queries
):
    prepared = PreparedQuery(_threads_with_related)
    for wanted in (thread, domestic_thread, thread):
        [expected] = _threads_with_related(thread=wanted.pk)
        with django_assert_num_queries(1):
            [found] = prepared.objects("threads", thread=wanted.pk)
            # Converted values (an aware datetime on SQLite too), related rows, annotations.
            assert found.created_at == expected.created_at and found.created_at.tzinfo
            assert (found.pk, found.title, found.audience) == (
                expected.pk,
                expected.title,
                expected.audience,
            )
            assert found.group.slug == expected.group.slug
            assert found.author.handle == expected.author.handle
            assert found.shown_posts == expected.shown_posts == 1
    assert prepared.objects("threads", thread=10**12) == []
    assert len(prepared.shapes) == 1


def test_prepared_objects_refuse_a_values_query(legal):
    with pytest.raises(ValueError, match="rows"):
        PreparedQuery(_members_of).objects("members", group=legal.pk)


def test_ids_reach_a_positive_field_in_an_in_list(thread, member):
    # PostgreSQL gets these as typed integers (psycopg's Int8): still the stand-ins.
    posts = ContentType.objects.get_for_model(Post)
    blob = Blob.objects.create(sha256="0" * 64, size=1, mime="text/plain", kind="text", name="b")
    for owner in (thread.pk, thread.pk + 1000):
        Attachment.objects.create(
            blob=blob, uploader=member, name="f.txt", owner_type=posts, owner_id=owner
        )

    def files(*, owners):
        return Attachment.objects.filter(owner_id__in=owners).values_list("owner_id")

    prepared = PreparedQuery(files)
    assert prepared.rows("files", owners=[thread.pk, thread.pk + 2000]) == [(thread.pk,)]
    assert prepared.rows("files", owners=[thread.pk + 1000, thread.pk + 2000]) == [
        (thread.pk + 1000,)
    ]
    assert len(prepared.shapes) == 1
