"""Which index entries a reader may find: the forum's visibility rule, applied to the
things the entries point at. A search starts here and only adds the text match."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from forum import visibility
from forum.prepared import PreparedQuery, padded, viewer_shape, viewer_stand_in
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


def _readable(reader: tuple, *, viewer: int, candidates: list[int]) -> QuerySet:
    # Built from a stand-in that has only VIEWER_FIELDS: reading more of it fails.
    row = viewer_stand_in(viewer, reader)
    return searchable_entries(row).filter(pk__in=candidates).values_list("pk")


_READABLE = PreparedQuery(_readable)


def readable_among(viewer: visibility.Viewer, candidates: list[int]) -> set[int]:
    """Return which of the entries `candidates` `viewer` may read: `searchable_entries`
    asked about those rows only. Its SQL is built once per reader shape and number of
    candidates (Django took longer to build it than the database to run it)."""
    if not candidates or not (viewer and viewer.is_authenticated and viewer.is_active):
        return set()
    if viewer.is_staff:
        # Staff read every entry but removed ones: the query names no reader to prepare.
        entries = searchable_entries(viewer).filter(pk__in=candidates)
        return set(entries.values_list("pk", flat=True))
    reader = viewer_shape(viewer)
    rows = _READABLE.rows(reader, reader, viewer=viewer.pk, candidates=padded(candidates))
    return {pk for (pk,) in rows}
