"""Direct messages on /ws/inbox/: event names, payloads, and where they are logged.

Each message is logged once per recipient, in that member's inbox stream
(`member:<id>`, the stream /ws/inbox/ already follows and resumes), in the
transaction that stores it, and published after commit. A conversation has at most
ten members, so a send writes a bounded number of rows. The member stream's order is
the commit order, and messages of a conversation commit in their seq order (the
conversation row is locked while one is stored), so a replay delivers each
conversation's messages in order.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, F

from conversations.models import Conversation, DirectMessage, Participant
from forum import events, visibility
from forum.actions.notifications import inbox_stream
from forum.models import Event
from forum.prepared import PreparedQuery
from forum.rendering import plain_text

DM_MESSAGE = "dm.message"
DM_EDITED = "dm.edited"
DM_DELETED = "dm.deleted"
DM_READ = "dm.read"
DM_LEFT = "dm.left"
DM_TYPING = "dm.typing"
# Logged events whose payload carries a message's text: edits and deletions rewrite them.
_WITH_TEXT = (DM_MESSAGE, DM_EDITED)
PREVIEW_CHARS = 140


def audience(member_id: int) -> visibility.Scope:
    # Only the member's own sockets follow their stream; the audience says so anyway.
    return visibility.Scope(countries=frozenset(), members=frozenset([member_id]))


def member_payload(member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "name": member.display_name,
        "handle": member.handle,
        "country": member.country.code,
    }


def preview(message: DirectMessage) -> str:
    """The list's one-line preview: never the text of a deleted message."""
    if message.deleted_at is not None:
        return ""
    return plain_text(message.html, PREVIEW_CHARS)


def message_payload(message: DirectMessage) -> dict[str, Any]:
    quote = message.quote
    return {
        "conversation": message.conversation_id,
        "id": message.pk,
        "conversation_seq": message.seq,
        "client_id": message.client_id,
        "author": member_payload(message.author),
        "html": "" if message.deleted_at else message.html,
        "preview": preview(message),
        "quote": (
            {
                "id": quote.pk,
                "conversation_seq": quote.seq,
                "author": quote.author.display_name,
                "preview": preview(quote),
            }
            if quote is not None
            else None
        ),
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": message.deleted_at is not None,
    }


def _unread(*, members: list[int]):
    return (
        Participant.objects.filter(
            member__in=members,
            left_at__isnull=True,
            muted=False,
            conversation__last_seq__gt=F("read_seq"),
        )
        .values("member")
        .annotate(n=Count("pk"))
        .values_list("member", "n")
    )


# Its SQL depends only on how many members are counted: built once per number.
_UNREAD = PreparedQuery(_unread)


def unread_counts(member_ids: list[int]) -> dict[int, int]:
    """Each member's count of conversations with unread messages (one query)."""
    counts = dict.fromkeys(member_ids, 0)
    if member_ids:
        counts.update(dict(_UNREAD.rows("unread", members=list(member_ids))))
    return counts


def record(type_: str, payload: dict[str, Any], member_ids: list[int], *, unread=False) -> None:
    """Log `payload` in each member's inbox stream (inside the caller's transaction);
    each copy carries that member's own `unread` count when asked. Published on commit."""
    counts = unread_counts(member_ids) if unread else {}
    entries = []
    for member_id in sorted(set(member_ids)):
        data = {**payload, "unread_conversations": counts[member_id]} if unread else payload
        entries.append((inbox_stream(member_id), type_, data, audience(member_id)))
    if entries:
        events.record_many(entries)


def rewrite_logged(message: DirectMessage, member_ids: list[int]) -> None:
    """Make every logged copy of `message` say what it says now (emptied once deleted),
    so that no replay brings back an earlier or deleted text."""
    keys = [inbox_stream(m) for m in member_ids]
    html = "" if message.deleted_at else message.html
    for event in Event.objects.filter(
        stream__key__in=keys, type__in=_WITH_TEXT, payload__id=message.pk
    ):
        payload = dict(event.payload)
        if payload.get("conversation") != message.conversation_id:
            continue
        payload["html"] = html
        payload["preview"] = preview(message)
        if message.deleted_at:
            payload["deleted"] = True
        event.payload = payload
        event.save(update_fields=["payload"])


def everyone_ever(conversation: Conversation) -> list[int]:
    """Every member who ever sat in the conversation: their logs may hold its text."""
    return list(
        Participant.objects.filter(conversation=conversation).values_list("member", flat=True)
    )


def typing_frame(conversation_id: int, profile: dict) -> str:
    return json.dumps(
        {"type": DM_TYPING, "data": {"conversation": conversation_id, "member": profile}},
        separators=(",", ":"),
    )
