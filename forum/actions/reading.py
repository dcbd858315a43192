"""Read marks, reactions, bookmarks and drafts: what members keep while they read.

The thread page writes nothing when it is shown; the reader's browser says which
posts it has shown ("seen"), and the mark moves only forward.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from forum import events, limits, visibility
from forum.models import (
    REACTIONS,
    Bookmark,
    ChatMessage,
    Draft,
    Post,
    PostStatus,
    Reaction,
    Thread,
    ThreadRead,
    WorkingGroup,
)

# Reactions a member may add or take back per minute (a burst of clicks, not a flood).
REACTIONS_PER_MINUTE = 30
# Drafts a member's browsers may save per minute (one every few seconds while typing).
DRAFT_SAVES_PER_MINUTE = 40
DRAFT_KEY_MAX = 80
DRAFTS_PER_MEMBER = 200


def mark_seen(*, member: Member, thread: Thread, number: int) -> bool:
    """Record that `member` has seen `thread` up to post `number`; return whether the
    mark advanced. Writes only when it does.

    `thread` must be one the member may see. Having seen the last post the member may
    see, the thread counts as read up to its last activity (what the group page
    compares with); otherwise up to the post seen.
    """
    moderator = visibility.can_moderate(member, thread.group)
    near = list(
        visibility.visible_posts(member, thread, moderator=moderator)
        .filter(number__gte=number)
        .order_by("number")
        .values_list("number", "created_at")[:2]
    )
    if not near or (len(near) == 1 and near[0][0] == number):
        read_at = thread.last_activity_at
    elif near[0][0] == number:
        read_at = near[0][1]
    else:
        # `number` is not a post this member sees: read up to just before the next one.
        read_at = near[0][1] - timedelta(microseconds=1)
    stored = (
        ThreadRead.objects.filter(member=member, thread=thread)
        .values_list("read_at", flat=True)
        .first()
    )
    if stored is not None and stored >= read_at:
        return False
    if stored is None:
        ThreadRead.objects.bulk_create(
            [ThreadRead(member=member, thread=thread, read_at=read_at)], ignore_conflicts=True
        )
    # Only forward, even when two signals race.
    ThreadRead.objects.filter(member=member, thread=thread, read_at__lt=read_at).update(
        read_at=read_at
    )
    return True


def mark_all_read(*, member: Member, group: WorkingGroup) -> int:
    """Mark every thread of `group` that `member` may see as read up to its last
    activity; return how many marks moved. Two statements however many threads."""
    threads = visibility.visible_threads(member, group).values_list("pk", "last_activity_at")
    marks = [ThreadRead(member=member, thread_id=pk, read_at=at) for pk, at in threads]
    if not marks:
        return 0
    with transaction.atomic():
        existing = dict(
            ThreadRead.objects.filter(
                member=member, thread_id__in=[m.thread_id for m in marks]
            ).values_list("thread_id", "read_at")
        )
        moved = [
            m
            for m in marks
            if existing.get(m.thread_id) is None or existing[m.thread_id] < m.read_at
        ]
        ThreadRead.objects.bulk_create(
            moved,
            update_conflicts=True,
            unique_fields=["member", "thread"],
            update_fields=["read_at"],
        )
    return len(moved)


def _check_reaction(member: Member, emoji: str) -> None:
    if emoji not in REACTIONS:
        raise ValidationError(_("Unknown reaction."), code="unknown_reaction")
    if not limits.consume(f"react:{member.pk}", limit=REACTIONS_PER_MINUTE, window=60):
        raise limits.RateLimited(
            _("You are reacting too quickly. Please wait a minute."), code="rate_limited"
        )


def react_to_post(*, member: Member, post: Post, emoji: str) -> bool:
    """Add `member`'s `emoji` to `post`, or take it back if they had given it; return
    whether it is now there. `post` must come from `visibility.get_post_or_404`; only
    published posts take reactions. Everyone who may see the post sees the new counts."""
    if post.status != PostStatus.PUBLISHED:
        raise PermissionDenied(_("Only published posts take reactions."))
    _check_reaction(member, emoji)
    with transaction.atomic():
        removed, _kinds = Reaction.objects.filter(member=member, post=post, emoji=emoji).delete()
        if not removed:
            Reaction.objects.create(member=member, post=post, emoji=emoji)
        thread = post.thread
        events.record(
            stream_key=events.group_stream(thread.group_id),
            type_=events.POST_REACTIONS,
            payload={
                "id": post.pk,
                "thread": thread.pk,
                "reactions": reaction_counts(Reaction.objects.filter(post=post)),
            },
            audience=visibility.thread_audience(
                thread, status=post.status, author_id=post.author_id
            ),
            post_id=post.pk,
            thread_id=thread.pk,
        )
    return not removed


def react_to_message(*, member: Member, message: ChatMessage, emoji: str) -> bool:
    """As `react_to_post`, for a chat message of a meeting `member` may see."""
    if message.removed_at is not None:
        raise PermissionDenied(_("This message was removed."))
    if not visibility.can_view_meeting(member, message.meeting):
        raise PermissionDenied(_("You are not in this meeting's audience."))
    _check_reaction(member, emoji)
    with transaction.atomic():
        removed, _kinds = Reaction.objects.filter(
            member=member, message=message, emoji=emoji
        ).delete()
        if not removed:
            Reaction.objects.create(member=member, message=message, emoji=emoji)
        events.record(
            stream_key=events.meeting_stream(message.meeting_id),
            type_=events.CHAT_REACTIONS,
            payload={
                "id": message.pk,
                "reactions": reaction_counts(Reaction.objects.filter(message=message)),
            },
            audience=visibility.meeting_event_audience(message.meeting),
        )
    return not removed


def reaction_counts(reactions) -> list[dict]:
    """Each emoji given, in the fixed order: its key, symbol, count, and who gave it
    (names and member ids, the first twenty)."""
    found: dict[str, list[tuple[int, str]]] = {}
    for key, member_id, name in reactions.order_by("created_at", "pk").values_list(
        "emoji", "member_id", "member__display_name"
    ):
        found.setdefault(key, []).append((member_id, name))
    return [
        {
            "emoji": key,
            "symbol": REACTIONS[key],
            "count": len(found[key]),
            "names": [name for _id, name in found[key][:20]],
            "ids": [member_id for member_id, _name in found[key][:20]],
        }
        for key in REACTIONS
        if key in found
    ]


def set_bookmark(
    *, member: Member, post: Post, remind_at: datetime | None = None, note: str = ""
) -> Bookmark:
    """Keep `post` (one `member` may see) in their bookmarks, with an optional reminder."""
    note = limits.check_characters(note.strip())[:200]
    if remind_at is not None and remind_at <= timezone.now():
        raise ValidationError(_("Choose a reminder time in the future."), code="past")
    bookmark, _created = Bookmark.objects.update_or_create(
        member=member, post=post, defaults={"remind_at": remind_at, "note": note}
    )
    return bookmark


def remove_bookmark(*, member: Member, post_id: int) -> bool:
    """Drop a bookmark of `member`'s; return whether there was one."""
    deleted, _kinds = Bookmark.objects.filter(member=member, post_id=post_id).delete()
    return bool(deleted)


