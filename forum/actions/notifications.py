"""Notifications: creating them (respecting mutes), watching threads, marking read."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Member
from forum import events, visibility
from forum.models import Event, Mention, Notification, Post, PostStatus, Thread, Watch
from forum.models.notifications import NotificationKind

logger = logging.getLogger(__name__)

NOTIFICATION_CREATED = "notification.created"
NOTIFICATIONS_READ = "notification.read"


def inbox_stream(member_id: int) -> str:
    """Return the event-log stream of one member's inbox."""
    return f"member:{member_id}"


def _audience(member_id: int) -> visibility.Scope:
    # Only the member's own sockets follow their stream; the audience says so anyway.
    return visibility.Scope(countries=frozenset(), members=frozenset([member_id]))


def wants_email(recipient: Member, kind: str) -> bool:
    """Return whether `recipient` asked for immediate email about `kind`."""
    if kind == NotificationKind.MENTION:
        return recipient.email_mentions
    if kind in (NotificationKind.REPLY, NotificationKind.WATCHED_REPLY):
        return recipient.email_replies
    if kind == NotificationKind.REMINDER:
        # A reminder the member set for themselves: any immediate email asked for brings it.
        return recipient.email_mentions or recipient.email_replies
    return False


def _payload(notification: Notification, actor: str | None, unread: int) -> dict[str, Any]:
    # The frame carries ids only: the client fetches the text it may see, so a
    # replay never shows a post that became invisible in the meantime.
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "thread": notification.thread_id,
        "post_id": notification.post_id,
        "actor": actor,
        "created_at": notification.created_at.isoformat(),
        "unread": unread,
    }


def _create(
    *,
    recipient: Member,
    kind: str,
    actor: Member | None,
    thread: Thread | None,
    post: Post | None,
    data: dict[str, Any] | None,
) -> Notification:
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        thread=thread,
        post=post,
        data=data or {},
        email_pending=wants_email(recipient, kind),
    )
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()
    events.record(
        stream_key=inbox_stream(recipient.pk),
        type_=NOTIFICATION_CREATED,
        payload=_payload(notification, actor.display_name if actor else None, unread),
        audience=_audience(recipient.pk),
    )
    return notification


