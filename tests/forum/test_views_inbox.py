"""The inbox page: each kind shown, visibility re-checked, marking read, watch buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum.actions import notifications
from forum.actions import threads as actions
from forum.models import Notification, Watch
from tests.conftest import client_for

# Notifications are derived once the post's transaction commits: commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("posting_unlimited")]


def test_inbox_lists_a_reply_with_its_text_and_link(thread, member, other_country_member):
    """A reply shows who wrote it, the thread, an excerpt and a link to the post."""
    post = actions.reply(author=other_country_member, parent=thread.posts.get(), body="**Agreed**")
    response = client_for(member).get(reverse("inbox"))
    page = response.content.decode()
    assert "replied to your post" in page
    assert thread.title in page
    assert "Agreed" in page and "<strong>Agreed" not in page
    assert post.get_absolute_url() in page


def test_header_shows_the_unread_count(thread, member, other_country_member, member_client):
    """Every page's header carries the number of unread notifications."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="One")
    page = member_client.get(reverse("dashboard")).content.decode()
    assert 'id="inbox-unread">1<' in page


def test_removed_post_loses_its_text_in_the_inbox(thread, member, other_country_member, moderator):
    """A post removed after notifying shows no text any more."""
    post = actions.reply(
        author=other_country_member, parent=thread.posts.get(), body="Secret words"
    )
    actions.remove_post(moderator=moderator, post=post, reason="Spam")
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert "Secret words" not in page
    assert Notification.objects.filter(recipient=member).count() == 1


def test_thread_moved_out_of_reach_hides_title_and_text(
    thread, member, other_country_member, staff, promotion
):
    """A thread moved to a group the recipient is not in shows neither title nor text."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="Moved words")
    from forum.models import Membership

    Membership.objects.create(member=staff, group=promotion, role="moderator")
    actions.move_thread(moderator=staff, thread=thread, group=promotion)
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert thread.title not in page and "Moved words" not in page
    assert "no longer available" in page


def test_moderation_outcome_shows_outcome_reason_and_link(thread, member, moderator):
    """kind=moderation shows the outcome, the reason, and links to the post."""
    post = thread.posts.get()
    notifications.notify(
        recipient=member,
        kind="moderation",
        actor=moderator,
        post=post,
        data={"outcome": "rejected", "reason": "Needs a source"},
    )
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert "was not approved" in page
    assert "Needs a source" in page
    assert post.get_absolute_url() in page


def test_meeting_invitation_shows_time_in_the_readers_zone(make_member, legal):
    """kind=meeting shows the title and the start in the reader's own time zone."""
    reader = make_member(country="CN", groups=[legal], time_zone="Asia/Shanghai")
    notifications.notify(
        recipient=reader,
        kind="meeting",
        data={
            "title": "Annual forum",
            "url": "/m/1/",
            "starts_at": "2026-12-01T02:00:00+00:00",
        },
    )
    page = client_for(reader).get(reverse("inbox")).content.decode()
    assert "Annual forum" in page
    assert "10:00" in page or "10 a.m." in page  # 02:00 UTC is 10:00 in Shanghai
    assert 'href="/m/1/"' in page


def test_meeting_link_outside_the_site_is_not_shown(member):
    """Free-form data never turns into an off-site link."""
    notifications.notify(
        recipient=member, kind="meeting", data={"title": "X", "url": "https://evil.test/"}
    )
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert "evil.test" not in page


def test_mark_one_and_all_read(thread, member, other_country_member):
    """The buttons mark one notification, then all, read."""
    opening = thread.posts.get()
    for n in range(2):
        actions.reply(author=other_country_member, parent=opening, body=f"r{n}")
    client = client_for(member)
    first = Notification.objects.filter(recipient=member).first()
    client.post(reverse("inbox_read"), {"id": first.pk})
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).count() == 1
    client.post(reverse("inbox_read"))
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()


