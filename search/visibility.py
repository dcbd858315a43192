"""Which index entries a reader may find: the forum's visibility rule, applied to the
things the entries point at. A search starts here and only adds the text match."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from forum import visibility
from search.models import Entry, EntryKind


def searchable_entries(viewer: visibility.Viewer) -> QuerySet[Entry]:
    """Return the entries whose thread title, post text or chat message `viewer` may
    read now: threads they see, readable posts in them, chat in meetings they see."""
    if not (viewer and viewer.is_authenticated and viewer.is_active):
        return Entry.objects.none()
    threads = visibility.visible_threads(viewer).order_by().values("pk")
    # Titles and posts share one test of their thread (the database evaluates it once).
    in_threads = Q(thread__in=threads) & (
        Q(kind=EntryKind.THREAD)
        | Q(Q(kind=EntryKind.POST), visibility.readable_post_text(viewer, prefix="post__"))
    )
    chat = Q(
        kind=EntryKind.CHAT,
        message__in=visibility.readable_chat_messages(viewer).order_by().values("pk"),
    )
    return Entry.objects.filter(in_threads | chat)
