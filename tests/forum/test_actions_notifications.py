"""Notifications: who hears of a post, mutes, watches, visibility, the inbox stream."""

from __future__ import annotations

import pytest

from forum import events
from forum.actions import moderation, notifications
from forum.actions import threads as actions
from forum.models import Event, Notification, PostStatus, Review, Watch

# Notifications are derived once the post's transaction commits: commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("posting_unlimited")]


def kinds_for(member) -> list[str]:
    return list(Notification.objects.filter(recipient=member).values_list("kind", flat=True))


def test_author_watches_own_thread_and_repliers_watch_too(thread, member, other_country_member):
    """Starting a thread or replying in it makes the writer a watcher."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Me too")
    assert set(Watch.objects.filter(thread=thread).values_list("member_id", flat=True)) == {
        member.pk,
        other_country_member.pk,
    }


def test_reply_notifies_parent_author_once(thread, member, other_country_member):
    """A reply reaches the author of the post it answers as 'reply', not also as 'watched'."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="An answer")
    assert kinds_for(member) == ["reply"]
    assert kinds_for(other_country_member) == []


def test_watchers_hear_of_replies_in_the_thread(thread, member, make_member, legal):
    """Everyone watching hears of a reply to someone else's post as 'watched_reply'."""
    first = make_member(country="ZM", groups=[legal])
    second = make_member(country="KE", groups=[legal])
    opening = thread.posts.get()
    answer = actions.reply(author=first, parent=opening, body="First")
    actions.reply(author=second, parent=answer, body="Second")
    assert sorted(kinds_for(member)) == ["reply", "watched_reply"]
    assert kinds_for(first) == ["reply"]


def test_mention_beats_reply_and_is_a_single_notification(thread, member, other_country_member):
    """A member both answered and mentioned gets one notification: the mention."""
    actions.reply(
        author=other_country_member, parent=thread.posts.get(), body=f"@{member.handle} see this"
    )
    assert kinds_for(member) == ["mention"]


def test_mention_outside_the_audience_notifies_nobody(domestic_thread, member, make_member, legal):
    """A domestic thread never notifies a member of another country, even when named."""
    abroad = make_member(country="ZM", groups=[legal], handle="abroad")
    colleague = make_member(country="CN", groups=[legal], handle="colleague")
    actions.reply(author=member, parent=domestic_thread.posts.get(), body="@abroad @colleague hi")
    assert kinds_for(abroad) == []
    assert kinds_for(colleague) == ["mention"]


def test_muted_thread_notifies_nothing(thread, member, other_country_member):
    """Muting a thread silences replies and mentions from it."""
    notifications.set_watch(member=member, thread=thread, state="mute")
    actions.reply(
        author=other_country_member, parent=thread.posts.get(), body=f"@{member.handle} hello"
    )
    assert kinds_for(member) == []


def test_unwatched_thread_still_notifies_replies_to_my_post(thread, member, other_country_member):
    """Not watching stops 'watched_reply', not replies to one's own post."""
    notifications.set_watch(member=member, thread=thread, state="none")
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hi")
    assert kinds_for(member) == ["reply"]


def test_pending_post_notifies_nobody_until_approved(
    cross_border_review, member, other_country_member, moderator, start_thread
):
    """A post waiting for review is not announced; its approval announces it and tells
    the author."""
    thread = start_thread(moderator)
    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(), body=f"@{member.handle} hi"
    )
    assert post.status == PostStatus.PENDING
    assert kinds_for(member) == []
    moderation.approve(moderator=moderator, review=Review.objects.get(post=post))
    assert kinds_for(member) == ["mention"]
    assert kinds_for(other_country_member) == ["moderation"]
    assert Notification.objects.get(recipient=other_country_member).data == {"outcome": "approved"}


def test_rejection_tells_the_author_why_in_their_language(
    cross_border_review, make_member, moderator, start_thread
):
    author = make_member(country="ZM", groups=[cross_border_review], language="fr")
    thread = start_thread(moderator)
    post = actions.reply(author=author, parent=thread.posts.get(), body="Brouillon")
    moderation.reject(
        moderator=moderator, review=Review.objects.get(post=post), reason="tone", note="Merci."
    )
    note = Notification.objects.get(recipient=author)
    assert note.kind == "moderation" and note.data["outcome"] == "rejected"
    assert note.data["reason"].endswith("Merci.")
    assert note.data["reason"] != "Tone or language not appropriate Merci."  # French label


