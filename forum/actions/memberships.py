"""Changing who belongs to a working group, and with which role."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Member
from forum import visibility
from forum.models import Membership, Role, WorkingGroup


def _check_chair(actor: Member, group: WorkingGroup) -> None:
    if not visibility.can_chair(actor, group):
        raise PermissionDenied(_("Only the group's chairs manage its members."))


def chairless_groups(removed: Iterable[Membership]) -> list[WorkingGroup]:
    """Return the groups that taking all of `removed` away would leave without a chair."""
    chairs = [m for m in removed if m.role == Role.CHAIR]
    if not chairs:
        return []
    groups = {m.group_id for m in chairs}
    still_chaired = set(
        Membership.objects.filter(group_id__in=groups, role=Role.CHAIR)
        .exclude(pk__in=[m.pk for m in chairs])
        .values_list("group_id", flat=True)
    )
    return list(WorkingGroup.objects.filter(pk__in=groups - still_chaired))


def check_keeps_a_chair(membership: Membership, *, role: str | None) -> None:
    """Refuse giving `membership` the role `role` (None: removing it) when that would
    leave its group without a chair."""
    if role != Role.CHAIR and chairless_groups([membership]):
        raise ValidationError(_("A working group needs at least one chair."), code="last_chair")


def add_member(*, actor: Member, member: Member, group: WorkingGroup, role: str) -> Membership:
    """Make `member` a member of `group` with `role`."""
    _check_chair(actor, group)
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if Membership.objects.filter(member=member, group=group).exists():
        raise ValidationError(_("That person is already a member of this working group."))
    # Open sockets of the member learn of it at once (forum.events.membership_changed).
    return Membership.objects.create(member=member, group=group, role=role)


def change_role(*, actor: Member, membership: Membership, role: str) -> Membership:
    """Give `membership` a new role; a group always keeps at least one chair."""
    _check_chair(actor, membership.group)
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == role:
            return locked
        check_keeps_a_chair(locked, role=role)
        locked.role = role
        locked.save(update_fields=["role"])
    return locked


def remove_member(*, actor: Member, membership: Membership) -> None:
    """Take a member out of a group; they lose access to it at once."""
    _check_chair(actor, membership.group)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        check_keeps_a_chair(locked, role=None)
        # Open sockets of the removed member close at once (forum.events.membership_changed).
        locked.delete()
