"""Who may see and do what. Every read path asks this module.

Functions either filter a queryset or raise. Lookups that must not reveal
whether something exists raise Http404 both for "missing" and "not yours".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from forum.models import Membership, Role, WorkingGroup
from forum.models.groups import MODERATING_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import Member

    Viewer = Member | AnonymousUser


def _signed_in(viewer: Viewer) -> bool:
    return bool(viewer and viewer.is_authenticated and viewer.is_active)


def visible_groups(viewer: Viewer) -> QuerySet[WorkingGroup]:
    """Return the working groups `viewer` may see: their own, or all for staff."""
    if not _signed_in(viewer):
        return WorkingGroup.objects.none()
    if viewer.is_staff:
        return WorkingGroup.objects.all()
    return WorkingGroup.objects.filter(memberships__member=viewer)


def get_group_or_404(viewer: Viewer, slug: str) -> WorkingGroup:
    """Return the group `slug` if `viewer` may see it; 404 for missing or not a member."""
    try:
        return visible_groups(viewer).get(slug=slug)
    except WorkingGroup.DoesNotExist:
        raise Http404("No such working group.") from None


def role_in(viewer: Viewer, group: WorkingGroup) -> str | None:
    """Return the viewer's role in `group`, or None when they do not belong to it."""
    if not _signed_in(viewer):
        return None
    return (
        Membership.objects.filter(member=viewer, group=group).values_list("role", flat=True).first()
    )


def can_moderate(viewer: Viewer, group: WorkingGroup) -> bool:
    """Moderators, chairs and staff moderate a group."""
    if not _signed_in(viewer):
        return False
    return viewer.is_staff or role_in(viewer, group) in MODERATING_ROLES


def can_chair(viewer: Viewer, group: WorkingGroup) -> bool:
    """Chairs and staff manage a group's members and invite to it."""
    if not _signed_in(viewer):
        return False
    return viewer.is_staff or role_in(viewer, group) == Role.CHAIR


def invitable_groups(viewer: Viewer) -> QuerySet[WorkingGroup]:
    """Return the groups `viewer` may invite people to."""
    if not _signed_in(viewer):
        return WorkingGroup.objects.none()
    if viewer.is_staff:
        return WorkingGroup.objects.all()
    return WorkingGroup.objects.filter(
        memberships__member=viewer, memberships__role=Role.CHAIR
    ).distinct()


def can_invite(viewer: Viewer) -> bool:
    return invitable_groups(viewer).exists()


def visible_members(viewer: Viewer) -> QuerySet[Member]:
    """Return the members `viewer` may see: those sharing a group, themselves; all for staff."""
    members = get_user_model().objects.filter(is_active=True)
    if not _signed_in(viewer):
        return members.none()
    if viewer.is_staff:
        return get_user_model().objects.all()
    shares_group = Membership.objects.filter(
        member=OuterRef("pk"), group__memberships__member=viewer
    )
    return members.filter(Exists(shares_group) | Q(pk=viewer.pk))


def get_member_or_404(viewer: Viewer, handle: str) -> Member:
    """Return the member with `handle` if `viewer` may see them; 404 otherwise."""
    try:
        return visible_members(viewer).select_related("organization").get(handle=handle)
    except get_user_model().DoesNotExist:
        raise Http404("No such member.") from None


def group_roster(viewer: Viewer, group: WorkingGroup) -> QuerySet[Membership]:
    """Return the memberships of a group `viewer` may see, ready to list by country."""
    if not visible_groups(viewer).filter(pk=group.pk).exists():
        return Membership.objects.none()
    return (
        Membership.objects.filter(group=group, member__is_active=True)
        .select_related("member", "member__organization")
        .order_by("member__country", "member__display_name")
    )
