"""Every list of members shows each one's avatar, drawn by the same tag as beside posts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conversations.actions import messages as dm_actions
from forum.actions import meetings as meeting_actions
from forum.actions import moderation
from forum.actions import threads as actions
from forum.models import Review
from forum.templatetags.forum import avatar
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("posting_unlimited")


def shows_avatar(page: str, member) -> bool:
    return str(avatar(member)) in page


def test_the_meeting_page_shows_the_organizer_chairs_and_who_is_coming(
    schedule, chair, member, other_country_member
):
    meeting = schedule(chairs=[other_country_member])
    meeting_actions.rsvp(member=member, meeting=meeting, answer="yes")
    page = client_for(member).get(meeting.get_absolute_url()).content.decode()
    for person in (chair, other_country_member, member):
        assert shows_avatar(page, person), person


def test_the_chairs_member_table_shows_avatars(chair, member, legal):
    page = client_for(chair).get(reverse("group_members", args=[legal.slug])).content.decode()
    assert shows_avatar(page, member) and shows_avatar(page, chair)


def test_the_people_page_shows_avatars(member, other_country_member, legal):
    page = client_for(member).get(reverse("group_people", args=[legal.slug])).content.decode()
    assert shows_avatar(page, other_country_member)


def test_the_review_queue_shows_authors_and_reporters(
    moderator, member, other_country_member, start_thread, thread, legal
):
    reported = actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hm")
    moderation.report_post(reporter=member, post=reported, reason="spam")
    legal.moderation_policy = "cross_border"
    legal.save(update_fields=["moderation_policy"])
    start_thread(member, title="Across the border")  # waits for review
    page = client_for(moderator).get(reverse("queue")).content.decode()
    assert "Across the border" in page
    assert shows_avatar(page, member)  # the author waiting for review, and the reporter
    assert shows_avatar(page, other_country_member)  # the author reported
    review = Review.objects.get(post__thread__title="Across the border")
    page = client_for(moderator).get(reverse("review", args=[review.pk])).content.decode()
    assert shows_avatar(page, member)


def test_the_mutes_table_shows_who_is_muted(moderator, member, legal):
    moderation.mute(moderator=moderator, group=legal, member=member, hours=2, reason="Calm")
    page = client_for(moderator).get(reverse("group_mutes", args=[legal.slug])).content.decode()
    assert shows_avatar(page, member)


def test_the_conversation_list_shows_the_others(member, other_country_member):
    conversation, _first = dm_actions.start_conversation(
        author=member, recipients=[other_country_member], body="Hello", client_id="c-1"
    )
    page = client_for(member).get(reverse("conversations:list")).content.decode()
    assert shows_avatar(page, other_country_member)
    page = client_for(member).get(conversation.get_absolute_url()).content.decode()
    assert shows_avatar(page, other_country_member)  # among the members of the conversation


def test_search_results_show_their_authors(member, other_country_member, legal):
    actions.create_thread(author=other_country_member, group=legal, title="Tariffs", body="Text")
    page = client_for(member).get(reverse("search"), {"q": "tariffs"}).content.decode()
    assert "Tariffs" in page
    assert shows_avatar(page, other_country_member)
