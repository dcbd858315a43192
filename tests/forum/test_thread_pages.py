import pytest
from django.urls import reverse

from forum.actions import moderation
from forum.actions import threads as actions
from forum.models import Post, Tag, Thread
from tests.conftest import client_for


def test_member_starts_a_thread_from_the_form(member_client, legal):
    response = member_client.post(
        reverse("thread_new", args=[legal.slug]),
        {"title": "Investment law", "body": "Draft *attached*", "audience": "group"},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    page = member_client.get(response["Location"])
    assert "<em>attached</em>" in page.content.decode()


def test_thread_form_tags_the_thread_with_topics_and_countries(member_client, legal):
    topic = Tag.objects.create(group=legal, name="mining")
    member_client.post(
        reverse("thread_new", args=[legal.slug]),
        {
            "title": "Mining code",
            "body": "What changed?",
            "audience": "group",
            "topics": [topic.pk],
            "country_tags": ["ZM"],
        },
    )
    assert sorted(Thread.objects.get().tags.values_list("name", flat=True)) == ["ZM", "mining"]


def test_a_muted_members_thread_form_creates_no_tag(member_client, member, moderator, legal):
    moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="Cool down")
    response = member_client.post(
        reverse("thread_new", args=[legal.slug]),
        {"title": "Mining code", "body": "Kept", "audience": "group", "country_tags": ["ZM"]},
    )
    assert response.status_code == 200
    assert "You are muted" in response.content.decode()
    assert not Tag.objects.exists()


def test_new_thread_form_says_who_will_read_it(member_client, legal):
    html = member_client.get(reverse("thread_new", args=[legal.slug])).content.decode()
    assert "Who will be able to read it" in html
    assert "China" in html  # the member's own country, named


