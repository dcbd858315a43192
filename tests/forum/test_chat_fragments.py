"""A chat message's fragment (GET /m/<id>/chat/<message>/fragment/), which the live script
inserts, is the meeting page's own markup for that message, files included."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from attachments.models import Attachment
from forum.actions import meetings as actions
from forum.models import ChatMessage
from tests.attachments import samples
from tests.attachments.conftest import file_store  # noqa: F401 (a fixture: files of their own)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_tokens(html: str) -> str:
    """CSRF tokens are masked afresh on every render: everything else must match."""
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


@pytest.fixture
def message_with_files(live_meeting, other_country_member):
    """A chat message sent over HTTP with a photo and a PDF, as the page's form sends it."""
    response = client_for(other_country_member).post(
        reverse("meeting_chat", args=[live_meeting.pk]),
        {
            "client_id": "with-photo",
            "body": "The **site** photo",
            "files": [
                samples.upload("site.png", samples.png_bytes()),
                samples.upload("plan.pdf", samples.pdf_bytes(pages=2)),
            ],
        },
    )
    assert response.status_code == 302
    return ChatMessage.objects.get(client_id="with-photo")


def fragment(member, message) -> str:
    url = reverse("chat_fragment", args=[message.meeting_id, message.pk])
    response = client_for(member).get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return response.content.decode().strip()


@pytest.mark.parametrize("who", ["member", "chair"])
def test_the_fragment_is_the_pages_markup_for_the_message(request, who, message_with_files):
    reader = request.getfixturevalue(who)
    live = fragment(reader, message_with_files)
    page = client_for(reader).get(message_with_files.meeting.get_absolute_url()).content.decode()
    assert without_tokens(live) in without_tokens(page)
    photo = Attachment.objects.get(owner_id=message_with_files.pk, name="site.png")
    assert f'src="{reverse("attachment_variant", args=[photo.pk, "thumb"])}"' in live
    assert "plan.pdf" in live and "<strong>site</strong>" in live
    assert ("chat-remove" in live) is (who == "chair")


def test_a_removed_message_has_no_fragment(message_with_files, member, chair):
    actions.remove_chat_message(member=chair, message=message_with_files, reason="Off topic")
    url = reverse("chat_fragment", args=[message_with_files.meeting_id, message_with_files.pk])
    assert client_for(member).get(url).status_code == 404


def test_a_message_of_another_meeting_has_no_fragment(message_with_files, schedule, chair, member):
    other = actions.start_meeting(member=chair, meeting=schedule(title="Other"))
    url = reverse("chat_fragment", args=[other.pk, message_with_files.pk])
    assert client_for(member).get(url).status_code == 404


def test_the_fragment_asks_a_fixed_number_of_queries(
    message_with_files, member, django_assert_max_num_queries
):
    url = reverse("chat_fragment", args=[message_with_files.meeting_id, message_with_files.pk])
    client = client_for(member)
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)


def test_only_a_message_sent_with_files_tells_pages_to_fetch_its_fragment(
    message_with_files, live_meeting, other_country_member
):
    """Readers fetch the rendered message only when it has files: a request per reader
    per message would grow with the room."""
    from forum import events
    from forum.models import Event

    plain, _created = actions.send_chat(
        author=other_country_member, meeting=live_meeting, client_id="plain", body="No files"
    )
    logged = {
        row.payload["id"]: row.payload for row in Event.objects.filter(type=events.CHAT_MESSAGE)
    }
    assert logged[message_with_files.pk].get("files") is True
    assert "files" not in logged[plain.pk]