def notify(
    *,
    recipient: Member,
    kind: str,
    actor: Member | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """Tell `recipient` about something; None when they muted the thread or may not see it.

    Call it inside the caller's transaction: the inbox event is published, and the
    email queued, only if that transaction commits.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind {kind!r}")
    if not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return None
    if post is not None and thread is None:
        thread = post.thread
    if thread is not None:
        if Watch.objects.filter(member=recipient, thread=thread, muted=True).exists():
            return None
        if post is not None and not visibility.readable_post_ids(recipient, [post.pk]):
            return None
        if post is None and not visibility.visible_thread_ids(recipient, [thread.pk]):
            return None
    with transaction.atomic():
        return _create(
            recipient=recipient, kind=kind, actor=actor, thread=thread, post=post, data=data
        )


# Kinds a published post gives rise to: each member gets at most one per post.
POST_KINDS = (
    NotificationKind.MENTION,
    NotificationKind.REPLY,
    NotificationKind.WATCHED_REPLY,
    NotificationKind.COUNTRY,
)


def _wanted(post: Post) -> dict[int, str]:
    """Return {member id: kind} for who should hear of `post` (before visibility and mutes).

    A mention beats a reply, a reply beats a watched thread; the author hears nothing.
    """
    wanted: dict[int, str] = {}
    if post.parent_id is not None:
        for watcher_id in Watch.objects.filter(thread=post.thread_id, muted=False).values_list(
            "member_id", flat=True
        ):
            wanted[watcher_id] = NotificationKind.WATCHED_REPLY
        wanted[post.parent.author_id] = NotificationKind.REPLY
    else:
        # A new risk note: the followers of the countries it is tagged with hear of it.
        from countries.actions.follows import followers_of_note

        for follower_id in followers_of_note(post.thread_id):
            wanted[follower_id] = NotificationKind.COUNTRY
    # An opening post is not a reply: only its mentions hear of it.
    for member_id in Mention.objects.filter(post=post).values_list("member_id", flat=True):
        wanted[member_id] = NotificationKind.MENTION
    wanted.pop(post.author_id, None)
    return wanted


def notify_post_published(post: Post) -> list[Notification]:
    """Notify who should hear of a newly published `post`: mentions, replies, watchers.

    Each member gets at most one notification per post, and only if they may read the
    post and have not muted its thread. A constant number of queries whatever the
    number of recipients, and idempotent: a second call for the same post creates
    nothing (the database holds one notification per member, post and kind family).
    Run it after the post's transaction has committed (see `derive_from_event`).
    """
    if post.status != PostStatus.PUBLISHED:
        return []
    thread = post.thread
    wanted = _wanted(post)
    if not wanted:
        return []
    muted = set(
        Watch.objects.filter(thread=thread, muted=True, member__in=list(wanted)).values_list(
            "member_id", flat=True
        )
    )
    recipients = list(visibility.readers_among(thread, [m for m in wanted if m not in muted]))
    if not recipients:
        return []
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=recipient,
                    kind=wanted[recipient.pk],
                    actor_id=post.author_id,
                    thread=thread,
                    post=post,
                    created_at=now,
                    email_pending=wants_email(recipient, wanted[recipient.pk]),
                )
                for recipient in recipients
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        # Read back what this call created (a retry finds rows of an earlier run and
        # must not announce them twice: only rows created now carry `now`).
        created = list(
            Notification.objects.filter(
                post=post, kind__in=POST_KINDS, created_at=now, recipient__in=recipients
            )
        )
        unread = dict(
            Notification.objects.filter(
                recipient__in=[n.recipient_id for n in created], read_at__isnull=True
            )
            .values_list("recipient")
            .annotate(n=Count("pk"))
        )
        actor = post.author.display_name
        events.record_many(
            [
                (
                    inbox_stream(n.recipient_id),
                    NOTIFICATION_CREATED,
                    _payload(n, actor, unread.get(n.recipient_id, 0)),
                    _audience(n.recipient_id),
                )
                for n in created
            ]
        )
    return created


def derive_from_event(event_id: int) -> list[Notification]:
    """Create the notifications a committed post event calls for, once.

    The event is claimed in the same transaction that creates the notifications, so
    a crash in between leaves it unclaimed for the catch-up, and a second run (a
    retried task, the catch-up racing the worker) finds it claimed and does nothing.
    """
    with transaction.atomic():
        claimed = Event.objects.filter(pk=event_id, notify_pending=True).update(
            notify_pending=False
        )
        if not claimed:
            return []
        post_id = Event.objects.values_list("post_id", flat=True).get(pk=event_id)
        post = (
            Post.objects.select_related("thread", "thread__group", "author", "parent")
            .filter(pk=post_id)
            .first()
        )
        if post is None:
            return []
        return notify_post_published(post)


def derive_missed(*, older_than_seconds: int = 60) -> int:
    """Derive notifications for post events that no task derived (a crash, a lost task).

    Return how many events were handled. Safe to run while workers run.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    handled = 0
    pending = Event.objects.filter(notify_pending=True, created_at__lt=cutoff)
    for event_id in list(pending.values_list("pk", flat=True)):
        try:
            derive_from_event(event_id)
        except Exception:
            # One event that fails (a lock timeout, a bug) must not hold up the others,
            # nor the mail that follows; it stays pending for the next run.
            logger.exception("Could not derive the notifications of event %s", event_id)
            continue
        handled += 1
    return handled


def watch_automatically(*, member: Member, thread: Thread) -> None:
    """Start watching a thread one writes in, unless already watching or muting it."""
    Watch.objects.bulk_create([Watch(member=member, thread=thread)], ignore_conflicts=True)


def set_watch(*, member: Member, thread: Thread, state: str) -> None:
    """Set `member`'s interest in a thread they may see: 'watch', 'mute' or 'none'."""
    if state not in ("watch", "mute", "none"):
        raise ValueError(f"Unknown watch state {state!r}")
    if not visibility.visible_thread_ids(member, [thread.pk]):
        raise Thread.DoesNotExist
    with transaction.atomic():
        if state == "none":
            Watch.objects.filter(member=member, thread=thread).delete()
        else:
            Watch.objects.update_or_create(
                member=member, thread=thread, defaults={"muted": state == "mute"}
            )


def mark_read(*, member: Member, notification_ids=None) -> int:
    """Mark some (or, with None, all) of `member`'s notifications read; return how many."""
    unread = Notification.objects.filter(recipient=member, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    with transaction.atomic():
        count = unread.update(read_at=timezone.now())
        if count:
            events.record(
                stream_key=inbox_stream(member.pk),
                type_=NOTIFICATIONS_READ,
                payload={
                    "ids": None if notification_ids is None else sorted(notification_ids),
                    "unread": Notification.objects.filter(
                        recipient=member, read_at__isnull=True
                    ).count(),
                },
                audience=_audience(member.pk),
            )
    return count


def invite_to_meeting(meeting) -> int:
    """Put an invitation to `meeting` in the inbox of everyone it is addressed to.

    One insert for the whole audience; the inbox pages and unread counts show it at
    once, but no live inbox event is sent per member (a group may have thousands).
    """
    data = {
        "title": meeting.title,
        "url": meeting.get_absolute_url(),
        "starts_at": meeting.starts_at.isoformat(),
        "meeting": meeting.pk,
    }
    invitees = visibility.meeting_invitees(meeting).exclude(pk=meeting.organizer_id)
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=member_id,
                kind=NotificationKind.MEETING,
                actor_id=meeting.organizer_id,
                data=data,
            )
            for member_id in invitees.values_list("pk", flat=True).iterator(chunk_size=2000)
        ],
        batch_size=1000,
    )
    return len(created)
