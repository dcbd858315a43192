"""Who sees which thread, checked from the outside through the pages, per role."""

import re

import pytest
from django.urls import reverse

from forum.actions import threads as actions
from tests.conftest import client_for

ROLES = [
    "author",
    "same_country",
    "other_country",
    "non_member",
    "moderator_elsewhere",
    "staff",
    "anonymous",
]


@pytest.fixture
def readers(member, make_member, legal, promotion, staff):
    from forum.models import Role

    return {
        "author": member,
        "same_country": make_member(country="CN", groups=[legal]),
        "other_country": make_member(country="ZM", groups=[legal]),
        "non_member": make_member(country="CN", groups=[promotion]),
        "moderator_elsewhere": make_member(country="KE", groups=[legal], role=Role.MODERATOR),
        "staff": staff,
        "anonymous": None,
    }


DOMESTIC_SEES = {
    "author": True,
    "same_country": True,
    "other_country": False,
    "non_member": False,
    "moderator_elsewhere": False,
    "staff": True,
    "anonymous": False,
}
GROUP_SEES = {
    "author": True,
    "same_country": True,
    "other_country": True,
    "non_member": False,
    "moderator_elsewhere": True,
    "staff": True,
    "anonymous": False,
}


@pytest.mark.parametrize("role", ROLES)
def test_domestic_thread_is_seen_only_in_its_country(readers, domestic_thread, legal, role):
    client = client_for(readers[role])
    page = client.get(domestic_thread.get_absolute_url())
    listing = client.get(reverse("group", args=[legal.slug]))
    post = client.get(reverse("post", args=[domestic_thread.posts.get().pk]))
    reply = client.get(reverse("post_reply", args=[domestic_thread.posts.get().pk]))
    if DOMESTIC_SEES[role]:
        assert page.status_code == 200
        assert domestic_thread.title in listing.content.decode()
        assert post.status_code == 302 and reply.status_code == 200
    elif role == "anonymous":
        assert page.status_code == post.status_code == listing.status_code == 302
    else:
        assert page.status_code == post.status_code == reply.status_code == 404
        assert domestic_thread.title not in listing.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_group_thread_is_seen_by_every_member_of_the_group(readers, thread, role):
    page = client_for(readers[role]).get(thread.get_absolute_url())
    expected = 200 if GROUP_SEES[role] else (302 if role == "anonymous" else 404)
    assert page.status_code == expected


def test_thread_outside_the_audience_answers_exactly_like_a_missing_one(readers, domestic_thread):
    client = client_for(readers["other_country"])
    hidden = client.get(domestic_thread.get_absolute_url())
    missing = client.get(reverse("thread", args=[domestic_thread.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404

    def without_csrf(html: bytes) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())

    assert without_csrf(hidden.content) == without_csrf(missing.content)


def test_selected_countries_thread_reaches_only_those_countries(start_thread, member, readers):
    thread = start_thread(member, audience="countries", countries=["KE"], title="CN and KE")
    assert (
        client_for(readers["moderator_elsewhere"]).get(thread.get_absolute_url()).status_code == 200
    )  # Kenya
    assert (
        client_for(readers["other_country"]).get(thread.get_absolute_url()).status_code == 404
    )  # Zambia


def test_pending_post_is_seen_by_its_author_and_moderators_only(thread, readers, moderator):
    from forum.models import PostStatus

    post = actions.reply(
        author=readers["other_country"], parent=thread.posts.get(), body="Zq-held-text"
    )
    post.status = PostStatus.PENDING
    post.save()
    for role, sees in [("other_country", True), ("same_country", False), ("staff", True)]:
        html = client_for(readers[role]).get(thread.get_absolute_url()).content.decode()
        assert ("Zq-held-text" in html) is sees, role
    assert "Zq-held-text" in client_for(moderator).get(thread.get_absolute_url()).content.decode()


def test_removed_post_shows_a_placeholder_to_readers(thread, member, moderator, readers):
    reply = actions.reply(author=member, parent=thread.posts.get(), body="secret text")
    actions.remove_post(moderator=moderator, post=reply, reason="Off topic")
    html = client_for(readers["same_country"]).get(thread.get_absolute_url()).content.decode()
    assert "secret text" not in html
    assert "Removed by a moderator." in html
    assert "Off topic" not in html
    mod_html = client_for(moderator).get(thread.get_absolute_url()).content.decode()
    assert "Off topic" in mod_html


def test_revisions_are_visible_to_author_and_moderators_only(thread, member, readers, moderator):
    opening = thread.posts.get()
    actions.edit_post(editor=member, post=opening, body="second version")
    url = reverse("post_history", args=[opening.pk])
    assert client_for(member).get(url).status_code == 200
    assert client_for(moderator).get(url).status_code == 200
    assert client_for(readers["same_country"]).get(url).status_code == 404


def test_a_removed_posts_history_is_for_moderators_only_not_its_author(
    thread, member, other_country_member, moderator
):
    reply = actions.reply(author=other_country_member, parent=thread.posts.get(), body="First")
    actions.edit_post(editor=other_country_member, post=reply, body="Second words")
    actions.remove_post(moderator=moderator, post=reply, reason="Off topic")
    url = reverse("post_history", args=[reply.pk])
    assert client_for(other_country_member).get(url).status_code == 404
    page = client_for(other_country_member).get(thread.get_absolute_url()).content.decode()
    assert url not in page and "Second words" not in page
    history = client_for(moderator).get(url)
    assert history.status_code == 200
    assert "Second words" in history.content.decode() and "First" in history.content.decode()


def test_unread_marker_clears_when_the_reader_has_seen_the_thread(thread, readers, legal):
    client = client_for(readers["same_country"])
    listing = client.get(reverse("group", args=[legal.slug])).content.decode()
    assert "thread-row unread" in listing or "unread" in listing
    client.get(thread.get_absolute_url())
    client.post(reverse("thread_seen", args=[thread.pk]), {"number": "1"})
    listing = client.get(reverse("group", args=[legal.slug])).content.decode()
    assert "thread-row unread" not in listing
