import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.actions import memberships
from forum.models import Membership, Role


def test_chair_changes_a_members_role(chair, member):
    membership = member.memberships.get()
    memberships.change_role(actor=chair, membership=membership, role=Role.MODERATOR)
    membership.refresh_from_db()
    assert membership.role == Role.MODERATOR


def test_moderator_cannot_change_roles(moderator, member):
    with pytest.raises(PermissionDenied):
        memberships.change_role(
            actor=moderator, membership=member.memberships.get(), role=Role.CHAIR
        )


def test_the_last_chair_cannot_step_down_or_be_removed(chair):
    membership = chair.memberships.get()
    with pytest.raises(ValidationError):
        memberships.change_role(actor=chair, membership=membership, role=Role.MEMBER)
    with pytest.raises(ValidationError):
        memberships.remove_member(actor=chair, membership=membership)
    assert Membership.objects.get(pk=membership.pk).role == Role.CHAIR


def test_removed_member_loses_the_group_page_at_once(chair_client, member, member_client, legal):
    membership = member.memberships.get()
    assert member_client.get(reverse("group", args=[legal.slug])).status_code == 200
    chair_client.post(
        reverse("group_members", args=[legal.slug]),
        {"membership": membership.pk, "action": "remove"},
    )
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert member_client.get(reverse("group", args=[legal.slug])).status_code == 404


def test_unknown_role_is_refused_with_a_message(chair_client, member, legal):
    membership = member.memberships.get()
    response = chair_client.post(
        reverse("group_members", args=[legal.slug]),
        {"membership": membership.pk, "action": "role", "role": "emperor"},
        follow=True,
    )
    assert "Unknown role" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_plain_member_gets_404_for_the_members_page(member_client, legal):
    assert member_client.get(reverse("group_members", args=[legal.slug])).status_code == 404
