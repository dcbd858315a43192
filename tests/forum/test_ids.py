"""Ids from outside (URLs, forms, socket paths): only ASCII digits within the database's
integer range are ids; anything else answers 404, never a server error."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.http import Http404

from forum.actions import threads as actions
from forum.ids import ID_MAX, parse_id
from forum.models import Mute, Notification, Review, Tag
from tests.conftest import client_for

TOO_BIG = "9" * 25  # past any integer column: OverflowError on SQLite, out of range on PostgreSQL
NOT_IDS = ["²", "٣", TOO_BIG, str(ID_MAX + 1), "0", "-1", "+1", " 1", "1 ", "1.0", "0x1", "", "1_0"]


@pytest.fixture
def lenient_client():
    """A client that answers with the server's response (a 500 too) instead of raising."""

    def make(member):
        client = client_for(member)
        client.raise_request_exception = False
        return client

    return make


@pytest.mark.parametrize("raw", ["1", "42", "007", str(ID_MAX)])
def test_ascii_digits_in_range_are_ids(raw):
    assert parse_id(raw) == int(raw)


@pytest.mark.parametrize("raw", [*NOT_IDS, None, 1.0, True, ["1"]])
def test_anything_else_is_404(raw):
    with pytest.raises(Http404):
        parse_id(raw)


def test_integers_from_socket_frames_are_checked_for_range_too():
    assert parse_id(5) == 5
    for raw in (0, -1, ID_MAX + 1, False):
        with pytest.raises(Http404):
            parse_id(raw)


@pytest.mark.django_db
def test_every_models_id_column_holds_every_id_parse_id_accepts():
    """ID_MAX is the smallest id range of the project's tables, on this database."""
    for model in [
        *apps.get_app_config("forum").get_models(),
        *apps.get_app_config("accounts").get_models(),
    ]:
        _low, high = connection.ops.integer_field_range(model._meta.pk.get_internal_type())
        assert high >= ID_MAX, model


@pytest.mark.django_db(transaction=True)  # the notification is derived after commit
@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_marking_a_notification_read_with_a_bad_id_is_404(
    raw, thread, member, other_country_member, lenient_client
):
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="One")
    response = lenient_client(member).post("/inbox/read/", {"id": raw})
    assert response.status_code == 404
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 1


@pytest.fixture
def pending_review(cross_border_review, member, moderator, start_thread) -> Review:
    thread = start_thread(moderator, title="Customs procedures")
    actions.reply(author=member, parent=thread.posts.get(), body="Waiting text.")
    return Review.objects.get()


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_batch_approval_with_a_bad_review_id_is_404(raw, pending_review, moderator, lenient_client):
    response = lenient_client(moderator).post(
        "/mod/approve/", {"review": [str(pending_review.pk), raw]}
    )
    assert response.status_code == 404
    assert Review.objects.get().state == Review.State.OPEN


def test_a_review_with_an_unknown_action_is_refused_without_an_error(
    pending_review, moderator, lenient_client
):
    response = lenient_client(moderator).post(
        f"/mod/review/{pending_review.pk}/", {"action": "explode"}
    )
    assert response.status_code == 302
    assert Review.objects.get().state == Review.State.OPEN


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_inviting_to_a_bad_group_id_is_404(raw, chair, legal, lenient_client):
    response = lenient_client(chair).post(
        "/invitations/",
        {
            "email": "amina@zda.example.org",
            "organization": "Zambia Development Agency",
            "country": "ZM",
            "groups": [str(legal.pk), raw],
            "role": "member",
            "language": "en",
        },
    )
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_lifting_a_mute_with_a_bad_id_is_404(raw, legal, member, moderator, lenient_client):
    from forum.actions import moderation

    moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="Calm")
    response = lenient_client(moderator).post("/g/legal-policy/mod/mutes/", {"lift": raw})
    assert response.status_code == 404
    assert Mute.objects.get().lifted_at is None


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_muting_a_bad_member_id_is_404(raw, moderator, lenient_client):
    response = lenient_client(moderator).post(
        "/g/legal-policy/mod/mutes/", {"mute": "1", "member": raw, "hours": "1", "reason": "x"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_managing_a_bad_membership_id_is_404(raw, chair, lenient_client):
    response = lenient_client(chair).post(
        "/g/legal-policy/members/", {"membership": raw, "action": "remove"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_chat_mute_with_a_bad_member_id_is_404(raw, live_meeting, chair, lenient_client):
    response = lenient_client(chair).post(f"/m/{live_meeting.pk}/mute/", {"member": raw})
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_a_thread_with_a_bad_topic_id_is_404(raw, legal, member, lenient_client):
    topic = Tag.objects.create(group=legal, kind=Tag.Kind.TOPIC, name="mining")
    response = lenient_client(member).post(
        "/g/legal-policy/new/",
        {"title": "Topics", "body": "Text", "audience": "group", "topics": [str(topic.pk), raw]},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["²", TOO_BIG])
def test_a_meeting_with_a_bad_chair_id_is_404(raw, chair, lenient_client):
    response = lenient_client(chair).post(
        "/g/legal-policy/meetings/",
        {
            "title": "Planning",
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T11:00",
            "time_zone": "UTC",
            "format": "online",
            "link": "https://meet.example.org/x",
            "audience": "group",
            "chairs": [raw],
        },
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/t/{id}/",
        "/t/{id}-a-title/",
        "/p/{id}/",
        "/p/{id}/history/",
        "/m/{id}/",
        "/m/{id}/meeting.ics",
        "/mod/review/{id}/",
        "/mod/report/{id}/",
        "/invitations/{id}/revoke/",
        "/m/{meeting}/chat/{id}/remove/",
    ],
)
@pytest.mark.parametrize("raw", [TOO_BIG, str(ID_MAX + 1)])
def test_ids_in_urls_past_the_integer_range_are_404(path, raw, staff, meeting, lenient_client):
    client = lenient_client(staff)
    url = path.format(id=raw, meeting=meeting.pk)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url).status_code == 404
