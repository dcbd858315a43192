"""Read marks move forward on the reader's "seen" signal, and only then."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from forum.actions import reading
from forum.actions import threads as actions
from forum.models import ThreadRead
from tests.conftest import client_for


def _listing(client, group) -> str:
    return client.get(reverse("group", args=[group.slug])).content.decode()


def _row(html: str, thread) -> str:
    start = html.index(f'data-thread="{thread.pk}"')
    return html[start : html.index("</li>", start)]


@pytest.fixture
def replied_thread(thread, member, other_country_member, posting_unlimited):
    """A thread of three posts, the last by someone other than `member`."""
    opening = thread.posts.get()
    actions.reply(author=member, parent=opening, body="second")
    actions.reply(author=other_country_member, parent=opening, body="third")
    thread.refresh_from_db()
    return thread


def test_seeing_the_last_post_marks_the_thread_read_on_the_group_page(
    replied_thread, member, member_client, legal
):
    assert "unread" in _row(_listing(member_client, legal), replied_thread)
    response = member_client.post(
        reverse("thread_seen", args=[replied_thread.pk]), {"number": 3, "back": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("group", args=[legal.slug])
    assert "unread" not in _row(_listing(member_client, legal), replied_thread)
    assert ThreadRead.objects.get(member=member).read_at == replied_thread.last_activity_at


def test_seeing_part_of_a_thread_leaves_it_unread_but_no_longer_new(
    replied_thread, member_client, legal
):
    member_client.post(reverse("thread_seen", args=[replied_thread.pk]), {"number": 2})
    row = _row(_listing(member_client, legal), replied_thread)
    assert "unread" in row and ">new<" not in row


def test_a_new_reply_makes_a_read_thread_unread_again(
    replied_thread, member_client, other_country_member, legal
):
    member_client.post(reverse("thread_seen", args=[replied_thread.pk]), {"number": 3})
    actions.reply(author=other_country_member, parent=replied_thread.posts.get(number=1), body="4")
    assert "unread" in _row(_listing(member_client, legal), replied_thread)


def test_the_mark_only_moves_forward_and_writes_only_when_it_does(
    replied_thread, member, django_assert_num_queries
):
    assert reading.mark_seen(member=member, thread=replied_thread, number=3)
    read_at = ThreadRead.objects.get(member=member).read_at
    for number in (3, 2, 1):
        with django_assert_num_queries(3) as captured:  # role, posts, the mark: no write
            assert not reading.mark_seen(member=member, thread=replied_thread, number=number)
        assert not [q for q in captured.captured_queries if "UPDATE" in q["sql"].upper()]
    assert ThreadRead.objects.get(member=member).read_at == read_at


def test_an_approved_old_post_is_caught_up_by_seeing_the_same_last_post(replied_thread, member):
    reading.mark_seen(member=member, thread=replied_thread, number=3)
    later = replied_thread.last_activity_at + timedelta(minutes=5)
    type(replied_thread).objects.filter(pk=replied_thread.pk).update(last_activity_at=later)
    replied_thread.refresh_from_db()
    assert reading.mark_seen(member=member, thread=replied_thread, number=3)
    assert ThreadRead.objects.get(member=member).read_at == later


def test_script_gets_204_and_a_bad_number_gets_400(replied_thread, member_client):
    url = reverse("thread_seen", args=[replied_thread.pk])
    assert member_client.post(url, {"number": "3"}).status_code == 204
    for bad in ("", "abc", "²", "-1", "0", "9" * 25):
        assert member_client.post(url, {"number": bad}).status_code == 400


def test_seen_answers_404_for_a_thread_the_member_may_not_see(
    domestic_thread, other_country_member, outsider
):
    url = reverse("thread_seen", args=[domestic_thread.pk])
    for stranger in (other_country_member, outsider):
        assert client_for(stranger).post(url, {"number": "1"}).status_code == 404
    assert (
        client_for(outsider).post(reverse("thread_seen", args=[10**6]), {"number": "1"}).status_code
        == 404
    )
    assert not ThreadRead.objects.exists()


def test_seen_needs_a_signed_in_member_a_post_and_a_csrf_token(thread, member):
    url = reverse("thread_seen", args=[thread.pk])
    anonymous = Client().post(url, {"number": "1"})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert client_for(member).get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(url, {"number": "1"}).status_code == 403
    assert not ThreadRead.objects.exists()


def test_the_page_carries_the_seen_form_for_readers_without_javascript(thread, member_client):
    html = member_client.get(thread.get_absolute_url()).content.decode()
    assert f'action="{reverse("thread_seen", args=[thread.pk])}"' in html
    assert 'name="number" value="1"' in html
    assert "forum/seen.js" in html