def test_edit_and_approve_tells_the_author_what_changed(
    cross_border_review, member, moderator, start_thread
):
    thread = start_thread(member, title="Held")
    moderation.edit_and_approve(
        moderator=moderator, review=Review.objects.get(post__thread=thread), body="Fixed text"
    )
    note = Notification.objects.get(recipient=member, kind="moderation")
    assert "+Fixed text" in note.data["changes"]


def test_removal_tells_the_author_without_quoting_the_post(thread, member, moderator):
    post = thread.posts.get()
    actions.remove_post(moderator=moderator, post=post, reason="Confidential")
    note = Notification.objects.get(recipient=member, kind="moderation")
    assert note.post is None and note.thread == thread
    assert note.data["outcome"] == "removed" and note.data["reason"] == "Confidential"


def test_notification_is_logged_on_the_members_stream(thread, member, other_country_member):
    """Each notification appends an event to member:<id>, readable only by that member."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hi")
    event = Event.objects.get(stream__key=notifications.inbox_stream(member.pk))
    assert event.type == notifications.NOTIFICATION_CREATED
    assert event.payload["kind"] == "reply"
    assert "html" not in event.payload  # ids only: text is fetched with visibility
    assert event.audience["members"] == [member.pk]
    assert events.last_seq(notifications.inbox_stream(member.pk)) == 1


def test_notify_moderation_outcome_for_own_pending_post(thread, member, moderator):
    """The lead's moderation calls notify(kind=moderation); the author gets it with data."""
    post = thread.posts.get()
    created = notifications.notify(
        recipient=member,
        kind="moderation",
        actor=moderator,
        post=post,
        data={"outcome": "rejected", "reason": "Off topic"},
    )
    assert created is not None
    assert created.thread == thread
    assert created.data["reason"] == "Off topic"


def test_notify_refuses_a_post_the_recipient_may_not_see(domestic_thread, make_member, legal):
    """notify() checks visibility itself: no notification about an unseen post."""
    abroad = make_member(country="ZM", groups=[legal])
    assert (
        notifications.notify(recipient=abroad, kind="mention", post=domestic_thread.posts.get())
        is None
    )
    assert not Notification.objects.filter(recipient=abroad).exists()


def test_immediate_email_follows_the_members_settings(thread, member, other_country_member):
    """Mentions queue an email by default; replies only when the member asked for them."""
    opening = thread.posts.get()
    actions.reply(author=other_country_member, parent=opening, body="reply")
    actions.reply(author=other_country_member, parent=opening, body=f"@{member.handle} mention")
    pending = dict(
        Notification.objects.filter(recipient=member).values_list("kind", "email_pending")
    )
    assert pending == {"reply": False, "mention": True}


def test_mark_read_one_and_all(thread, member, other_country_member):
    """Marking one read leaves the others; marking all clears the count and logs an event."""
    opening = thread.posts.get()
    for n in range(3):
        actions.reply(author=other_country_member, parent=opening, body=f"r{n}")
    first = Notification.objects.filter(recipient=member).first()
    assert notifications.mark_read(member=member, notification_ids=[first.pk]) == 1
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 2
    assert notifications.mark_read(member=member) == 2
    last = Event.objects.filter(stream__key=f"member:{member.pk}").order_by("-seq").first()
    assert last.type == notifications.NOTIFICATIONS_READ
    assert last.payload["unread"] == 0


def test_scheduling_a_meeting_invites_its_audience_to_their_inbox(
    schedule, chair, member, other_country_member, outsider
):
    """Everyone the meeting is addressed to finds the invitation in their inbox."""
    from datetime import timedelta

    from tests.conftest import client_for

    meeting = schedule(title="Investment forum prep", starts_in=timedelta(days=2))
    invited = set(Notification.objects.filter(kind="meeting").values_list("recipient", flat=True))
    assert invited == {member.pk, other_country_member.pk}  # not the organizer, not outsiders
    page = client_for(member).get("/inbox/").content.decode()
    assert "You are invited to Investment forum prep" in page
    assert meeting.get_absolute_url() in page


def test_a_domestic_meeting_invites_only_its_country(schedule, chair, make_member, legal):
    egyptian = make_member(country="EG", groups=[legal])
    zambian = make_member(country="ZM", groups=[legal])
    schedule(title="Cairo briefing", audience="domestic")  # the chair is in Egypt
    invited = set(Notification.objects.filter(kind="meeting").values_list("recipient", flat=True))
    assert egyptian.pk in invited and zambian.pk not in invited
