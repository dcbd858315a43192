"""Changing who belongs to a working group, and with which role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Member
from forum import events, visibility
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
        reader = visibility.reader_for(locked.member, locked.group)
        transaction.on_commit(
            lambda: events.send_control(
                locked.member_id, "reader", group=locked.group_id, reader=reader.__dict__
            )
        )
    return locked


def remove_member(*, actor: Member, membership: Membership) -> None:
    """Take a member out of a group; they lose access to it at once."""
    _check_chair(actor, membership)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        _ensure_chair_remains(locked)
        member_id, group_id = locked.member_id, locked.group_id
        locked.delete()
        # Open sockets of the removed member stop receiving at once.
        transaction.on_commit(
            lambda: events.send_control(member_id, "close", group=group_id, code=4403)
        )
