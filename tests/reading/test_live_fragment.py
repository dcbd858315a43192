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
