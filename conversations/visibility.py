"""Who may write to whom, and who may read which conversation. Every read path asks here.

Built on forum.visibility: a member never learns that a person exists unless
`visible_members` shows them that person. A conversation, a message and a report
that are not the viewer's answer exactly like missing ones (Http404). Group
moderators get nothing here; staff see only reports, never conversations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from conversations.models import Block, Conversation, DirectMessage, MessageReport, Participant
from forum import visibility
from forum.models import Membership
from forum.prepared import PreparedQuery, viewer_shape, viewer_stand_in

if TYPE_CHECKING:
    from accounts.models import Member
    from forum.visibility import Viewer

# DM_POLICY: who may write to whom.
SHARED_GROUP = "shared group"  # any two members who share a working group
SAME_GROUP_ONLY = "same group only"  # every member of a conversation is in one same group
SAME_COUNTRY_ONLY = "same country only"  # sharing a group, and from the same country
OFF = "off"  # no direct messages at all
POLICIES = (SHARED_GROUP, SAME_GROUP_ONLY, SAME_COUNTRY_ONLY, OFF)

PARTICIPANTS_MIN, PARTICIPANTS_MAX = 2, 10


class CannotMessage(ValidationError):
    """The sender may not write to this member (or conversation) now."""


def policy() -> str:
    """Return the deployment's DM_POLICY (unknown values count as the default)."""
    value = getattr(settings, "DM_POLICY", SHARED_GROUP)
    return value if value in POLICIES else SHARED_GROUP


def enabled() -> bool:
    return policy() != OFF


