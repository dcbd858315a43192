"""The thread page: few queries, no write when shown, and 304 for an unchanged page."""

import pytest
from django.urls import reverse

from forum.actions import threads as actions
from tests.conftest import client_for

# Session, member, thread (with the viewer's role, the group's seq, the watch state and
# the read mark), posts (with their total), the viewer's own reviews, the posts' files,
# their reactions with the viewer's bookmarks, tags, unread count: 9. The header's
# groups come from the cache (forum/navigation.py) once the member has seen a page.
THREAD_PAGE_QUERIES = 9


@pytest.fixture
def busy_thread(thread, member, other_country_member, moderator, posting_unlimited):
    """A thread of 25 posts by three people: one edited, one removed, one quoted."""
    opening = thread.posts.get()
    authors = [other_country_member, member, moderator]
    parent = opening
    for n in range(24):
        post = actions.reply(author=authors[n % 3], parent=parent, body=f"Reply **{n}**")
        parent = post if n % 4 else opening
    edited = thread.posts.get(number=3)
    actions.edit_post(editor=edited.author, post=edited, body="Edited reply")
    actions.remove_post(moderator=moderator, post=thread.posts.get(number=4), reason="Off topic")
    return thread


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]


@pytest.mark.parametrize("who", ["member", "moderator"])
@pytest.mark.parametrize("view", ["tree", "flat"])
def test_thread_page_of_twenty_posts_costs_nine_queries_and_writes_nothing(
    busy_thread, who, view, request, django_assert_max_num_queries
):
    viewer = request.getfixturevalue(who)
    viewer.thread_view = view
    viewer.save(update_fields=["thread_view"])
    client = client_for(viewer)
    # A second visit: the header's groups, the content type and the partner countries
    # are cached (per member, per process) after the first.
    client.get(busy_thread.get_absolute_url())
    with django_assert_max_num_queries(THREAD_PAGE_QUERIES) as captured:
        response = client.get(busy_thread.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["page"]) == 20
    assert _writes(captured.captured_queries) == []
    assert len(response.content) <= 40 * 1024


