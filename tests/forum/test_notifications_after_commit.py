"""A reply's transaction stays the same size however many members watch its thread;
notifications are derived after commit, in bulk, once, with a catch-up after a crash."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum.actions import notifications
from forum.actions import threads as actions
from forum.models import Event, EventStream, Notification, Watch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("posting_unlimited")]


@pytest.fixture
def tasks_not_run(settings):
    """Queue tasks without running them, as when no worker is up (or it crashed)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def watchers(thread, make_member, legal, count: int) -> list:
    members = [make_member(country="KE", groups=[legal]) for _ in range(count)]
    Watch.objects.bulk_create([Watch(member=m, thread=thread) for m in members])
    return members


def reply_queries(author, parent) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        actions.reply(author=author, parent=parent, body="A reply for everyone watching")
    return [q["sql"] for q in captured.captured_queries]


def test_a_reply_costs_the_same_queries_with_0_and_50_watchers(
    tasks_not_run, start_thread, member, other_country_member, make_member, legal
):
    """Notifying watchers is not part of the reply: 50 watchers add no query to it."""
    quiet = start_thread(member, title="Nobody watches this one")
    busy = start_thread(member, title="Everybody watches this one")
    watchers(busy, make_member, legal, 50)
    # Warm up what is created once per member or stream (the replier's watch, the stream).
    reply_queries(other_country_member, quiet.posts.get(number=1))
    reply_queries(other_country_member, busy.posts.get(number=1))

    without = reply_queries(other_country_member, quiet.posts.get(number=1))
    with_50 = reply_queries(other_country_member, busy.posts.get(number=1))

    assert len(with_50) == len(without)
    assert not Notification.objects.filter(post__thread=busy).exists()  # nothing ran yet


def test_the_transaction_takes_no_row_lock_before_its_first_statement(
    member, other_country_member, thread
):
    """No SELECT ... FOR UPDATE: the thread's counter is taken by one UPDATE ... RETURNING."""
    sql = reply_queries(other_country_member, thread.posts.get(number=1))
    assert not any("FOR UPDATE" in q.upper() for q in sql)
    assert any("RETURNING" in q.upper() and "post_counter" in q for q in sql)


def test_watchers_hear_of_a_reply_once_it_committed(
    member, other_country_member, make_member, legal, thread
):
    """With the tasks running, every watcher gets one notification and one inbox event."""
    crowd = watchers(thread, make_member, legal, 30)
    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(number=1), body="News"
    )

    got = Notification.objects.filter(post=post)
    assert sorted(got.values_list("recipient_id", flat=True)) == sorted(
        [m.pk for m in crowd] + [member.pk]
    )
    for recipient in [*crowd, member]:
        stream = EventStream.objects.get(key=notifications.inbox_stream(recipient.pk))
        logged = Event.objects.filter(stream=stream, type=notifications.NOTIFICATION_CREATED)
        assert [e.payload["post_id"] for e in logged] == [post.pk]
    assert not Event.objects.filter(notify_pending=True).exists()


def test_deriving_in_bulk_takes_a_constant_number_of_queries(
    tasks_not_run, member, other_country_member, make_member, legal, start_thread
):
    """Deriving for 40 recipients costs the same queries as for 4."""
    small = start_thread(member, title="Small audience")
    large = start_thread(member, title="Large audience")
    watchers(small, make_member, legal, 3)
    watchers(large, make_member, legal, 39)
    counts = []
    for thread in (small, large):
        post = actions.reply(
            author=other_country_member, parent=thread.posts.get(number=1), body="Hi"
        )
        event = Event.objects.get(post_id=post.pk, notify_pending=True)
        with CaptureQueriesContext(connection) as captured:
            created = notifications.derive_from_event(event.pk)
        assert len(created) == Watch.objects.filter(thread=thread).count() - 1
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_a_second_run_for_the_same_post_creates_nothing(
    member, other_country_member, make_member, legal, thread
):
    """Derivation is idempotent: a retried task or the catch-up doubles nothing."""
    watchers(thread, make_member, legal, 5)
    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(number=1), body="Once"
    )
    before = Notification.objects.filter(post=post).count()
    inbox_events = Event.objects.filter(type=notifications.NOTIFICATION_CREATED).count()

    event = Event.objects.get(post_id=post.pk, type="post.created")
    assert notifications.derive_from_event(event.pk) == []
    Event.objects.filter(pk=event.pk).update(notify_pending=True)  # as if claimed twice
    assert notifications.derive_from_event(event.pk) == []
    assert notifications.notify_post_published(post) == []

    assert Notification.objects.filter(post=post).count() == before == 6
    assert Event.objects.filter(type=notifications.NOTIFICATION_CREATED).count() == inbox_events


