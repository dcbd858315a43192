"""Reading what members keep: reactions on the posts of a page, bookmarks, drafts.

Every function takes things already checked by `forum.visibility` (the posts of a page
the member sees) or asks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet, Subquery, Value

from accounts.models import Member
from forum import visibility
from forum.models import (
    REACTIONS,
    Bookmark,
    Draft,
    Post,
    Reaction,
    Thread,
    ThreadRead,
    WorkingGroup,
)
from forum.prepared import PreparedQuery, padded


@dataclass(frozen=True)
class Shown:
    """Reactions per post (each emoji in the fixed order: its key, symbol, count, names
    and whether the reader gave it), and the reader's bookmarks among the posts."""

    reactions: dict[int, list[tuple]] = field(default_factory=dict)
    bookmarks: frozenset[int] = frozenset()


def summarize(rows, me: int) -> dict[int, list[tuple]]:
    """Group (target id, emoji, member id, name) rows into each target's reactions."""
    found: dict[int, dict[str, list]] = {}
    for target, emoji, member_id, name in rows:
        entry = found.setdefault(target, {}).setdefault(emoji, [0, [], False])
        entry[0] += 1
        if len(entry[1]) < 20:
            entry[1].append(name)
        entry[2] = entry[2] or member_id == me
    return {
        target: [
            (key, REACTIONS[key], by_emoji[key][0], ", ".join(by_emoji[key][1]), by_emoji[key][2])
            for key in REACTIONS
            if key in by_emoji
        ]
        for target, by_emoji in found.items()
    }


def _reactions_and_bookmarks(*, member: int, posts: list[int]) -> QuerySet:
    reactions = Reaction.objects.filter(post_id__in=posts).values_list(
        "post_id", "emoji", "member_id", "member__display_name", "created_at", "pk"
    )
    marked = (
        Bookmark.objects.filter(member=member, post_id__in=posts)
        .annotate(no_emoji=Value(""), no_name=Value(""))
        .values_list("post_id", "no_emoji", "member_id", "no_name", "created_at", "pk")
    )
    return reactions.order_by().union(marked.order_by(), all=True)


_REACTIONS_AND_BOOKMARKS = PreparedQuery(_reactions_and_bookmarks)


def reactions_and_bookmarks(member: Member, post_ids: list[int]) -> Shown:
    """For the posts of a page (`post_ids`, already visible to `member`): one query, the
    reactions and the member's bookmarks together (a bookmark's row has no emoji),
    built once per number of posts."""
    if not post_ids:
        return Shown()
    found = _REACTIONS_AND_BOOKMARKS.rows("page", member=member.pk, posts=padded(post_ids))
    # In the order they were given (times sort alike as the database returns them).
    rows = sorted(found, key=lambda r: r[4:])
    given = [row[:4] for row in rows if row[1]]
    bookmarks = frozenset(row[0] for row in rows if not row[1])
    return Shown(reactions=summarize(given, member.pk), bookmarks=bookmarks)


def message_reactions(member: Member, message_ids: list[int]) -> dict[int, list[tuple]]:
    """Reactions on chat messages already shown to `member`: one query."""
    if not message_ids:
        return {}
    rows = (
        Reaction.objects.filter(message_id__in=message_ids)
        .order_by("created_at", "pk")
        .values_list("message_id", "emoji", "member_id", "member__display_name")
    )
    return summarize(rows, member.pk)


def bookmarks_for(member: Member) -> QuerySet[Bookmark]:
    """`member`'s bookmarks of posts they may still see; reminders due first."""
    return (
        Bookmark.objects.filter(member=member, post__in=visibility.readable_posts(member))
        .select_related("post", "post__thread", "post__author")
        .order_by("remind_at", "-created_at", "-pk")
    )


def draft_for(member: Member, key: str) -> Draft | None:
    return Draft.objects.filter(member=member, key=key).first()


def listed_threads(member: Member, group: WorkingGroup | None = None) -> QuerySet[Thread]:
    """The threads `member` may see (in `group`), as a group list shows them: author,
    tags, the member's read mark, unread posts and the opening post's status; pinned
    first, then by last activity. The group page and a live-inserted row both use it."""
    read_at = ThreadRead.objects.filter(thread=OuterRef("pk"), member=member).values("read_at")[:1]
    # How many posts the member may see arrived after their read mark, and whether the
    # opening post still waits for review (only its author and moderators see those).
    unread = (
        Post.objects.filter(
            visibility.visible_posts_filter(member),
            thread=OuterRef("pk"),
            created_at__gt=OuterRef("read_at"),
        )
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    opening = Post.objects.filter(thread=OuterRef("pk"), number=1).values("status")[:1]
    return (
        visibility.visible_threads(member, group)
        .select_related("author")
        .prefetch_related("tags")
        .annotate(read_at=Subquery(read_at))
        .annotate(unread_count=Subquery(unread), opening_status=Subquery(opening))
        .order_by("-pinned", "-last_activity_at", "-pk")
    )
