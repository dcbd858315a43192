"""Which index entries a reader may find: the forum's visibility rule, applied to the
things the entries point at. A search starts here and only adds the text match."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from forum import visibility
from search.models import Entry, EntryKind


def searchable_entries(viewer: visibility.Viewer) -> QuerySet[Entry]:
    """Return the entries whose thread title, post text or chat message `viewer` may
    read now: threads they see, readable posts in them, chat in meetings they see."""
    if not (viewer and viewer.is_authenticated and viewer.is_active):
        return Entry.objects.none()
    # Each entry asks for its own thread (a correlated EXISTS): a rare word checks a few
    # threads, and the database may still turn it into one pass over the threads for a
    # frequent one. Titles and posts share the one test.
    thread = visibility.visible_threads(viewer).filter(pk=OuterRef("thread_id"))
    in_threads = Q(Exists(thread.order_by().values("pk"))) & (
        Q(kind=EntryKind.THREAD)
        | Q(Q(kind=EntryKind.POST), visibility.readable_post_text(viewer, prefix="post__"))
    )
    chat = Q(
        kind=EntryKind.CHAT,
        message__in=visibility.readable_chat_messages(viewer).order_by().values("pk"),
    )
    return Entry.objects.filter(in_threads | chat)