def test_the_catch_up_derives_what_a_lost_task_left_out(
    tasks_not_run, member, other_country_member, thread
):
    """No worker ran: send_notifications' catch-up creates the notifications, once."""
    from django.core.management import call_command

    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(number=1), body="Lost"
    )
    assert not Notification.objects.filter(post=post).exists()

    assert notifications.derive_missed(older_than_seconds=60) == 0  # still in flight
    call_command("send_notifications", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Event.objects.filter(post_id=post.pk).update(created_at=post.created_at.replace(year=2000))
    assert notifications.derive_missed() == 1
    assert notifications.derive_missed() == 0
    assert list(Notification.objects.filter(post=post).values_list("recipient", "kind")) == [
        (member.pk, "reply")
    ]


def test_a_crash_while_deriving_leaves_the_event_for_the_catch_up(
    tasks_not_run, member, other_country_member, thread, monkeypatch
):
    """The claim and the notifications commit together: a failure rolls both back."""
    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(number=1), body="Crash"
    )
    event = Event.objects.get(post_id=post.pk, notify_pending=True)

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(notifications.events, "record_many", crash)
    with pytest.raises(RuntimeError):
        notifications.derive_from_event(event.pk)
    monkeypatch.undo()

    assert Event.objects.get(pk=event.pk).notify_pending
    assert not Notification.objects.filter(post=post).exists()
    assert len(notifications.derive_from_event(event.pk)) == 1


def test_an_approved_post_notifies_after_commit_too(
    thread, cross_border_review, member, other_country_member, moderator
):
    """Publication by approval derives the notifications the same way."""
    from forum.actions import moderation
    from forum.models import Review

    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(number=1), body="Wait"
    )
    assert not Notification.objects.filter(post=post).exists()
    review = Review.objects.get(post=post)
    moderation.approve(moderator=moderator, review=review)
    assert sorted(Notification.objects.filter(post=post).values_list("recipient", "kind")) == [
        (member.pk, "reply"),
        (other_country_member.pk, "moderation"),  # the author hears of the approval
    ]


def test_the_database_worker_derives_queued_notifications(
    member, other_country_member, thread, settings
):
    """With the default backend, the reply queues a task that `db_worker` runs."""
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    post = actions.reply(author=other_country_member, parent=thread.posts.get(number=1), body="Q")
    assert not Notification.objects.filter(post=post).exists()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert list(Notification.objects.filter(post=post).values_list("recipient", "kind")) == [
        (member.pk, "reply")
    ]
    assert not Event.objects.filter(notify_pending=True).exists()


def test_concurrent_replies_to_one_thread_all_succeed_in_order(thread, member, make_member, legal):
    """Ten members reply to one post at the same moment, each on its own connection:
    no deadlock, no lost update, and the numbers run 2..11 without a gap."""
    import threading

    from django.db import close_old_connections

    from forum.models import Post, Thread

    repliers = [make_member(country="KE", groups=[legal]) for _ in range(10)]
    opening = thread.posts.get(number=1)
    start = threading.Barrier(len(repliers))
    errors: list[BaseException] = []

    def write(author):
        try:
            start.wait(timeout=10)
            actions.reply(author=author, parent=opening, body=f"From {author.handle}")
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=write, args=(author,)) for author in repliers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    numbers = sorted(Post.objects.filter(thread=thread).values_list("number", flat=True))
    assert numbers == list(range(1, 12))
    counted = Thread.objects.get(pk=thread.pk)
    assert (counted.post_counter, counted.reply_count) == (11, 10)
    # Every reply notified the thread's author exactly once.
    assert Notification.objects.filter(recipient=member, kind="reply").count() == 10


def test_a_reply_racing_a_move_logs_its_event_in_the_new_group_only(make_member, legal, promotion):
    """The reply loaded the thread before a move committed: its event (with its text)
    still goes to the thread's new group, never to the one it left."""
    from forum import events

    both = make_member(country="CN", groups=[legal, promotion], role="moderator")
    thread = actions.create_thread(author=both, group=legal, title="Racing", body="x")
    stale = thread.posts.select_related("thread").get(number=1)  # thread.group_id: legal
    from forum.models import Thread

    actions.move_thread(moderator=both, thread=Thread.objects.get(pk=thread.pk), group=promotion)
    post = actions.reply(author=both, parent=stale, body="Written during the move")

    logged = Event.objects.get(post_id=post.pk, type="post.created")
    assert logged.stream.key == events.group_stream(promotion.pk)
    assert not Event.objects.filter(
        stream__key=events.group_stream(legal.pk), payload__icontains="Written during"
    ).exists()
