"""A thread opens where the member stopped reading; the group list counts unread posts."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from forum.actions import reading
from forum.actions import threads as actions
from forum.models import Post, ThreadRead
from tests.conftest import client_for


def _replies(thread, author, n, start=0):
    opening = thread.posts.get(number=1)
    return [
        actions.reply(author=author, parent=opening, body=f"reply {start + i}") for i in range(n)
    ]


def test_the_thread_opens_at_the_first_unread_post_with_a_new_divider(
    thread, member, other_country_member, posting_unlimited
):
    _replies(thread, other_country_member, 24)
    thread.refresh_from_db()
    reading.mark_seen(member=member, thread=thread, number=25)
    # Later replies, stamped after the read mark.
    later = timezone.now() + timedelta(seconds=5)
    new = _replies(thread, other_country_member, 3, start=100)
    Post.objects.filter(pk__in=[p.pk for p in new]).update(created_at=later)
    thread.refresh_from_db()
    type(thread).objects.filter(pk=thread.pk).update(last_activity_at=later)
    first_new = min(p.number for p in new)
    response = client_for(member).get(thread.get_absolute_url())
    page = response.content.decode()
    assert response.context["page"].number == 2  # post 26 of 28 is on the second page
    divider = page.index('<p class="new-divider" id="new">')
    assert page.index(f'id="p{first_new}"') > divider
    assert page.index(f'id="p{first_new - 1}"') < divider


def test_a_thread_never_opened_starts_at_the_top_without_a_divider(thread, member):
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert 'id="new"' not in page


def test_the_group_list_counts_unread_posts_and_links_to_them(
    thread, member, other_country_member, legal
):
    reading.mark_seen(member=member, thread=thread, number=1)
    later = timezone.now() + timedelta(seconds=5)
    new = _replies(thread, other_country_member, 2)
    Post.objects.filter(pk__in=[p.pk for p in new]).update(created_at=later)
    type(thread).objects.filter(pk=thread.pk).update(last_activity_at=later)
    page = client_for(member).get(reverse("group", args=[legal.slug])).content.decode()
    assert "2 unread" in page
    assert f'href="{thread.get_absolute_url()}#new"' in page


def test_mark_all_read_reads_every_visible_thread_in_two_statements(
    start_thread, member, other_country_member, legal, django_assert_max_num_queries
):
    threads = [start_thread(other_country_member, title=f"Thread {n}") for n in range(5)]
    hidden = start_thread(other_country_member, title="Zambia only", audience="domestic")
    with django_assert_max_num_queries(5):
        moved = reading.mark_all_read(member=member, group=legal)
    assert moved == 5
    marks = ThreadRead.objects.filter(member=member)
    assert {m.thread_id for m in marks} == {t.pk for t in threads}
    assert not marks.filter(thread=hidden).exists()
    assert reading.mark_all_read(member=member, group=legal) == 0


def test_mark_all_read_button_works_without_javascript(member_client, thread, legal):
    listed = member_client.get(reverse("group", args=[legal.slug])).content.decode()
    assert 'class="thread-row unread"' in listed
    response = member_client.post(reverse("group_mark_read", args=[legal.slug]))
    assert response.status_code == 302
    listed = member_client.get(reverse("group", args=[legal.slug])).content.decode()
    assert 'class="thread-row"' in listed and 'class="thread-row unread"' not in listed
