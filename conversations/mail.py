"""Messages left unread for 15 minutes: in the immediate notification email (if the
member chose it) and in the digest.

Both ask the same selector, `unread_messages`, which never returns a deleted message, a
muted conversation, one the member left, or a message from someone they blocked.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext_lazy

from conversations.live import preview
from conversations.models import Block, DirectMessage, MailPreference, Participant

logger = logging.getLogger(__name__)

# A message read within this long sends no email.
UNREAD_AFTER = timedelta(minutes=15)
MAX_PER_EMAIL = 20


@dataclass
class UnreadItem:
    conversation_id: int
    seq: int
    author: str
    excerpt: str
    created_at: datetime

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}/messages/{self.conversation_id}/#m{self.seq}"


def unread_messages(
    member_ids: list[int],
    *,
    until: datetime,
    since: dict[int, datetime] | None = None,
    for_email: bool = False,
) -> dict[int, list[UnreadItem]]:
    """Return each member's unread messages written before `until - UNREAD_AFTER` (and
    after `since[member]`, if given), oldest first: two queries for any number of members.

    `for_email` also skips what an earlier immediate email already covered.
    """
    seats = Participant.objects.filter(
        member__in=member_ids,
        left_at__isnull=True,
        muted=False,
        member__is_active=True,
        conversation__last_seq__gt=F("read_seq"),
    ).values_list("member", "conversation", "read_seq", "emailed_seq")
    floor: dict[tuple[int, int], int] = {}
    for member_id, conversation_id, read_seq, emailed_seq in seats:
        floor[(member_id, conversation_id)] = max(read_seq, emailed_seq) if for_email else read_seq
    if not floor:
        return {}
    cutoff = until - UNREAD_AFTER
    earliest = min(since.values()) if since else None
    messages = DirectMessage.objects.filter(
        conversation__in={c for _m, c in floor},
        deleted_at__isnull=True,
        created_at__lte=cutoff,
    ).select_related("author")
    if earliest is not None:
        messages = messages.filter(created_at__gt=earliest)
    blocks = defaultdict(set)
    for blocker, blocked in Block.objects.filter(blocker__in=member_ids).values_list(
        "blocker", "blocked"
    ):
        blocks[blocker].add(blocked)
    by_conversation = defaultdict(list)
    for message in messages.order_by("created_at", "pk"):
        by_conversation[message.conversation_id].append(message)
    found: dict[int, list[UnreadItem]] = defaultdict(list)
    for (member_id, conversation_id), after in floor.items():
        for message in by_conversation.get(conversation_id, ()):
            if (
                message.seq <= after
                or message.author_id == member_id
                or message.author_id in blocks[member_id]
                or (since and message.created_at <= since.get(member_id, cutoff))
            ):
                continue
            found[member_id].append(
                UnreadItem(
                    conversation_id=conversation_id,
                    seq=message.seq,
                    author=message.author.display_name,
                    excerpt=preview(message),
                    created_at=message.created_at,
                )
            )
    for items in found.values():
        items.sort(key=lambda item: item.created_at)
    return dict(found)


# --- the digest -----------------------------------------------------------------------


def digest_section(members, since: dict[int, datetime], until: datetime) -> dict:
    """The digest's "Unread direct messages" section (an EXTRA_SECTIONS builder).

    A message counts once it has been unread for UNREAD_AFTER, so each digest covers the
    messages written between UNREAD_AFTER before the previous digest and UNREAD_AFTER
    before this one: none written just before a digest falls between two of them.
    """
    from forum.digests import ExtraItem, ExtraSection

    shifted = {member_id: moment - UNREAD_AFTER for member_id, moment in since.items()}
    found = unread_messages([m.pk for m in members], until=until, since=shifted)
    return {
        member_id: ExtraSection(
            title=gettext_lazy("Unread direct messages"),
            items=[
                ExtraItem(text=f"{item.author}: {item.excerpt}", url=item.url, when=item.created_at)
                for item in items[-MAX_PER_EMAIL:]
            ],
        )
        for member_id, items in found.items()
        if items
    }


# --- the immediate email ---------------------------------------------------------------


def _wants_email(member_ids: list[int]) -> list[int]:
    refused = set(
        MailPreference.objects.filter(member__in=member_ids, immediate=False).values_list(
            "member", flat=True
        )
    )
    return [m for m in member_ids if m not in refused]


def _mark_emailed(member_id: int, items: list[UnreadItem]) -> None:
    newest: dict[int, int] = {}
    for item in items:
        newest[item.conversation_id] = max(newest.get(item.conversation_id, 0), item.seq)
    for conversation_id, seq in newest.items():
        Participant.objects.filter(
            member=member_id, conversation=conversation_id, emailed_seq__lt=seq
        ).update(emailed_seq=seq)


def immediate_section(now: datetime) -> dict:
    """Messages unread for UNREAD_AFTER, as a part of each member's immediate
    notification email (a forum.notification_mail.EXTRA_SECTIONS builder): for the
    members who chose it, each message once. Five queries for any number of members."""
    from forum.notification_mail import ExtraItem, ExtraSection

    waiting = Participant.objects.filter(
        left_at__isnull=True, muted=False, conversation__last_seq__gt=F("read_seq")
    ).filter(conversation__last_seq__gt=F("emailed_seq"))
    member_ids = _wants_email(sorted(set(waiting.values_list("member", flat=True))))
    if not member_ids:
        return {}
    found = unread_messages(member_ids, until=now, for_email=True)
    sections = {}
    for member_id, items in found.items():
        shown = items[-MAX_PER_EMAIL:]
        sections[member_id] = ExtraSection(
            title=gettext_lazy("Unread direct messages"),
            items=[
                ExtraItem(text=f"{item.author}: {item.excerpt}", url=item.url, when=item.created_at)
                for item in shown
            ],
            # Everything found counts as mailed, beyond the MAX_PER_EMAIL shown too.
            sent=lambda member_id=member_id, items=items: _mark_emailed(member_id, items),
        )
    return sections


def run(*, now: datetime | None = None):
    """Send the immediate notification emails that are due, unread messages included."""
    from forum import notification_mail

    return notification_mail.run(now=now)


def stop_immediate(member) -> None:
    """The notification email's "Stop these emails" stops its direct messages too."""
    from conversations.actions.messages import set_mail_preference

    set_mail_preference(member=member, immediate=False)
