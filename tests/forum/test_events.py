from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from forum import events
from forum.actions import threads as actions
from forum.models import Event


def test_actions_log_events_with_increasing_seq_and_publish_only_on_commit(
    member, legal, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(events, "publish", lambda key, event: published.append(event.seq))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        thread = actions.create_thread(author=member, group=legal, title="Seq", body="x")
        actions.reply(author=member, parent=thread.posts.get(), body="y")
    assert published == []  # nothing is broadcast before the commit
    for callback in callbacks:
        callback()
    assert published == [1, 2]
    assert list(Event.objects.values_list("type", "seq")) == [
        ("thread.created", 1),
        ("post.created", 2),
    ]


def test_failed_action_logs_no_event(member, legal):
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do
        actions.create_thread(author=member, group=legal, title="x", body="y")
    assert not Event.objects.exists()


def test_prune_events_deletes_only_old_ones(member, legal):
    actions.create_thread(author=member, group=legal, title="Old one", body="x")
    actions.create_thread(author=member, group=legal, title="New one", body="x")
    Event.objects.filter(seq=1).update(created_at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("prune_events", stdout=out)
    assert "Deleted 1 events" in out.getvalue()
    assert list(Event.objects.values_list("seq", flat=True)) == [2]
    with pytest.raises(events.ResyncNeeded):
        events.events_after(events.group_stream(legal.pk), 0)
    assert [e.seq for e in events.events_after(events.group_stream(legal.pk), 1)] == [2]
