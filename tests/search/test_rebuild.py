"""`manage.py rebuild_search_index` rebuilds exactly what the actions index."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from forum.actions import meetings as meeting_actions
from forum.actions import moderation
from forum.actions import threads as posting
from forum.models import Review
from search.analysis import parse
from search.models import Entry
from search.query import search

pytestmark = pytest.mark.django_db


def snapshot() -> set[tuple]:
    return set(
        Entry.objects.values_list(
            "kind", "thread_id", "post_id", "meeting_id", "message_id", "author_id", "title", "body"
        )
    )


def test_rebuild_gives_the_index_the_actions_built(
    cross_border_review, start_thread, member, moderator, live_meeting, chair
):
    thread = start_thread(moderator, title="Mining code 法律", body="والتعاون")
    opening = thread.posts.get()
    posting.reply(author=member, parent=opening, body="pending words")
    removed = posting.reply(author=moderator, parent=opening, body="removed words")
    posting.remove_post(moderator=moderator, post=removed, reason="spam")
    rejected_thread = start_thread(member, title="Rejected title", body="rejected words")
    moderation.reject(
        moderator=moderator,
        review=Review.objects.get(post__thread=rejected_thread),
        reason="off_topic",
    )
    gone, _ = meeting_actions.send_chat(
        author=chair, meeting=live_meeting, client_id="a", body="removed chat"
    )
    meeting_actions.remove_chat_message(member=chair, message=gone, reason="off topic")
    meeting_actions.send_chat(author=chair, meeting=live_meeting, client_id="b", body="kept chat")
    built = snapshot()
    assert {kind for kind, *_ in built} == {"thread", "post", "chat"}
    assert len(built) == 3  # a title, its opening post, the kept chat; nothing else

    Entry.objects.all().delete()
    out, err = StringIO(), StringIO()
    call_command("rebuild_search_index", stdout=out, stderr=err)
    assert snapshot() == built
    assert err.getvalue().endswith("100% 3/3\n")  # the bar reaches its end
    assert "Indexed 3 " in out.getvalue()
    # The database's own structures follow: the rebuilt rows are found.
    assert [h.kind for h in search(moderator, parse("تعاون")).hits] == ["post"]
    assert [h.kind for h in search(moderator, parse("法律")).hits] == ["thread"]


def test_rebuilding_twice_changes_nothing(start_thread, member):
    start_thread(member, title="Tariffs", body="tariffs")
    call_command("rebuild_search_index", stdout=StringIO(), stderr=StringIO())
    first = snapshot()
    call_command("rebuild_search_index", stdout=StringIO(), stderr=StringIO())
    assert snapshot() == first
    assert len(search(member, parse("tariffs")).hits) == 2


@pytest.mark.django_db(transaction=True)
def test_rebuild_outside_a_transaction_tidies_up_and_still_finds(start_thread, member):
    """The command runs in autocommit, where PostgreSQL vacuums the old rows after it."""
    start_thread(member, title="Copper tariffs", body="tariffs")
    call_command("rebuild_search_index", stdout=StringIO(), stderr=StringIO())
    assert search(member, parse("copper")).hits


def test_the_full_text_index_is_this_databases_own(db):
    """SQLite: the FTS5 table; PostgreSQL: the GIN index, with a small pending list (a
    search reads the whole list through before the index proper)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reloptions FROM pg_class WHERE relname = 'search_entry_document'"
            )
            assert cursor.fetchone()[0] == ["gin_pending_list_limit=128"]
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
            assert "fts5" in cursor.fetchone()[0]