def test_invalid_thread_keeps_what_was_typed(member_client, legal):
    response = member_client.post(
        reverse("thread_new", args=[legal.slug]),
        {"title": "ab", "body": "My long careful text", "audience": "group"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "My long careful text" in html
    assert 'value="ab"' in html
    assert not Thread.objects.exists()


def test_slow_down_message_keeps_the_reply(member_client, thread, settings):
    settings.FORUM_POSTS_PER_MINUTE = 1  # the thread itself used the only one
    opening = thread.posts.get()
    response = member_client.post(
        reverse("post_reply", args=[opening.pk]), {"body": "Carefully typed reply"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "posting too quickly" in html
    assert "Carefully typed reply" in html


def test_reply_in_a_locked_thread_is_refused_clearly(thread, member_client, moderator):
    actions.set_locked(moderator=moderator, thread=thread, locked=True)
    response = member_client.post(
        reverse("post_reply", args=[thread.posts.get().pk]), {"body": "Kept"}
    )
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    assert "Kept" in response.content.decode()


def test_non_member_posting_in_a_group_gets_404_not_500(outsider, legal):
    response = client_for(outsider).post(
        reverse("thread_new", args=[legal.slug]), {"title": "Hello", "body": "x"}
    )
    assert response.status_code == 404


def test_reply_to_a_reply_shows_nested_and_flat_view_is_remembered(
    thread, member, other_country_member
):
    opening = thread.posts.get()
    first = actions.reply(author=other_country_member, parent=opening, body="first reply")
    actions.reply(author=member, parent=opening, body="second reply")
    actions.reply(author=member, parent=first, body="answer to first")
    client = client_for(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert html.index("first reply") < html.index("answer to first") < html.index("second reply")
    assert 'class="post d2"' in html

    html = client.get(thread.get_absolute_url() + "?view=flat").content.decode()
    assert html.index("second reply") < html.index("answer to first")
    assert "in reply to" in html
    member.refresh_from_db()
    assert member.thread_view == "flat"
    html = client.get(thread.get_absolute_url()).content.decode()  # remembered
    assert html.index("second reply") < html.index("answer to first")


def test_quote_prefills_the_reply_with_the_parent(thread, member_client):
    opening = thread.posts.get()
    html = member_client.get(reverse("post_reply", args=[opening.pk]) + "?quote=1").content
    assert b"&gt; What changed?" in html


def test_edit_through_the_page_shows_edited_and_history(thread, member_client):
    opening = thread.posts.get()
    response = member_client.post(
        reverse("post_edit", args=[opening.pk]), {"title": "Retitled", "body": "Better text"}
    )
    assert response.status_code == 302
    html = member_client.get(thread.get_absolute_url()).content.decode()
    assert "Retitled" in html and "edited" in html and "Better text" in html
    history = member_client.get(reverse("post_history", args=[opening.pk])).content.decode()
    assert "What changed?" in history


def test_moderator_removes_with_a_reason_from_the_page(thread, member, moderator):
    reply = actions.reply(author=member, parent=thread.posts.get(), body="bad words")
    client = client_for(moderator)
    response = client.post(reverse("post_remove", args=[reply.pk]), {"reason": ""})
    assert response.status_code == 200  # form error: a reason is needed
    client.post(reverse("post_remove", args=[reply.pk]), {"reason": "Insults"})
    reply.refresh_from_db()
    assert reply.status == "removed"


def test_moderator_pins_and_locks_from_the_thread_page(thread, moderator):
    client = client_for(moderator)
    client.post(reverse("thread_moderate", args=[thread.pk]), {"action": "pin"})
    client.post(reverse("thread_moderate", args=[thread.pk]), {"action": "lock"})
    client.post(
        reverse("thread_moderate", args=[thread.pk]),
        {"action": "tags", "topics": "mining, tax", "country_tags": ["ZM"]},
    )
    thread.refresh_from_db()
    assert thread.pinned and thread.locked
    assert sorted(thread.tags.values_list("name", flat=True)) == ["ZM", "mining", "tax"]


def test_member_cannot_use_moderator_buttons(thread, member_client):
    response = member_client.post(reverse("thread_moderate", args=[thread.pk]), {"action": "pin"})
    assert response.status_code == 404
    thread.refresh_from_db()
    assert not thread.pinned


def test_group_list_shows_pinned_first_then_by_last_activity(
    start_thread, member, moderator, member_client, legal
):
    old = start_thread(member, title="Old but pinned")
    start_thread(member, title="Middle thread")
    newest = start_thread(member, title="Newest thread")
    actions.set_pinned(moderator=moderator, thread=old, pinned=True)
    actions.reply(author=member, parent=newest.posts.get(), body="bump")
    html = member_client.get(reverse("group", args=[legal.slug])).content.decode()
    assert html.index("Old but pinned") < html.index("Newest thread") < html.index("Middle thread")


@pytest.fixture
def big_thread(thread, member, other_country_member):
    """A thread with 1,000 posts in a realistic tree, written straight to the table."""
    opening = thread.posts.get()
    posts = []
    for number in range(2, 1001):
        parent_number = 1 if number % 5 == 2 else number - 1
        depth = 1 if parent_number == 1 else min(6, (number - 2) % 5 + 1)
        posts.append(
            Post(
                thread=thread,
                author=member if number % 2 else other_country_member,
                number=number,
                depth=depth,
                path=f"{number:06d}",
                body_source=f"Reply number {number}",
                body_html=f"<p>Reply number {number} with <strong>some</strong> text.</p>",
            )
        )
    Post.objects.bulk_create(posts, batch_size=500)
    Thread.objects.filter(pk=thread.pk).update(reply_count=999, post_counter=1000)
    assert opening.pk
    return thread


@pytest.mark.parametrize("page", [1, 25, 50])
@pytest.mark.parametrize("view", ["tree", "flat"])
def test_thread_page_uses_few_queries_and_stays_small(
    big_thread, member, page, view, django_assert_max_num_queries, monkeypatch
):
    from forum import rendering

    def refuse(*args, **kwargs):
        raise AssertionError("Markdown rendered on read")

    monkeypatch.setattr(rendering, "render_markdown", refuse)
    member.thread_view = view
    member.save()
    client = client_for(member)
    # A second visit: the header's groups and the content type are cached after the first.
    client.get(f"{big_thread.get_absolute_url()}?page={page}")
    # Session, member, thread (with the reader's role, its group's seq, the watch
    # state and the read mark), posts (with their total), the reader's own reviews,
    # the posts' files, their reactions with the reader's bookmarks, tags, unread count
    # (the header's groups are cached: forum/navigation.py).
    with django_assert_max_num_queries(9):
        response = client.get(f"{big_thread.get_absolute_url()}?page={page}")
    assert response.status_code == 200
    assert len(response.context["page"]) == 20
    assert len(response.content) <= 40 * 1024, len(response.content)


def test_group_list_uses_few_queries(
    start_thread, member, member_client, legal, django_assert_max_num_queries, posting_unlimited
):
    for n in range(30):
        start_thread(member, title=f"Thread number {n}")
    with django_assert_max_num_queries(10):
        member_client.get(reverse("group", args=[legal.slug]))


def test_thread_level_reply_answers_the_opening_post_from_any_page(
    thread, member_client, member, posting_unlimited
):
    opening = thread.posts.get()
    for n in range(25):
        actions.reply(author=member, parent=opening, body=f"reply {n}")
    page_two = member_client.get(thread.get_absolute_url() + "?page=2").content.decode()
    assert f'action="{reverse("thread_reply", args=[thread.pk])}"' in page_two
    member_client.post(reverse("thread_reply", args=[thread.pk]), {"body": "to the thread"})
    assert Post.objects.get(body_source="to the thread").parent == opening


def test_thread_level_reply_still_works_after_the_opening_post_was_removed(
    thread, member_client, moderator
):
    actions.remove_post(moderator=moderator, post=thread.posts.get(), reason="Off topic")
    response = member_client.post(reverse("thread_reply", args=[thread.pk]), {"body": "still"})
    assert response.status_code == 302


def test_tag_filter_lists_a_thread_once_and_survives_odd_input(
    thread, moderator, member_client, legal
):
    actions.set_tags(moderator=moderator, thread=thread, topics=["CN"], countries=["CN"])
    html = member_client.get(reverse("group", args=[legal.slug]) + "?tag=CN").content.decode()
    assert html.count(f'data-thread="{thread.pk}"') == 1
    odd = member_client.get(reverse("group", args=[legal.slug]) + "?tag=%00x&page=abc")
    assert odd.status_code == 200


def test_bad_input_to_moderator_forms_is_refused_without_a_server_error(
    thread, moderator, chair_client, legal
):
    client = client_for(moderator)
    response = client.post(
        reverse("thread_moderate", args=[thread.pk]), {"action": "move", "group": "a\x00b"}
    )
    assert response.status_code == 404
    response = chair_client.post(
        reverse("group_members", args=[legal.slug]), {"membership": "abc", "action": "remove"}
    )
    assert response.status_code == 404  # not an id: as missing


def test_a_thread_id_past_any_database_integer_is_not_found(member_client, thread):
    assert member_client.get(f"/t/{2**64}/").status_code == 404
    assert member_client.get(f"/t/{2**63 - 1}/").status_code == 404
