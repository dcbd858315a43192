"""The pages: /messages/, a conversation, the compose form, buttons on profiles."""

from __future__ import annotations

import pytest

from conversations.actions import messages as actions
from conversations.models import DirectMessage
from tests.conftest import client_for
from tests.conversations.conftest import say

pytestmark = pytest.mark.django_db


def test_the_list_shows_unread_first_with_names_countries_and_previews(
    member, other_country_member, make_member, legal
):
    third = make_member(country="KE", groups=[legal])
    older, _m = actions.start_conversation(
        author=third, recipients=[other_country_member], body="Old news", client_id="a"
    )
    actions.mark_read(member=other_country_member, conversation=older)
    newer, _m = actions.start_conversation(
        author=member, recipients=[other_country_member], body="**Fresh** news", client_id="b"
    )
    say(third, older, "Newest, but read later")
    actions.mark_read(member=other_country_member, conversation=older)
    page = client_for(other_country_member).get("/messages/").content.decode()
    assert page.index(f'id="c{newer.pk}"') < page.index(f'id="c{older.pk}"')
    assert "Fresh news" in page and "<strong>Fresh" not in page.split("preview")[1][:200]
    assert member.display_name in page and "local time" in page
    assert "🇨🇳" in page  # the other member's country


def test_a_conversation_shows_newest_at_the_bottom_and_marks_it_read(
    member, other_country_member, pair
):
    say(member, pair, "Second")
    say(member, pair, "Third")
    response = client_for(other_country_member).get(f"/messages/{pair.pk}/")
    page = response.content.decode()
    assert page.index("Hello") < page.index("Second") < page.index("Third")
    from conversations import visibility

    assert visibility.unread_count(other_country_member) == 0


def test_older_messages_behind_a_load_older_link(settings, member, other_country_member, pair):
    from conversations import views

    settings.DM_MESSAGES_PER_MINUTE = 1000
    for n in range(2, views.MESSAGES_PER_PAGE + 6):
        say(member, pair, f"Number {n:03d}")
    client = client_for(other_country_member)
    page = client.get(f"/messages/{pair.pk}/").content.decode()
    assert "Number 006" in page and "Number 005" not in page
    assert 'id="load-older" href="?before=6"' in page
    older = client.get(f"/messages/{pair.pk}/?before=6").content.decode()
    assert "Hello" in older and "Number 005" in older and "Number 006" not in older
    assert client.get(f"/messages/{pair.pk}/?before=%C2%B2").status_code == 404


def test_the_compose_form_keeps_the_text_on_error(settings, member, other_country_member, pair):
    settings.DM_MESSAGES_PER_MINUTE = 1  # the opening message used it up
    client = client_for(member)
    response = client.post(
        f"/messages/{pair.pk}/", {"body": "Words I typed with care", "client_id": "k1"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Words I typed with care" in page
    assert "too quickly" in page


def test_posting_the_form_sends_once_even_when_resubmitted(member, other_country_member, pair):
    client = client_for(other_country_member)
    for _ in range(2):
        response = client.post(f"/messages/{pair.pk}/", {"body": "Reply", "client_id": "same"})
        assert response.status_code == 302
    assert DirectMessage.objects.filter(conversation=pair, body="Reply").count() == 1


def test_deleted_text_is_gone_from_the_page(member, other_country_member, pair):
    message = say(member, pair, "Something I regret")
    client_for(member).post(f"/messages/m/{message.pk}/delete/")
    for viewer in (member, other_country_member):
        page = client_for(viewer).get(f"/messages/{pair.pk}/").content.decode()
        assert "Something I regret" not in page
        assert "message deleted" in page
    listing = client_for(other_country_member).get("/messages/").content.decode()
    assert "Something I regret" not in listing


def test_a_non_participant_gets_the_404_of_a_missing_conversation(pair, make_member, legal):
    stranger = client_for(make_member(country="ZM", groups=[legal]))
    theirs = stranger.get(f"/messages/{pair.pk}/")
    missing = stranger.get("/messages/999999/")
    assert theirs.status_code == missing.status_code == 404
    from tests.access import normalized

    assert normalized(theirs.content, f"/messages/{pair.pk}/") == normalized(
        missing.content, "/messages/999999/"
    )


def test_message_button_on_profiles_and_member_lists(member, other_country_member, outsider):
    client = client_for(member)
    profile = client.get(f"/members/{other_country_member.handle}/").content.decode()
    assert f"/messages/new/?to={other_country_member.handle}" in profile
    own = client.get(f"/members/{member.handle}/").content.decode()
    assert "/messages/new/" not in own
    people = client.get("/g/legal-policy/people/")
    if people.status_code == 200:
        assert f"/messages/new/?to={other_country_member.handle}" in people.content.decode()


def test_starting_a_conversation_from_the_form(member, other_country_member):
    client = client_for(member)
    response = client.post(
        "/messages/new/",
        {"to": f"@{other_country_member.handle}", "body": "Hi there", "client_id": "n1"},
    )
    assert response.status_code == 302
    conversation_url = response["Location"]
    # A second start with the same member continues the same conversation.
    again = client.post(
        "/messages/new/",
        {"to": other_country_member.handle, "body": "Again", "client_id": "n2"},
    )
    assert again["Location"] == conversation_url
    assert client.get(f"/messages/new/?to={other_country_member.handle}")["Location"] == (
        conversation_url
    )


def test_an_unknown_or_unseen_recipient_reads_the_same(member, outsider):
    client = client_for(member)
    unseen = client.post(
        "/messages/new/", {"to": outsider.handle, "body": "Hi", "client_id": "u1"}
    ).content.decode()
    missing = client.post(
        "/messages/new/", {"to": "nobody-at-all", "body": "Hi", "client_id": "u2"}
    ).content.decode()
    assert "No such member: " + outsider.handle in unseen
    assert "No such member: nobody-at-all" in missing
    assert "Hi</textarea>" in unseen


def test_blocked_sender_sees_only_cannot_message(member, other_country_member, pair):
    client_for(other_country_member).post(f"/messages/block/{member.handle}/", {"action": "block"})
    page = client_for(member).get(f"/messages/{pair.pk}/").content.decode()
    assert "You cannot message this member." in page
    assert "blocked" not in page.lower()


def test_staff_see_the_report_but_not_the_conversation(member, other_country_member, pair, staff):
    message = say(member, pair, "Offensive words")
    say(member, pair, "Unrelated later words 1")
    client_for(other_country_member).post(
        f"/messages/m/{message.pk}/report/", {"reason": "Offensive"}
    )
    staff_client = client_for(staff)
    assert staff_client.get(f"/messages/{pair.pk}/").status_code == 404
    from conversations.models import MessageReport

    report = MessageReport.objects.get()
    page = staff_client.get(f"/messages/reports/{report.pk}/").content.decode()
    assert "Offensive words" in page


def test_the_email_setting_is_saved_from_the_list(member):
    from conversations.models import MailPreference

    client = client_for(member)
    assert client.post("/messages/email/", {}).status_code == 302
    assert MailPreference.objects.get(member=member).immediate is False
    client.post("/messages/email/", {"immediate": "on"})
    assert MailPreference.objects.get(member=member).immediate is True
    assert "checked" in client.get("/messages/").content.decode()