def _signed_in(viewer: Viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and viewer.is_active


def messageable_members(sender: Viewer) -> QuerySet[Member]:
    """Return the members `sender` may start a conversation with, under the policy.

    A subset of `visible_members`: never anyone the sender could not otherwise see.
    Members who blocked the sender are included (they must not learn of the block
    from a list); sending to them is refused with "cannot message this member".
    """
    members = visibility.visible_members(sender)
    if not _signed_in(sender) or not enabled():
        return members.none()
    shares = Membership.objects.filter(member=OuterRef("pk"), group__memberships__member=sender)
    members = members.filter(Exists(shares), is_active=True).exclude(pk=sender.pk)
    if policy() == SAME_COUNTRY_ONLY:
        members = members.filter(country=sender.country)
    return members


def blocked_by(member_ids, author_id: int) -> set[int]:
    """Return which of `member_ids` blocked `author_id` (one query)."""
    return set(
        Block.objects.filter(blocker__in=list(member_ids), blocked=author_id).values_list(
            "blocker", flat=True
        )
    )


def _reachable(member_ids, sender: Viewer) -> tuple[set[int], set[int]]:
    """Return (those of `member_ids` the policy lets `sender` write to, those of them who
    blocked `sender`): two queries at most, whatever the number of members."""
    ids = {int(m) for m in member_ids}
    if not ids or not enabled():
        return set(), set()
    allowed = set(messageable_members(sender).filter(pk__in=ids).values_list("pk", flat=True))
    return allowed, (blocked_by(allowed, sender.pk) if allowed else set())


def may_message(sender: Viewer, member_ids) -> set[int]:
    """Return which of `member_ids` `sender` may write to one-to-one now: the rule that
    `check_may_write_to` and `check_may_send` apply (policy, shared group, blocks).

    For the "Message" buttons of profiles and member lists: two queries at most for a
    whole list. Someone who blocked the sender gets no button; like a refused send, that
    tells the sender no more than "cannot message this member".
    """
    if not _signed_in(sender):
        return set()
    allowed, blocking = _reachable(member_ids, sender)
    return allowed - blocking


def check_may_write_to(sender: Member, recipients: list[Member]) -> None:
    """Raise CannotMessage unless `sender` may start a conversation with `recipients`.

    The caller has already resolved recipients through `messageable_members`.
    """
    if not enabled():
        raise CannotMessage(_("Direct messages are turned off on this forum."), code="dm_off")
    if not PARTICIPANTS_MIN <= len(recipients) + 1 <= PARTICIPANTS_MAX:
        raise CannotMessage(
            _("A conversation has %(min)d to %(max)d members.")
            % {"min": PARTICIPANTS_MIN, "max": PARTICIPANTS_MAX},
            code="participants",
        )
    allowed, blocking = _reachable([r.pk for r in recipients], sender)
    if allowed != {r.pk for r in recipients}:
        raise Http404("No such member.")
    if blocking:
        raise CannotMessage(_("You cannot message this member."), code="cannot_message")
    if policy() == SAME_GROUP_ONLY and not _one_common_group([sender.pk, *allowed]):
        raise CannotMessage(
            _("Everyone in a conversation must be in one same working group."), code="no_group"
        )


def _one_common_group(member_ids: list[int]) -> bool:
    groups: set[int] | None = None
    per_member: dict[int, set[int]] = {}
    for member_id, group_id in Membership.objects.filter(member__in=member_ids).values_list(
        "member", "group"
    ):
        per_member.setdefault(member_id, set()).add(group_id)
    for member_id in member_ids:
        mine = per_member.get(member_id, set())
        groups = mine if groups is None else groups & mine
    return bool(groups)


def _send_check(policy_name: str, sender: tuple, *, author: int, conversation: int) -> QuerySet:
    # Built from a stand-in that has only VIEWER_FIELDS: reading more of it fails.
    author_row = viewer_stand_in(author, sender)
    return (
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .annotate(
            blocks=Exists(Block.objects.filter(blocker=OuterRef("member"), blocked=author)),
            reachable=Exists(messageable_members(author_row).filter(pk=OuterRef("member"))),
        )
        .values_list("member", "blocks", "reachable", "conversation__is_group")
    )


_SEND_CHECK = PreparedQuery(_send_check)


def check_may_send(author: Member, conversation: Conversation) -> list[int]:
    """Raise CannotMessage unless `author` may post in `conversation` now (Http404 if
    they are not in it); return who receives the message (see `recipients`), found by
    the same queries.

    In a two-member conversation, the other member's block or the policy stops it; in
    a group conversation, a member who blocked the author simply does not receive.
    """
    if not enabled():
        raise CannotMessage(_("Direct messages are turned off on this forum."), code="dm_off")
    # One query: who is in it, who of them blocked the author, whom the policy lets the
    # author write to, and what kind of conversation it is. Its SQL is built once per
    # policy and VIEWER_FIELDS values (Django took ~3 ms to build it, the database a few
    # hundredths of that to run it), and run for each send.
    shape = (policy(), viewer_shape(author))
    rows = _SEND_CHECK.rows(shape, *shape, author=author.pk, conversation=conversation.pk)
    current = [member_id for member_id, *_rest in rows]
    if author.pk not in current:
        raise Http404("No such conversation.")
    others = [row for row in rows if row[0] != author.pk]
    if not others:
        raise CannotMessage(_("Nobody else is left in this conversation."), code="alone")
    blocking = {m for m, blocks, _reachable, _group in others if blocks}
    is_group = rows[0][3]
    if not is_group and (blocking or not any(reachable for _m, _b, reachable, _g in others)):
        raise CannotMessage(_("You cannot message this member."), code="cannot_message")
    return [m for m in current if m not in blocking]


# --- reading ----------------------------------------------------------------------------


def seats(viewer: Viewer) -> QuerySet[Participant]:
    """Return `viewer`'s seats in conversations they have not left."""
    if not _signed_in(viewer):
        return Participant.objects.none()
    return Participant.objects.filter(member=viewer, left_at__isnull=True)


def conversations_for(viewer: Viewer) -> QuerySet[Conversation]:
    """Return the conversations `viewer` is in, each annotated `unread` (bool), `muted`
    and `read_seq`, unread first, then the most recent."""
    from django.db.models import BooleanField, ExpressionWrapper, Subquery

    mine = seats(viewer).filter(conversation=OuterRef("pk"))
    read_seq = Subquery(mine.values("read_seq")[:1])
    muted = Subquery(mine.values("muted")[:1])
    return (
        Conversation.objects.filter(Exists(mine))
        .annotate(read_seq=read_seq, muted=muted)
        .annotate(
            unread=ExpressionWrapper(Q(last_seq__gt=F("read_seq")), output_field=BooleanField())
        )
        .order_by("-unread", F("last_message_at").desc(nulls_last=True), "-pk")
    )


def unread_count(viewer: Viewer) -> int:
    """Count the conversations with a message the viewer has not read (muted ones aside)."""
    return seats(viewer).filter(muted=False, conversation__last_seq__gt=F("read_seq")).count()


def get_conversation_or_404(viewer: Viewer, pk: int) -> Conversation:
    """Return a conversation `viewer` is in; 404 for missing and for anyone else's."""
    conversation = conversations_for(viewer).filter(pk=pk).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def is_participant(member_id: int, conversation_id: int) -> bool:
    return Participant.objects.filter(
        member=member_id, conversation=conversation_id, left_at__isnull=True
    ).exists()


def visible_messages(viewer: Viewer, conversation: Conversation) -> QuerySet[DirectMessage]:
    """Return the messages of `conversation` that `viewer` may read (a participant's view:
    messages of members they blocked are left out)."""
    if not (_signed_in(viewer) and is_participant(viewer.pk, conversation.pk)):
        return DirectMessage.objects.none()
    blocked = Block.objects.filter(blocker=viewer, blocked=OuterRef("author"))
    return (
        DirectMessage.objects.filter(conversation=conversation)
        .exclude(Exists(blocked))
        .select_related("author", "quote", "quote__author")
    )


def get_message_or_404(viewer: Viewer, pk: int) -> DirectMessage:
    """Return a message in one of `viewer`'s conversations; 404 otherwise."""
    if not _signed_in(viewer):
        raise Http404("No such message.")
    message = (
        DirectMessage.objects.filter(pk=pk, conversation__in=seats(viewer).values("conversation"))
        .exclude(Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("author"))))
        .select_related("conversation", "author")
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    return message


