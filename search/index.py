"""Writing the search index. The forum's actions call these inside their transactions,
so what is findable changes exactly when what is readable does."""

from __future__ import annotations

import html

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


def index_thread(thread: Thread, *, opening_status: str) -> None:
    """Index `thread`'s title, or take it out while its opening post is not shown."""
    if opening_status not in TITLE_SHOWN:
        Entry.objects.filter(kind=EntryKind.THREAD, thread=thread).delete()
        return
    Entry.objects.update_or_create(
        kind=EntryKind.THREAD,
        thread=thread,
        defaults={
            "author_id": thread.author_id,
            "created_at": thread.created_at,
            "title": index_text(thread.title),
            "body": "",
        },
    )


def index_post(post: Post) -> None:
    """Index a published post's text; any other status takes it out."""
    if post.status != PostStatus.PUBLISHED:
        Entry.objects.filter(post=post).delete()
        return
    Entry.objects.update_or_create(
        post=post,
        defaults={
            "kind": EntryKind.POST,
            "thread_id": post.thread_id,
            "author_id": post.author_id,
            "created_at": post.created_at,
            "title": "",
            "body": index_text(plain_text(post.body_html)),
        },
    )


def index_chat_message(message: ChatMessage) -> None:
    """Index a chat message; a removed one is taken out."""
    if message.removed_at is not None:
        Entry.objects.filter(message=message).delete()
        return
    Entry.objects.update_or_create(
        message=message,
        defaults={
            "kind": EntryKind.CHAT,
            "meeting_id": message.meeting_id,
            "author_id": message.author_id,
            "created_at": message.created_at,
            "title": "",
            "body": index_text(plain_text(message.html)),
        },
    )