def test_repeated_request_for_an_unchanged_page_answers_304(busy_thread, member_client):
    first = member_client.get(busy_thread.get_absolute_url())
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert "private" in first["Cache-Control"]
    again = member_client.get(busy_thread.get_absolute_url(), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_304_costs_no_rendering_and_writes_nothing(
    busy_thread, member_client, django_assert_max_num_queries
):
    etag = member_client.get(busy_thread.get_absolute_url())["ETag"]
    with django_assert_max_num_queries(THREAD_PAGE_QUERIES) as captured:
        again = member_client.get(busy_thread.get_absolute_url(), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert not again.templates
    assert _writes(captured.captured_queries) == []


def test_another_viewer_with_the_same_etag_gets_the_whole_page(
    busy_thread, member_client, other_country_member
):
    etag = member_client.get(busy_thread.get_absolute_url())["ETag"]
    other = client_for(other_country_member).get(
        busy_thread.get_absolute_url(), headers={"if-none-match": etag}
    )
    assert other.status_code == 200
    assert other["ETag"] != etag


@pytest.mark.parametrize(
    "change",
    ["new reply", "edit", "removal", "pin", "language", "time zone", "watch", "other page"],
)
def test_any_change_answers_200_with_a_new_etag(
    change, busy_thread, member, member_client, moderator, other_country_member
):
    url = busy_thread.get_absolute_url()
    etag = member_client.get(url)["ETag"]
    opening = busy_thread.posts.get(number=1)
    if change == "new reply":
        actions.reply(author=other_country_member, parent=opening, body="Something new")
    elif change == "edit":
        actions.edit_post(editor=member, post=opening, body="What changed, really?")
    elif change == "removal":
        reply = busy_thread.posts.get(number=2)
        actions.remove_post(moderator=moderator, post=reply, reason="Spam")
    elif change == "pin":
        actions.set_pinned(moderator=moderator, thread=busy_thread, pinned=True)
    elif change == "language":
        member.language = "fr"
        member.save(update_fields=["language"])
    elif change == "time zone":
        member.time_zone = "Africa/Lusaka"
        member.save(update_fields=["time_zone"])
    elif change == "watch":
        member_client.post(reverse("thread_watch", args=[busy_thread.pk]), {"state": "watch"})
    elif change == "other page":
        url += "?page=2"
    response = member_client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response.get("ETag") != etag  # none at all while a message is shown


def test_a_page_with_a_message_to_show_is_never_answered_304(busy_thread, member_client):
    url = busy_thread.get_absolute_url()
    etag = member_client.get(url)["ETag"]
    member_client.post(reverse("thread_watch", args=[busy_thread.pk]), {"state": "watch"})
    member_client.post(reverse("thread_watch", args=[busy_thread.pk]), {"state": "none"})
    shown = member_client.get(url, headers={"if-none-match": etag})
    assert shown.status_code == 200


def test_the_same_viewer_signed_in_again_gets_fresh_form_tokens(busy_thread, member):
    first = client_for(member)
    etag = first.get(busy_thread.get_absolute_url())["ETag"]
    # A new session has a new CSRF secret: the old page's forms would be refused.
    second = client_for(member)
    response = second.get(busy_thread.get_absolute_url(), headers={"if-none-match": etag})
    assert response.status_code == 200


# --- rendered posts, cached by what they show ------------------------------------------


def _article(html: str, number: int) -> str:
    start = html.index(f'<article id="p{number}"')
    return html[start : html.index("</article>", start) + len("</article>")]


def _posts(html: str) -> str:
    start = html.index('<div class="posts"')
    return html[start : html.index('<p id="live-typing"', start)]


def test_a_cached_post_fragment_is_what_a_fresh_render_shows(busy_thread, member_client):
    from django.core.cache import cache

    cache.clear()
    cold = _posts(member_client.get(busy_thread.get_absolute_url()).content.decode())
    assert cold.count("<article ") == 20
    warm = _posts(member_client.get(busy_thread.get_absolute_url()).content.decode())
    assert warm == cold  # the second visit reads every post from the cache


def test_an_edit_shows_at_once_although_the_old_fragment_is_cached(busy_thread, member, client):
    page_client = client_for(member)
    mine = busy_thread.posts.filter(author=member, status="published").order_by("number").first()
    assert "Old words" not in page_client.get(busy_thread.get_absolute_url()).content.decode()
    actions.edit_post(editor=member, post=mine, body="New words")
    html = page_client.get(busy_thread.get_absolute_url()).content.decode()
    assert "New words" in _article(html, mine.number)


def test_readers_with_other_rights_never_share_a_fragment(
    busy_thread, member, other_country_member, moderator
):
    mine = busy_thread.posts.filter(author=member, status="published").order_by("number").first()
    url = busy_thread.get_absolute_url()
    as_author = _article(client_for(member).get(url).content.decode(), mine.number)
    as_reader = _article(client_for(other_country_member).get(url).content.decode(), mine.number)
    as_moderator = _article(client_for(moderator).get(url).content.decode(), mine.number)
    assert reverse("post_edit", args=[mine.pk]) in as_author
    assert reverse("post_edit", args=[mine.pk]) not in as_reader
    assert reverse("post_remove", args=[mine.pk]) in as_moderator
    assert reverse("post_remove", args=[mine.pk]) not in as_author + as_reader


def test_a_removed_post_shown_to_moderators_carries_each_ones_own_csrf_token(
    busy_thread, moderator, make_member
):
    import re

    from django.test import Client

    second = make_member(groups=[busy_thread.group], role="moderator", mfa=True)
    removed = busy_thread.posts.get(number=4)
    url = busy_thread.get_absolute_url()
    restore = reverse("post_restore", args=[removed.pk])
    for who in (moderator, second):
        client = Client(enforce_csrf_checks=True)
        client.force_login(who)
        html = _article(client.get(url).content.decode(), removed.number)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        response = client.post(restore, {"csrfmiddlewaretoken": token})
        assert response.status_code in (302, 303)
        removed.refresh_from_db()
        assert removed.status == "published"
        actions.remove_post(moderator=moderator, post=removed, reason="Off topic again")


def test_the_post_cache_answers_in_each_readers_language(busy_thread, member):
    url = busy_thread.get_absolute_url()
    member.language = "fr"
    member.save(update_fields=["language"])
    french = client_for(member).get(url).content.decode()
    member.language = "en"
    member.save(update_fields=["language"])
    english = client_for(member).get(url).content.decode()
    assert "Répondre" in french and ">Reply<" not in french
    assert ">Reply<" in english


def test_the_release_changes_with_the_code_that_writes_markup_beside_the_templates(
    monkeypatch, tmp_path
):
    """A deploy that changes a template tag (avatars, times) must not serve the old
    markup from cached fragments or answer 304 for the old page."""
    from forum.views import etags

    before = etags.release(("forum/_post.html",), ())
    changed = tmp_path / "tag.py"
    changed.write_text("# another avatar tag\n")
    monkeypatch.setattr(etags, "CODE_MODULES", ("forum.templatetags.forum", "tests.changed"))
    import sys
    import types

    module = types.ModuleType("tests.changed")
    module.__file__ = str(changed)
    monkeypatch.setitem(sys.modules, "tests.changed", module)
    etags.release.cache_clear()
    try:
        assert etags.release(("forum/_post.html",), ()) != before
    finally:
        etags.release.cache_clear()