def save_draft(*, member: Member, key: str, body: str) -> Draft | None:
    """Keep what `member` is typing in box `key` (already checked by `visibility`);
    an empty body discards the draft. Returns the draft, or None when discarded."""
    if not key or len(key) > DRAFT_KEY_MAX:
        raise ValidationError(_("Which box is this draft for?"), code="bad_key")
    if len(body) > limits.BODY_MAX:
        raise ValidationError(
            _("A draft holds at most %(max)d characters.") % {"max": limits.BODY_MAX},
            code="too_long",
        )
    if not body.strip():
        discard_draft(member=member, key=key)
        return None
    body = limits.check_characters(body)
    if not limits.consume(f"draft:{member.pk}", limit=DRAFT_SAVES_PER_MINUTE, window=60):
        raise limits.RateLimited(_("Drafts are saved too often."), code="rate_limited")
    draft, created = Draft.objects.update_or_create(
        member=member, key=key, defaults={"body": body, "updated_at": timezone.now()}
    )
    if created and Draft.objects.filter(member=member).count() > DRAFTS_PER_MEMBER:
        # The oldest go first: a draft nobody came back to for long is forgotten.
        oldest = Draft.objects.filter(member=member).order_by("updated_at").values("pk")[:1]
        Draft.objects.filter(pk__in=oldest).delete()
    return draft


def discard_draft(*, member: Member, key: str) -> None:
    """Forget `member`'s draft in box `key` (sent, or emptied)."""
    Draft.objects.filter(member=member, key=key).delete()


REMINDERS_PER_BATCH = 500


def _reminder_data(bookmark: Bookmark) -> dict[str, str]:
    data = {"remind_at": bookmark.remind_at.isoformat()}
    if bookmark.note:
        data["note"] = bookmark.note
    return data


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Put each bookmark whose reminder time has come into its member's inbox, once;
    return how many went. A post the member may no longer read is skipped (marked done
    all the same). Members who asked for immediate email get it by mail too, through
    `send_notifications` like their other notices. Run by `manage.py
    send_bookmark_reminders` every few minutes."""
    from forum.actions import notifications
    from forum.models.notifications import NotificationKind

    now = now or timezone.now()
    sent = 0
    while True:
        due = list(
            Bookmark.objects.filter(remind_at__lte=now, reminded_at__isnull=True)
            .select_related("member", "post", "post__thread")
            .order_by("remind_at", "pk")[:REMINDERS_PER_BATCH]
        )
        if not due:
            return sent
        for bookmark in due:
            with transaction.atomic():
                # Claimed first: a second run at the same time skips it.
                claimed = Bookmark.objects.filter(pk=bookmark.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                )
                if not claimed:
                    continue
                told = notifications.notify(
                    recipient=bookmark.member,
                    kind=NotificationKind.REMINDER,
                    post=bookmark.post,
                    data=_reminder_data(bookmark),
                )
                sent += told is not None