def messages_with_files(viewer: Viewer) -> QuerySet[DirectMessage]:
    """The messages whose files `viewer` may fetch (attachments.owners): a participant's
    view (current participants only; not the messages of a member they blocked); staff
    also the reported messages themselves, never their neighbours. A deleted message has
    no files for anyone."""
    if not _signed_in(viewer):
        return DirectMessage.objects.none()
    blocked = Block.objects.filter(blocker=viewer, blocked=OuterRef("author"))
    seen = Q(conversation__in=seats(viewer).values("conversation")) & ~Q(Exists(blocked))
    if viewer.is_staff:
        seen |= Q(Exists(MessageReport.objects.filter(message=OuterRef("pk"))))
    return DirectMessage.objects.filter(seen, deleted_at__isnull=True)


def can_edit(viewer: Viewer, message: DirectMessage, now=None) -> bool:
    """The author may edit a message that is not deleted, within EDIT_WINDOW."""
    from django.utils import timezone

    now = now or timezone.now()
    return (
        message.author_id == getattr(viewer, "pk", None)
        and message.deleted_at is None
        and now - message.created_at <= edit_window()
    )


def can_delete(viewer: Viewer, message: DirectMessage) -> bool:
    return message.author_id == getattr(viewer, "pk", None) and message.deleted_at is None


def can_report(viewer: Viewer, message: DirectMessage) -> bool:
    return message.author_id != getattr(viewer, "pk", None) and message.deleted_at is None


def edit_window():
    from datetime import timedelta

    return timedelta(minutes=getattr(settings, "DM_EDIT_MINUTES", 15))


def participants_of(conversation: Conversation) -> QuerySet[Participant]:
    """The current members of a conversation, for the page that a participant reads."""
    return (
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("member")
        .order_by("member__display_name", "member__pk")
    )


def recipients(conversation: Conversation, author_id: int) -> list[int]:
    """Return who receives a new message of `author_id`: every current participant
    (the author's other sockets included) except those who blocked the author."""
    current = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True).values_list(
            "member", flat=True
        )
    )
    blocking = blocked_by([m for m in current if m != author_id], author_id)
    return [m for m in current if m not in blocking]


# --- staff ------------------------------------------------------------------------------


def report_queue(viewer: Viewer) -> QuerySet[MessageReport]:
    """Reports of messages, for staff only; nobody else sees any."""
    if not (_signed_in(viewer) and viewer.is_staff):
        return MessageReport.objects.none()
    return MessageReport.objects.select_related("reporter")


def get_report_or_404(viewer: Viewer, pk: int) -> MessageReport:
    report = report_queue(viewer).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report
