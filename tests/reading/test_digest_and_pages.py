"""The digest's subject and body agree; the thread page's weight and queries; pickers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Member
from countries.reference import partner_codes
from forum import digests
from forum.actions import reading
from forum.actions import threads as actions
from forum.forms import ThreadForm
from tests.conftest import client_for


@pytest.mark.usefixtures("posting_unlimited")
def test_replies_counted_in_the_subject_are_listed_in_the_body(
    thread, other_country_member, make_member, legal
):
    reader = make_member(country="ZM", groups=[legal])
    opening = thread.posts.get()
    for n in range(4):
        actions.reply(author=other_country_member, parent=opening, body=f"r{n}")
    Member.objects.filter(pk=reader.pk).update(digest_hour=0, time_zone="UTC")
    digests.run(now=timezone.now() + timedelta(seconds=1))
    [message] = [m for m in mail.outbox if m.to == [reader.email]]
    assert message.subject == "Legal policy: 1 new thread, 4 replies"
    assert "4 new replies" in message.body
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    assert "4 new replies" in html
    assert ".." not in message.body.split("since", 1)[1].split("\n", 1)[0]


@pytest.mark.usefixtures("posting_unlimited")
def test_a_thread_page_of_twenty_posts_with_reactions_stays_small_and_cheap(
    thread, member, other_country_member, django_assert_max_num_queries
):
    opening = thread.posts.get()
    posts = [
        actions.reply(
            author=other_country_member, parent=opening, body="A reply of some length. " * 12
        )
        for _ in range(19)
    ]
    for post in posts[:10]:
        reading.react_to_post(member=other_country_member, post=post, emoji="thumbs_up")
        reading.set_bookmark(member=member, post=post)
    reading.mark_seen(member=member, thread=thread, number=5)
    client = client_for(member)
    client.get(thread.get_absolute_url())  # a second visit: the header's groups are cached
    # The page's 9, and where the first unread post is: which one, and on which page.
    with django_assert_max_num_queries(11):
        response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["page"]) == 20
    assert len(response.content) < 40 * 1024, len(response.content)


def test_country_pickers_list_partners_first_with_names_in_the_readers_language(legal):
    with translation.override("fr"):
        choices = list(ThreadForm(group=legal).fields["countries"].choices)
    partners = partner_codes()
    first_other = next(i for i, (code, _name) in enumerate(choices) if code not in partners)
    assert all(code in partners for code, _name in choices[:first_other])
    assert dict(choices)["EG"] == "Égypte"


def test_the_review_queue_filters_authors_by_a_country_picker(moderator, legal):
    page = client_for(moderator).get(
        reverse("group_queue", args=[legal.slug]), {"country": ["ZM", "KE"]}
    )
    html = page.content.decode()
    assert '<select id="f-country" name="country" multiple' in html
    assert '<option value="ZM" selected>' in html and '<option value="KE" selected>' in html


def test_the_favicon_moves_to_the_static_icon(anonymous_client):
    response = anonymous_client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".ico")
