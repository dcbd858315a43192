"""Querysets built once per shape and run with new ids answer as the queryset would."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from forum.models import Membership
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
