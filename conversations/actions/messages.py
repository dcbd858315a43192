"""Starting conversations, sending, editing and deleting messages, reading, muting, leaving."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from attachments.models import Attachment
from conversations import live
from conversations import visibility as rules
from conversations.models import Conversation, DirectMessage, MessageRevision, Participant
from forum import limits, rendering

# Client ids are UUIDs in practice; anything printable and short is accepted.
CLIENT_ID = re.compile(r"[-A-Za-z0-9_.:]{1,64}")
BODY_MAX = 4_000


def _check_body(body: object) -> str:
    if not isinstance(body, str):
        raise ValidationError(_("Text expected."), code="bad_text")
    body = limits.check_characters(body).replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError(_("Write something before sending."), code="body_empty")
    if len(body) > BODY_MAX:
        raise ValidationError(
            _("A message can be at most %(max)d characters long (this one has %(n)d).")
            % {"max": BODY_MAX, "n": len(body)},
            code="body_length",
        )
    return body


def check_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise ValidationError(
            _("A message needs a client_id of 1 to 64 letters, digits or -_.:"),
            code="bad_client_id",
        )
    return client_id


def _rate(key: str, *, limit: int, window: int, message: str) -> None:
    if not limits.consume(key, limit=limit, window=window):
        raise limits.RateLimited(message, code="rate_limited")


def _check_message_rate(author: Member) -> None:
    _rate(
        f"dm-message:{author.pk}",
        limit=getattr(settings, "DM_MESSAGES_PER_MINUTE", 30),
        window=60,
        message=_(
            "You are sending messages too quickly. Please wait a minute; your text has been kept."
        ),
    )


def _render(body: str, conversation_id: int) -> str:
    """Render Markdown; @handles of the conversation's members become profile links."""
    handles = rendering.mentioned_handles(body)
    mentions = {}
    if handles:
        for handle in Participant.objects.filter(
            conversation=conversation_id, left_at__isnull=True, member__handle__in=handles
        ).values_list("member__handle", flat=True):
            mentions[handle.lower()] = f"/members/{handle}/"
    return rendering.render_markdown(body, mentions=mentions)


def start_conversation(
    *, author: Member, recipients: list[Member], body: str, client_id: str
) -> tuple[Conversation, DirectMessage]:
    """Start a conversation with `recipients` (1 to 9 other members) and its first message.

    Raise Http404 for a recipient the author may not see or write to (as for a missing
    member), CannotMessage when one of them blocked the author, RateLimited past
    DM_CONVERSATIONS_PER_HOUR.
    """
    check_client_id(client_id)
    body = _check_body(body)
    recipients = list({r.pk: r for r in recipients if r.pk != author.pk}.values())
    rules.check_may_write_to(author, recipients)
    _rate(
        f"dm-new:{author.pk}",
        limit=getattr(settings, "DM_CONVERSATIONS_PER_HOUR", 20),
        window=3600,
        message=_("You have started many conversations this hour. Please try again later."),
    )
    with transaction.atomic():
        conversation = Conversation.objects.create(created_by=author, is_group=len(recipients) > 1)
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, member=m) for m in [author, *recipients]]
        )
        message, _created = send_message(
            author=author, conversation=conversation, body=body, client_id=client_id
        )
    return conversation, message


