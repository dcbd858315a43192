"""A post inserted live is the server's own rendering of the same partial."""

import re

from django.urls import reverse

from forum.actions import reading
from forum.actions import threads as actions
from tests.conftest import client_for


def _article(page: str, number: int) -> str:
    match = re.search(rf'<article id="p{number}".*?</article>', page, re.S)
    assert match, number
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", match.group(0))


def test_the_fragment_is_identical_to_the_post_on_the_page(thread, member, other_country_member):
    post = actions.reply(author=other_country_member, parent=thread.posts.get(), body="Live *one*")
    reading.react_to_post(member=member, post=post, emoji="heart")
    reading.set_bookmark(member=member, post=post)
    client = client_for(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    for view in ("tree", "flat"):
        client.get(thread.get_absolute_url() + f"?view={view}")
        page = client.get(thread.get_absolute_url()).content.decode()
        fragment = client.get(reverse("post_fragment", args=[post.pk]), {"view": view})
        assert fragment["Cache-Control"] == "private, no-store"
        assert _article(fragment.content.decode(), post.number) == _article(page, post.number)


def test_a_fragment_of_a_post_outside_the_audience_is_not_found(
    member, make_member, legal, start_thread
):
    zambian = make_member(country="ZM", groups=[legal])
    hidden = start_thread(zambian, audience="domestic").posts.get()
    assert client_for(member).get(reverse("post_fragment", args=[hidden.pk])).status_code == 404


def _row(page: str, thread_id: int) -> str:
    match = re.search(rf'<li data-thread="{thread_id}".*?</li>', page, re.S)
    assert match, thread_id
    return match.group(0)


def test_a_thread_row_fragment_is_identical_to_the_row_on_the_group_page(
    thread, member, other_country_member, legal, start_thread
):
    """Unread counts, badges, tags, the avatar and the time: the live row is the page's."""
    reply = actions.reply(author=other_country_member, parent=thread.posts.get(), body="Hi")
    reading.mark_seen(member=member, thread=thread, number=1)
    actions.reply(author=other_country_member, parent=reply, body="And more")
    # Cross-border under review: its author sees "waiting for review" in the list.
    legal.moderation_policy = "cross_border"
    legal.save(update_fields=["moderation_policy"])
    pending = start_thread(
        member, title="Waiting ‮ one?", audience="countries", countries=["ZM"], country_tags=["ZM"]
    )
    assert pending.posts.get().status == "pending"
    client = client_for(member)
    page = client.get(reverse("group", args=[legal.slug])).content.decode()
    for shown in (thread, pending):
        fragment = client.get(reverse("thread_row", args=[shown.pk]))
        assert fragment["Cache-Control"] == "private, no-store"
        assert fragment.content.decode().strip() == _row(page, shown.pk)
    assert "unread-count" in _row(page, thread.pk)
    assert 'class="avatar' in _row(page, thread.pk)
    assert "waiting for review" in _row(page, pending.pk) and 'class="tag"' in _row(
        page, pending.pk
    )


def test_a_thread_row_outside_the_audience_is_not_found(member, make_member, legal, start_thread):
    zambian = make_member(country="ZM", groups=[legal])
    hidden = start_thread(zambian, audience="domestic")
    assert client_for(member).get(reverse("thread_row", args=[hidden.pk])).status_code == 404
    assert client_for(zambian).get(reverse("thread_row", args=[hidden.pk])).status_code == 200


def test_a_thread_row_costs_a_few_queries(thread, member, django_assert_num_queries):
    client = client_for(member)
    client.get(reverse("thread_row", args=[thread.pk]))  # warm the session
    # Session, member, the row (with its read mark and counts), its tags.
    with django_assert_num_queries(4):
        assert client.get(reverse("thread_row", args=[thread.pk])).status_code == 200
