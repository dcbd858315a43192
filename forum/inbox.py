"""Reading the inbox: notifications shown only with what the reader may see now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from django.utils.text import Truncator

from accounts.models import Member
from forum import events, visibility
from forum.actions.notifications import inbox_stream
from forum.models import Notification, Post

EXCERPT_CHARS = 200


@dataclass
class InboxItem:
    """One notification as shown: text only where the reader may still see it."""

    notification: Notification
    kind: str
    actor_name: str | None
    thread_title: str | None
    excerpt: str | None
    url: str | None
    data: dict[str, Any]
    starts_at: datetime | None = None
    remind_at: datetime | None = None

    @property
    def available(self) -> bool:
        """Whether what it is about is still there for the reader (the post, if any)."""
        if self.notification.post_id is not None:
            return self.excerpt is not None
        return self.url is not None

    @property
    def unread(self) -> bool:
        # What is gone for the reader is not news: the unread count skips it too.
        return self.notification.read_at is None and self.notification.available


def notifications_for(member: Member) -> QuerySet[Notification]:
    """Return `member`'s notifications, newest first, ready to list (with `available`)."""
    return visibility.inbox(member).select_related("actor", "thread").order_by("-created_at", "-pk")


def position(member_id: int) -> int:
    """The member's inbox position now. A live page reads it before what it shows and its
    script resumes after it, so a step taken while the page loads still reaches it."""
    return events.last_seq(inbox_stream(member_id))


def unread_count(member: Member) -> int:
    """Count what the list shows as new: unread, and still available to the member.

    The badge is on every page. Deciding availability builds a query with a subquery
    per kind of thing a notification is about, and building it costs more than most
    pages' own work (about 10 ms of CPU); a member with nothing unread, the usual case,
    is answered by a plain indexed query instead.
    """
    if not Notification.objects.filter(recipient=member, read_at__isnull=True).exists():
        return 0
    return visibility.inbox(member).filter(read_at__isnull=True, available=True).count()


def _safe_url(url: object) -> str | None:
    # Only links inside the site: data is free-form, written by other features.
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return url
    return None


def items(member: Member, notifications) -> list[InboxItem]:
    """Return display items for `notifications`, re-checking visibility (three queries)."""
    notifications = list(notifications)
    threads = visibility.visible_thread_ids(member, [n.thread_id for n in notifications])
    readable = visibility.readable_post_ids(member, [n.post_id for n in notifications])
    posts = {
        post.pk: post
        for post in Post.objects.filter(pk__in=readable).only("pk", "thread_id", "body_html")
    }
    shown = []
    for n in notifications:
        if not hasattr(n, "available"):
            n.available = True  # a caller's own queryset: the checks below still apply
        thread_ok = n.thread_id in threads and n.available
        post = posts.get(n.post_id) if n.available else None
        url = None
        if post is not None:
            url = post.get_absolute_url()
        elif thread_ok:
            url = n.thread.get_absolute_url()
        if n.kind == Notification.Kind.MODERATION and post is None:
            url = None  # an outcome about a post the member may no longer read
        data = dict(n.data or {})
        starts_at = None
        if n.kind == Notification.Kind.DOCKING:
            # A docking step or a listing outcome: only while the reader still sees it.
            data = data if n.available else {}
            url = _safe_url(data.get("url"))

        if n.kind == Notification.Kind.COUNTRY and n.post_id is None:
            url = _safe_url(data.get("url"))  # a new assessment of a followed country
        if n.kind == Notification.Kind.MEETING:
            if not n.available:
                data = {}  # the meeting is no longer addressed to the reader: not even its title
            url = _safe_url(data.get("url"))
            if isinstance(data.get("starts_at"), str):
                starts_at = parse_datetime(data["starts_at"])
        remind_at = None
        if n.kind == Notification.Kind.REMINDER and isinstance(data.get("remind_at"), str):
            remind_at = parse_datetime(data["remind_at"])
        shown.append(
            InboxItem(
                notification=n,
                kind=n.kind,
                actor_name=n.actor.display_name if n.actor else None,
                thread_title=n.thread.title if thread_ok else None,
                excerpt=(
                    Truncator(strip_tags(post.body_html)).chars(EXCERPT_CHARS) if post else None
                ),
                url=url,
                data=data,
                starts_at=starts_at,
                remind_at=remind_at,
            )
        )
    return shown


def notifications_for_many(member_ids) -> QuerySet[Notification]:
    """Return the notifications of several members, with their recipients loaded."""
    return Notification.objects.filter(recipient__in=list(member_ids)).select_related(
        "recipient", "actor", "thread"
    )