def send_message(
    *,
    author: Member,
    conversation: Conversation,
    body: str,
    client_id: str,
    quote: DirectMessage | None = None,
) -> tuple[DirectMessage, bool]:
    """Store a message with the conversation's next seq; return (message, created).

    A resend with the same `client_id` returns the stored message (created False), even
    when identical sends race: the database keeps one (its unique constraint decides, so
    a first send asks for nothing more). Nine queries with the transaction's begin and
    commit, whoever is in the conversation.
    """
    check_client_id(client_id)
    try:
        receivers = rules.check_may_send(author, conversation)  # Http404 for a non-member
        body = _check_body(body)
        if quote is not None and (quote.conversation_id != conversation.pk or quote.deleted):
            raise ValidationError(_("That message cannot be quoted."), code="bad_quote")
        _check_message_rate(author)
    except (Http404, ValidationError):
        # A resend of a message stored before a block, a rate limit or leaving is still
        # that message: the sender learns it arrived, not that it was refused.
        existing = _sent(conversation.pk, author, client_id)
        if existing is None:
            raise
        return existing, False
    html = _render(body, conversation.pk)
    try:
        with transaction.atomic():
            # One sender at a time per conversation (the update locks its row): seq order
            # is commit order.
            seq, now = _next_seq(conversation.pk)
            message = DirectMessage(
                conversation_id=conversation.pk,
                author=author,
                seq=seq,
                client_id=client_id,
                body=body,
                html=html,
                quote=quote,
                created_at=now,
            )
            message.save(force_insert=True)
            # The author has read what they wrote.
            Participant.objects.filter(conversation=conversation.pk, member=author).update(
                read_seq=seq, read_at=now
            )
            live.record(live.DM_MESSAGE, live.message_payload(message), receivers, unread=True)
    except IntegrityError:
        # A send with this client_id is stored already (a retry, or a racing twin that
        # committed first): that one is the message, and this transaction left no trace.
        existing = _sent(conversation.pk, author, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def _next_seq(conversation_id: int) -> tuple[int, datetime]:
    """Take the conversation's next seq in one statement that also locks its row until
    the transaction ends (what select_for_update, then save, did in two)."""
    now = timezone.now()
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1, last_message_at = %s "  # noqa: S608
            "WHERE id = %s RETURNING last_seq",
            [connection.ops.adapt_datetimefield_value(now), conversation_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such conversation.")
    return row[0], now


def _sent(conversation_id: int, author: Member, client_id: str) -> DirectMessage | None:
    return (
        DirectMessage.objects.filter(
            conversation=conversation_id, author=author, client_id=client_id
        )
        .select_related("author", "quote", "quote__author")
        .first()
    )


def edit_message(*, author: Member, message: DirectMessage, body: str) -> DirectMessage:
    """Change a message's text within the edit window; the earlier text goes to history."""
    if not rules.can_edit(author, message):
        raise PermissionDenied(_("Messages can be edited by their author for 15 minutes."))
    body = _check_body(body)
    html = _render(body, message.conversation_id)
    with transaction.atomic():
        locked = DirectMessage.objects.select_for_update().get(pk=message.pk)
        if not rules.can_edit(author, locked):
            raise PermissionDenied(_("Messages can be edited by their author for 15 minutes."))
        if locked.body == body:
            return locked
        MessageRevision.objects.create(message=locked, body=locked.body, html=locked.html)
        locked.body, locked.html, locked.edited_at = body, html, timezone.now()
        locked.save(update_fields=["body", "html", "edited_at"])
        locked.author = author
        everyone = live.everyone_ever(locked.conversation)
        live.rewrite_logged(locked, everyone)
        live.record(
            live.DM_EDITED,
            {
                "conversation": locked.conversation_id,
                "id": locked.pk,
                "conversation_seq": locked.seq,
                "html": locked.html,
                "preview": live.preview(locked),
                "edited_at": locked.edited_at.isoformat(),
            },
            rules.recipients(locked.conversation, author.pk),
        )
    return locked


def drop_files(message: DirectMessage) -> None:
    """Delete a message's files with its text (prune_attachments then removes the stored
    content once no attachment uses it)."""
    Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(DirectMessage), owner_id=message.pk
    ).delete()


def delete_message(*, author: Member, message: DirectMessage) -> DirectMessage:
    """Delete a message for everyone: its text and history go; "message deleted" stays."""
    if not rules.can_delete(author, message):
        raise PermissionDenied(_("Only the author can delete a message."))
    with transaction.atomic():
        locked = DirectMessage.objects.select_for_update().get(pk=message.pk)
        if locked.deleted_at is not None:
            return locked
        locked.body, locked.html, locked.deleted_at = "", "", timezone.now()
        locked.save(update_fields=["body", "html", "deleted_at"])
        locked.revisions.all().delete()
        drop_files(locked)
        everyone = live.everyone_ever(locked.conversation)
        live.rewrite_logged(locked, everyone)
        live.record(
            live.DM_DELETED,
            {
                "conversation": locked.conversation_id,
                "id": locked.pk,
                "conversation_seq": locked.seq,
            },
            rules.recipients(locked.conversation, author.pk),
        )
    return locked


def mark_read(*, member: Member, conversation: Conversation, upto: int | None = None) -> int:
    """Mark the conversation read up to `upto` (default: its latest); tell its members
    ("seen by"). Return the member's read seq."""
    with transaction.atomic():
        seat = (
            Participant.objects.select_for_update()
            .filter(conversation=conversation.pk, member=member, left_at__isnull=True)
            .first()
        )
        if seat is None:
            raise Http404("No such conversation.")
        last = Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation.pk)
        target = last if upto is None else max(0, min(int(upto), last))
        if target <= seat.read_seq:
            return seat.read_seq
        seat.read_seq, seat.read_at = target, timezone.now()
        seat.save(update_fields=["read_seq", "read_at"])
        live.record(
            live.DM_READ,
            {
                "conversation": conversation.pk,
                "member": live.member_payload(member),
                "read_seq": target,
            },
            rules.recipients(conversation, member.pk),
            unread=True,
        )
    return target


def set_muted(*, member: Member, conversation: Conversation, muted: bool) -> Participant:
    """Mute (no badge, no email) or unmute a conversation for `member`."""
    seat = rules.seats(member).filter(conversation=conversation.pk).first()
    if seat is None:
        raise Http404("No such conversation.")
    if seat.muted != muted:
        seat.muted = muted
        seat.save(update_fields=["muted"])
    return seat


def leave(*, member: Member, conversation: Conversation) -> None:
    """Leave a group conversation: it disappears for `member`; the others are told."""
    if not conversation.is_group:
        raise ValidationError(
            _("Only group conversations can be left; you can mute or block instead."),
            code="not_group",
        )
    with transaction.atomic():
        seat = (
            Participant.objects.select_for_update()
            .filter(conversation=conversation.pk, member=member, left_at__isnull=True)
            .first()
        )
        if seat is None:
            raise Http404("No such conversation.")
        seat.left_at = timezone.now()
        seat.save(update_fields=["left_at"])
        live.record(
            live.DM_LEFT,
            {"conversation": conversation.pk, "member": live.member_payload(member)},
            [*rules.recipients(conversation, member.pk), member.pk],
        )


def set_mail_preference(*, member: Member, immediate: bool) -> None:
    """Whether `member` gets an email about messages left unread for 15 minutes."""
    from conversations.models import MailPreference

    MailPreference.objects.update_or_create(member=member, defaults={"immediate": immediate})
