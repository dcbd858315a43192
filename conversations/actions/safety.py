"""Blocking members, reporting messages to staff, and applying the retention setting."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from conversations import live
from conversations import visibility as rules
from conversations.actions.messages import drop_files
from conversations.models import Block, DirectMessage, MessageReport
from forum import limits

# A report shows the reported message and at most this many before and after it.
CONTEXT_MESSAGES = 2


def block(*, blocker: Member, blocked: Member) -> Block:
    """Stop `blocked` from messaging `blocker`; they only ever learn "cannot message"."""
    if blocker.pk == blocked.pk:
        raise ValidationError(_("You cannot block yourself."), code="self")
    try:
        with transaction.atomic():
            return Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        return Block.objects.get(blocker=blocker, blocked=blocked)


def unblock(*, blocker: Member, blocked: Member) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def report(*, reporter: Member, message: DirectMessage, reason: str) -> MessageReport:
    """Report a message to staff with a copy of it and its nearest neighbours.

    The copy is all staff ever see of the conversation.
    """
    if not rules.can_report(reporter, message):
        raise PermissionDenied(_("You cannot report this message."))
    reason = limits.check_note(reason)
    if not reason:
        raise ValidationError(_("Say what is wrong with the message."), code="reason_empty")
    if not limits.consume(f"dm-report:{reporter.pk}", limit=10, window=3600):
        raise limits.RateLimited(_("Too many reports this hour."), code="rate_limited")
    shown = rules.visible_messages(reporter, message.conversation)
    before = list(shown.filter(seq__lt=message.seq).order_by("-seq")[:CONTEXT_MESSAGES])
    after = list(shown.filter(seq__gt=message.seq).order_by("seq")[:CONTEXT_MESSAGES])
    context = [
        {
            "id": m.pk,
            "seq": m.seq,
            "author": m.author.display_name,
            "author_handle": m.author.handle,
            "html": "" if m.deleted else m.html,
            "deleted": m.deleted,
            "created_at": m.created_at.isoformat(),
            "reported": m.pk == message.pk,
        }
        for m in [*reversed(before), message, *after]
    ]
    return MessageReport.objects.create(
        message=message, reporter=reporter, reason=reason, context=context
    )


def resolve_report(*, staff: Member, report: MessageReport) -> MessageReport:
    if not staff.is_staff:
        raise PermissionDenied(_("Only staff handle reports of direct messages."))
    if report.resolved_at is None:
        report.resolved_at, report.resolved_by = timezone.now(), staff
        report.save(update_fields=["resolved_at", "resolved_by"])
    return report


def apply_retention(*, now=None) -> int:
    """Delete messages older than DM_RETENTION_DAYS (None: keep forever); return how many.

    Their logged copies are emptied first, so that no replay brings them back.
    """
    days = getattr(settings, "DM_RETENTION_DAYS", None)
    if days is None:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=int(days))
    deleted = 0
    old = DirectMessage.objects.filter(created_at__lt=cutoff).select_related("conversation")
    for message in old.iterator():
        with transaction.atomic():
            message.body = message.html = ""
            message.deleted_at = message.deleted_at or timezone.now()
            live.rewrite_logged(message, live.everyone_ever(message.conversation))
            drop_files(message)
            message.delete()
            deleted += 1
    return deleted