def test_cannot_mark_someone_elses_notification(thread, member, other_country_member):
    """Marking read only touches one's own notifications."""
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="r")
    theirs = Notification.objects.get(recipient=member)
    client_for(other_country_member).post(reverse("inbox_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_inbox_paginates(thread, member, other_country_member, django_assert_max_num_queries):
    """The inbox shows 25 per page, in a constant number of queries."""
    opening = thread.posts.get()
    for n in range(30):
        actions.reply(author=other_country_member, parent=opening, body=f"r{n}")
    client = client_for(member)
    client.get(reverse("inbox"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("inbox")).content.decode()
    assert page.count('class="notification') == 25
    assert "Page 1 of 2" in page


def test_watch_and_mute_buttons(thread, other_country_member):
    """The thread page's buttons watch, mute and forget the thread."""
    client = client_for(other_country_member)
    url = reverse("thread_watch", args=[thread.pk])
    client.post(url, {"state": "watch"})
    assert Watch.objects.get(member=other_country_member, thread=thread).muted is False
    assert "Stop watching" in client.get(thread.get_absolute_url()).content.decode()
    client.post(url, {"state": "mute"})
    assert Watch.objects.get(member=other_country_member, thread=thread).muted is True
    client.post(url, {"state": "none"})
    assert not Watch.objects.filter(member=other_country_member, thread=thread).exists()


def test_watching_an_unseen_thread_is_a_404(domestic_thread, other_country_member):
    """A thread outside the member's audience cannot be watched, and its existence stays hidden."""
    response = client_for(other_country_member).post(
        reverse("thread_watch", args=[domestic_thread.pk]), {"state": "watch"}
    )
    assert response.status_code == 404


def test_the_unread_count_skips_what_the_reader_can_no_longer_see(
    thread, member, other_country_member, moderator, member_client
):
    """The header counts what the list shows as new: a removed post is not news."""
    kept = actions.reply(author=other_country_member, parent=thread.posts.get(number=1), body="A")
    gone = actions.reply(author=other_country_member, parent=thread.posts.get(number=1), body="B")
    actions.remove_post(moderator=moderator, post=gone, reason="Spam")
    page = member_client.get(reverse("inbox")).content.decode()
    assert 'id="inbox-unread">1<' in page
    assert page.count('<span class="badge">') == 1  # the list's "new" markers
    assert kept.get_absolute_url() in page


def test_an_invitation_to_a_meeting_no_longer_addressed_to_the_reader_shows_nothing(
    schedule, member, make_member, legal
):
    """A meeting narrowed to other countries leaves an empty, uncounted invitation."""
    from forum.models import Audience, MeetingCountry

    meeting = schedule(title="Narrowed meeting")
    assert Notification.objects.filter(recipient=member, kind="meeting").exists()
    meeting.audience = Audience.COUNTRIES
    meeting.save(update_fields=["audience"])
    MeetingCountry.objects.create(meeting=meeting, country="ZM")
    page = client_for(member).get(reverse("inbox")).content.decode()
    assert "Narrowed meeting" not in page
    # The badge is there for the live script, hidden while nothing is unread.
    assert 'id="inbox-unread" hidden>0<' in page


def test_the_unread_count_with_nothing_unread_is_one_plain_query(
    thread, member, other_country_member, django_assert_num_queries
):
    """The badge on every page: nothing unread answers without the availability query;
    something unread is counted by the full rule, as the list shows it."""
    from forum import inbox, visibility

    with django_assert_num_queries(1) as captured:
        assert inbox.unread_count(member) == 0
    assert "CASE" not in captured.captured_queries[0]["sql"].upper()
    actions.reply(author=other_country_member, parent=thread.posts.get(), body="One")
    full_rule = visibility.inbox(member).filter(read_at__isnull=True, available=True).count()
    assert inbox.unread_count(member) == full_rule == 1
    notifications.mark_read(member=member)
    assert inbox.unread_count(member) == 0
