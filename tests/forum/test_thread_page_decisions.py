"""What each role may do with each post, decided once per page and shown as decided.

Checked from outside in the rendered page, and held equal to the single-post rules.
"""

import re

import pytest
from django.urls import reverse

from forum import visibility
from forum.actions import threads as actions
from forum.models import Post
from tests.conftest import client_for


@pytest.fixture
def post_states(thread, member, other_country_member, moderator, posting_unlimited):
    """Posts of every state in one thread, by `member` and by others."""
    opening = thread.posts.get()
    mine = actions.reply(author=member, parent=opening, body="my reply")
    theirs = actions.reply(author=other_country_member, parent=opening, body="their reply")
    removed = actions.reply(author=member, parent=opening, body="first version")
    actions.edit_post(editor=member, post=removed, body="second version")
    actions.remove_post(moderator=moderator, post=removed, reason="Off topic")
    edited = actions.reply(author=other_country_member, parent=opening, body="draft")
    actions.edit_post(editor=other_country_member, post=edited, body="final")
    return {
        "opening": opening,
        "mine": mine,
        "theirs": theirs,
        "removed": removed,
        "edited": edited,
    }


def _footer(html: str, post: Post) -> str:
    """The links shown under one post."""
    article = re.search(rf'<article id="p{post.number}".*?</article>', html, re.S).group(0)
    return article.split("<footer>", 1)[1]


def _page(member, thread) -> str:
    return client_for(member).get(thread.get_absolute_url()).content.decode()


def test_author_sees_edit_on_their_post_and_others_do_not(
    thread, post_states, member, other_country_member
):
    mine = post_states["mine"]
    edit = reverse("post_edit", args=[mine.pk])
    assert edit in _footer(_page(member, thread), mine)
    assert edit not in _footer(_page(other_country_member, thread), mine)


def test_moderator_edits_any_post_but_nobody_edits_a_removed_one(
    thread, post_states, moderator, member
):
    html = _page(moderator, thread)
    theirs, removed = post_states["theirs"], post_states["removed"]
    assert reverse("post_edit", args=[theirs.pk]) in _footer(html, theirs)
    assert reverse("post_edit", args=[removed.pk]) not in _footer(html, removed)
    assert reverse("post_edit", args=[removed.pk]) not in _page(member, thread)


def test_history_of_a_removed_post_is_for_moderators_only(thread, post_states, member, moderator):
    removed = post_states["removed"]
    history = reverse("post_history", args=[removed.pk])
    assert history in _footer(_page(moderator, thread), removed)
    # Its author no longer sees its earlier text through the page, nor its current one.
    author_html = _page(member, thread)
    assert history not in author_html
    assert "second version" not in author_html and "first version" not in author_html


def test_history_of_an_edited_post_for_its_author_and_moderators(
    thread, post_states, member, other_country_member, moderator
):
    edited = post_states["edited"]
    history = reverse("post_history", args=[edited.pk])
    assert history in _footer(_page(other_country_member, thread), edited)
    assert history in _footer(_page(moderator, thread), edited)
    assert history not in _page(member, thread)


def test_report_shows_on_others_published_posts_only(thread, post_states, member):
    html = _page(member, thread)
    assert reverse("post_report", args=[post_states["theirs"].pk]) in html
    assert reverse("post_report", args=[post_states["mine"].pk]) not in html
    assert reverse("post_report", args=[post_states["removed"].pk]) not in html


def test_removal_reason_text_and_restore_are_for_moderators(thread, post_states, member, moderator):
    removed = post_states["removed"]
    restore = reverse("post_restore", args=[removed.pk])
    mod_html = _footer(_page(moderator, thread), removed)
    assert restore in mod_html
    member_html = _page(member, thread)
    assert restore not in member_html
    assert "Off topic" not in member_html
    assert "Off topic" in _page(moderator, thread)


def test_nobody_replies_to_a_removed_post(thread, post_states, member):
    html = _page(member, thread)
    assert reverse("post_reply", args=[post_states["removed"].pk]) not in html
    assert reverse("post_reply", args=[post_states["theirs"].pk]) in html


@pytest.mark.parametrize("who", ["member", "other_country_member", "moderator", "staff"])
def test_page_decisions_agree_with_the_single_post_rules(
    thread, post_states, who, request, django_assert_num_queries
):
    viewer = request.getfixturevalue(who)
    page_thread = visibility.get_thread_for_page_or_404(viewer, thread.pk)
    moderator = visibility.can_moderate(viewer, page_thread.group)
    posts = list(visibility.visible_posts(viewer, page_thread, moderator=moderator))
    with django_assert_num_queries(0):
        decisions = visibility.post_decisions(viewer, page_thread, posts)
    for post in Post.objects.filter(pk__in=[p.pk for p in posts]):
        shown = decisions[post.pk]
        assert shown.edit == visibility.can_edit_post(viewer, post)
        assert shown.report == visibility.can_report(viewer, post)
        assert shown.moderate == visibility.can_moderate(viewer, post.thread.group)
        removed = post.status == "removed"
        assert shown.history == (
            post.edited_at is not None
            and visibility.can_view_revisions(viewer, post)
            and (not removed or shown.moderate)
        )
        assert shown.reply == (
            visibility.can_reply(viewer, post.thread) and post.status == "published"
        )
