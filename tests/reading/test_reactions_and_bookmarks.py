"""Reactions through the action and the visibility rule; bookmarks with reminders."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from forum import events
from forum.actions import reading
from forum.actions import threads as actions
from forum.models import Bookmark, Event, Reaction
from tests.conftest import client_for


@pytest.fixture
def reply(thread, other_country_member):
    return actions.reply(author=other_country_member, parent=thread.posts.get(), body="An answer")


def test_a_reaction_toggles_and_logs_counts_for_the_posts_audience(reply, member):
    assert reading.react_to_post(member=member, post=reply, emoji="thumbs_up") is True
    event = Event.objects.filter(type=events.POST_REACTIONS).latest("seq")
    assert event.payload["reactions"] == [
        {
            "emoji": "thumbs_up",
            "symbol": "👍",
            "count": 1,
            "names": [member.display_name],
            "ids": [member.pk],
        }
    ]
    assert event.audience == Event.objects.filter(post_id=reply.pk).earliest("seq").audience
    assert reading.react_to_post(member=member, post=reply, emoji="thumbs_up") is False
    assert not Reaction.objects.exists()


def test_only_the_fixed_emoji_and_only_published_posts(
    reply, member, cross_border_review, make_member, start_thread
):
    with pytest.raises(ValidationError):
        reading.react_to_post(member=member, post=reply, emoji="skull")
    author = make_member(country="ZM", groups=[cross_border_review])
    pending = start_thread(author, audience="countries", countries=["KE"]).posts.get()
    assert pending.status == "pending"
    with pytest.raises(PermissionDenied):
        reading.react_to_post(member=author, post=pending, emoji="heart")


def test_the_thread_page_shows_counts_and_who_reacted(reply, member, other_country_member, thread):
    reading.react_to_post(member=member, post=reply, emoji="heart")
    reading.react_to_post(member=other_country_member, post=reply, emoji="heart")
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert 'class="reaction mine" data-emoji="heart"' in page
    assert f'title="{member.display_name}, {other_country_member.display_name}"' in page
    assert '❤️ <span class="n">2</span>' in page


def test_a_script_gets_the_new_counts_as_json(reply, member):
    response = client_for(member).post(
        reverse("post_react", args=[reply.pk]), {"emoji": "tada"}, HTTP_ACCEPT="application/json"
    )
    assert json.loads(response.content)["reactions"] == [
        {"emoji": "tada", "symbol": "🎉", "count": 1, "names": member.display_name, "mine": True}
    ]


def test_chat_reactions_reach_the_meeting_stream(member, legal, chair):
    from forum.actions import meetings

    begins = timezone.now() + timedelta(hours=1)
    meeting = meetings.start_meeting(
        member=chair,
        meeting=meetings.schedule_meeting(
            organizer=chair,
            group=legal,
            title="Call",
            starts_at=begins,
            ends_at=begins + timedelta(hours=1),
            link="https://meet.example.org/x",
        ),
    )
    message, _created = meetings.send_chat(
        author=member, meeting=meeting, client_id="c1", body="Hi"
    )
    assert reading.react_to_message(member=chair, message=message, emoji="eyes") is True
    event = Event.objects.filter(type=events.CHAT_REACTIONS).latest("seq")
    assert event.payload == {
        "id": message.pk,
        "reactions": [
            {
                "emoji": "eyes",
                "symbol": "👀",
                "count": 1,
                "names": [chair.display_name],
                "ids": [chair.pk],
            }
        ],
    }
    page = client_for(member).get(meeting.get_absolute_url()).content.decode()
    assert '👀 <span class="n">1</span>' in page


def test_bookmarks_list_due_reminders_first_and_only_what_the_member_may_still_see(
    reply, member, thread, make_member, legal, promotion
):
    mover = make_member(country="KE", groups=[legal, promotion], role="moderator", mfa=True)
    soon = timezone.now() + timedelta(minutes=1)
    reading.set_bookmark(member=member, post=reply, remind_at=soon, note="Answer this")
    reading.set_bookmark(member=member, post=thread.posts.get(number=1), note="Opening kept")
    Bookmark.objects.filter(post=reply).update(remind_at=timezone.now() - timedelta(minutes=1))
    page = client_for(member).get(reverse("bookmarks")).content.decode()
    assert page.index("Reminders due") < page.index("Answer this") < page.index("Opening kept")
    # Moved to a group the member is not in: the bookmarks disappear from the list.
    actions.move_thread(moderator=mover, thread=thread, group=promotion)
    page = client_for(member).get(reverse("bookmarks")).content.decode()
    assert "Answer this" not in page and "Opening kept" not in page


def test_a_reminder_in_the_past_is_refused_with_the_text_kept(reply, member):
    response = client_for(member).post(
        reverse("post_bookmark", args=[reply.pk]),
        {"remind_at": "2001-01-01T10:00", "note": "keep me"},
    )
    assert response.status_code == 400
    assert "keep me" in response.content.decode()


def test_a_due_reminder_goes_to_the_inbox_once_and_only_if_still_readable(
    reply, member, thread, make_member, legal, promotion
):
    from forum.models import Notification

    later = timezone.now() + timedelta(hours=1)
    reading.set_bookmark(member=member, post=reply, remind_at=later, note="Answer Amina")
    assert reading.send_due_reminders() == 0  # not yet
    assert reading.send_due_reminders(now=later) == 1
    assert reading.send_due_reminders(now=later + timedelta(minutes=5)) == 0  # once
    notice = Notification.objects.get(recipient=member, kind="reminder")
    assert notice.post_id == reply.pk and notice.data["note"] == "Answer Amina"
    assert notice.data["remind_at"] == later.isoformat()
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert "Reminder: a post you bookmarked." in page and "Answer Amina" in page
    # A post moved out of the member's reach reminds nobody.
    opening = thread.posts.get(number=1)
    reading.set_bookmark(member=member, post=opening, remind_at=later)
    mover = make_member(country="KE", groups=[legal, promotion], role="moderator", mfa=True)
    actions.move_thread(moderator=mover, thread=thread, group=promotion)
    assert reading.send_due_reminders(now=later) == 0
    assert Bookmark.objects.get(post=opening).reminded_at is not None
