"""Changing who belongs to a working group, and with which role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Member
from forum import visibility
from forum.models import Membership, Role


def _check_chair(actor: Member, membership: Membership) -> None:
    if not visibility.can_chair(actor, membership.group):
        raise PermissionDenied(_("Only the group's chairs manage its members."))


def _ensure_chair_remains(membership: Membership) -> None:
    others = Membership.objects.filter(group_id=membership.group_id, role=Role.CHAIR).exclude(
        pk=membership.pk
    )
    if membership.role == Role.CHAIR and not others.exists():
        raise ValidationError(_("A working group needs at least one chair."))


def change_role(*, actor: Member, membership: Membership, role: str) -> Membership:
    """Give `membership` a new role; a group always keeps at least one chair."""
    _check_chair(actor, membership)
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == role:
            return locked
        if role != Role.CHAIR:
            _ensure_chair_remains(locked)
        locked.role = role
        locked.save(update_fields=["role"])
    return locked


def remove_member(*, actor: Member, membership: Membership) -> None:
    """Take a member out of a group; they lose access to it at once."""
    _check_chair(actor, membership)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        _ensure_chair_remains(locked)
        # Open sockets of the removed member close at once (forum.events.membership_changed).
        locked.delete()
