"""Writing the search index. The forum's actions call these inside their transactions,
so what is findable changes exactly when what is readable does."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from itertools import islice

from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.html import strip_tags

from forum.models import ChatMessage, Post, PostStatus, Thread
from search.analysis import index_text
from search.models import Entry, EntryKind

# A title stays findable while its opening post is readable by someone in its audience
# (a removed opening post leaves its thread, and its title, in place).
TITLE_SHOWN = (PostStatus.PUBLISHED, PostStatus.REMOVED)


def plain_text(rendered: str) -> str:
    """Return the text a reader sees in sanitized HTML: tags out, entities decoded."""
    return html.unescape(strip_tags(rendered.replace("<", " <")))


def _put(new: bool, lookup: dict, fields: dict) -> None:
    """Write one entry: a single INSERT for something just created, else an upsert."""
    if new:
        Entry.objects.create(**lookup, **fields)
    else:
        Entry.objects.update_or_create(**lookup, defaults=fields)


def index_thread(thread: Thread, *, opening_status: str, new: bool = False) -> None:
    """Index `thread`'s title, or take it out while its opening post is not shown.
    `new`: the thread was created in this transaction (nothing to replace)."""
    if opening_status not in TITLE_SHOWN:
        if not new:
            Entry.objects.filter(kind=EntryKind.THREAD, thread=thread).delete()
        return
    fields = {
        "author_id": thread.author_id,
        "created_at": thread.created_at,
        "title": index_text(thread.title),
        "body": "",
    }
    _put(new, {"kind": EntryKind.THREAD, "thread": thread}, fields)


def index_post(post: Post, *, new: bool = False) -> None:
    """Index a published post's text; any other status takes it out.
    `new`: the post was created in this transaction (nothing to replace)."""
    if post.status != PostStatus.PUBLISHED:
        if not new:
            Entry.objects.filter(post=post).delete()
        return
    fields = {
        "kind": EntryKind.POST,
        "thread_id": post.thread_id,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "title": "",
        "body": index_text(plain_text(post.body_html)),
    }
    _put(new, {"post": post}, fields)


def index_chat_message(message: ChatMessage, *, new: bool = False) -> None:
    """Index a chat message; a removed one is taken out."""
    if message.removed_at is not None:
        Entry.objects.filter(message=message).delete()
        return
    fields = {
        "kind": EntryKind.CHAT,
        "meeting_id": message.meeting_id,
        "author_id": message.author_id,
        "created_at": message.created_at,
        "title": "",
        "body": index_text(plain_text(message.html)),
    }
    _put(new, {"message": message}, fields)


# --- rebuilding everything -----------------------------------------------------------

REBUILD_BATCH = 1000


def _titled_threads() -> QuerySet[Thread]:
    opening = Post.objects.filter(thread=OuterRef("pk"), number=1).values("status")[:1]
    return Thread.objects.annotate(opening_status=Subquery(opening)).filter(
        opening_status__in=TITLE_SHOWN
    )


def _title_entries() -> Iterator[Entry]:
    threads = _titled_threads().values_list("pk", "author_id", "created_at", "title")
    for pk, author_id, created_at, title in threads.iterator(chunk_size=REBUILD_BATCH):
        yield Entry(
            kind=EntryKind.THREAD,
            thread_id=pk,
            author_id=author_id,
            created_at=created_at,
            title=index_text(title),
        )


def _post_entries() -> Iterator[Entry]:
    posts = Post.objects.filter(status=PostStatus.PUBLISHED).values_list(
        "pk", "thread_id", "author_id", "created_at", "body_html"
    )
    for pk, thread_id, author_id, created_at, rendered in posts.iterator(chunk_size=REBUILD_BATCH):
        yield Entry(
            kind=EntryKind.POST,
            post_id=pk,
            thread_id=thread_id,
            author_id=author_id,
            created_at=created_at,
            body=index_text(plain_text(rendered)),
        )


def _chat_entries() -> Iterator[Entry]:
    messages = ChatMessage.objects.filter(removed_at__isnull=True).values_list(
        "pk", "meeting_id", "author_id", "created_at", "html"
    )
    for pk, meeting_id, author_id, created_at, rendered in messages.iterator(
        chunk_size=REBUILD_BATCH
    ):
        yield Entry(
            kind=EntryKind.CHAT,
            message_id=pk,
            meeting_id=meeting_id,
            author_id=author_id,
            created_at=created_at,
            body=index_text(plain_text(rendered)),
        )


def tidy() -> None:
    """After a rebuild on PostgreSQL, write the table and its indexes anew without the
    old index's rows, and refresh the statistics. A plain VACUUM frees the dead rows'
    space but keeps the file twice its size, and a frequent word's scan reads all of
    it. Searches wait for the few seconds this takes (2.7 s at 100,000 entries).
    Outside a transaction only."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (FULL, ANALYZE) search_entry")


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index from what the forum holds, in one transaction (searches
    see the old index until it commits); call `progress(done, total)` per batch.
    Return the number of entries."""
    total = (
        _titled_threads().count()
        + Post.objects.filter(status=PostStatus.PUBLISHED).count()
        + ChatMessage.objects.filter(removed_at__isnull=True).count()
    )
    done = 0
    with transaction.atomic():
        Entry.objects.all().delete()
        if connection.vendor == "postgresql":
            # The term vocabulary starts afresh too (its trigger refills it below).
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM search_term")
        for entries in (_title_entries(), _post_entries(), _chat_entries()):
            while batch := list(islice(entries, REBUILD_BATCH)):
                Entry.objects.bulk_create(batch)
                done += len(batch)
                if progress is not None:
                    progress(min(done, total), total)
    return done
