"""The header's groups come from the cache, and every change they depend on drops it."""

from __future__ import annotations

import pytest

from forum.models import Membership
from forum.navigation import nav_groups

pytestmark = pytest.mark.django_db


def slugs(member) -> set[str]:
    return {group.slug for group in nav_groups(member)}


def test_a_second_page_reads_the_groups_from_the_cache(member, django_assert_num_queries):
    assert slugs(member) == {"legal-policy"}
    with django_assert_num_queries(0):
        assert slugs(member) == {"legal-policy"}


def test_joining_and_leaving_a_group_show_at_once(member, promotion, legal):
    assert slugs(member) == {"legal-policy"}
    Membership.objects.create(member=member, group=promotion)
    assert slugs(member) == {"legal-policy", "project-promotion"}
    Membership.objects.filter(member=member, group=legal).delete()
    member.memberships.get(group=promotion).delete()
    assert "project-promotion" not in slugs(member)


def test_a_renamed_or_new_group_reaches_every_member(member, legal, staff):
    from forum.models import WorkingGroup

    assert slugs(staff) >= {"legal-policy"}
    legal.name = "Legal policy and regulation"
    legal.save()
    assert [g.name for g in nav_groups(member)] == ["Legal policy and regulation"]
    WorkingGroup.objects.create(slug="new-group", name="New group")
    assert "new-group" in slugs(staff)


def test_deactivation_and_staff_change_what_the_header_shows(member, make_member):
    assert slugs(member) == {"legal-policy"}
    member.is_staff = True
    member.save()
    assert len(slugs(member)) >= 2
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert nav_groups(member) == []
