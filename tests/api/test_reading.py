"""Reading through the API: lists, filters, cursors, tree and flat threads, meetings, inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum.actions import meetings as meeting_actions
from forum.actions import threads as thread_actions
from forum.models import Thread

pytestmark = pytest.mark.django_db


def test_my_groups_carry_my_role(api_as, member, promotion):
    items = api_as(member).get("/api/v1/groups").json()["items"]
    assert [(g["slug"], g["role"]) for g in items] == [("legal-policy", "member")]


def test_a_thread_list_pages_with_a_cursor_and_a_constant_number_of_queries(
    api_as, member, start_thread, posting_unlimited, django_assert_max_num_queries
):
    for n in range(7):
        start_thread(member, title=f"Thread number {n}", country_tags=["ZM"] if n % 2 else [])
    client = api_as(member)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(12):
            page = client.get("/api/v1/groups/legal-policy/threads", params).json()
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Thread number {n}" for n in reversed(range(7))]


def test_threads_filter_by_tag_country_and_update_time(
    api_as, member, start_thread, posting_unlimited
):
    start_thread(member, title="About Zambia", country_tags=["ZM"])
    old = start_thread(member, title="Old news")
    Thread.objects.filter(pk=old.pk).update(last_activity_at=timezone.now() - timedelta(days=30))
    client = api_as(member)
    url = "/api/v1/groups/legal-policy/threads"

    def titles(**params) -> list[str]:
        return [t["title"] for t in client.get(url, params).json()["items"]]

    assert titles(country="ZM") == ["About Zambia"]
    assert titles(tag="ZM") == ["About Zambia"]
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert titles(updated_since=since) == ["About Zambia"]
    assert client.get(url, {"updated_since": "yesterday"}).status_code == 422


def test_a_thread_comes_as_a_tree_or_flat(api_as, member, other_country_member, thread):
    opening = thread.posts.get()
    first = thread_actions.reply(author=other_country_member, parent=opening, body="First")
    thread_actions.reply(author=member, parent=opening, body="Second")
    thread_actions.reply(author=member, parent=first, body="Under the first")
    client = api_as(member)
    tree = client.get(f"/api/v1/threads/{thread.pk}").json()
    assert tree["view"] == "tree"
    (root,) = tree["posts"]
    assert [p["body_source"] for p in root["replies"]] == ["First", "Second"]
    assert root["replies"][0]["replies"][0]["body_source"] == "Under the first"
    assert root["replies"][0]["replies"][0]["body_html"] == "<p>Under the first</p>\n"
    flat = client.get(f"/api/v1/threads/{thread.pk}", {"view": "flat", "limit": 2}).json()
    assert [p["number"] for p in flat["posts"]] == [1, 2]
    more = client.get(
        f"/api/v1/threads/{thread.pk}", {"view": "flat", "cursor": flat["next_cursor"]}
    ).json()
    assert [p["number"] for p in more["posts"]] == [3, 4]
    assert more["next_cursor"] is None
    assert tree["thread"]["created_at"].endswith("Z")


def test_a_removed_post_shows_no_text_except_to_moderators(
    api_as, member, moderator, thread, other_country_member
):
    reply = thread_actions.reply(author=other_country_member, parent=thread.posts.get(), body="X")
    thread_actions.remove_post(moderator=moderator, post=reply, reason="Off topic.")
    shown = api_as(member).get(f"/api/v1/posts/{reply.pk}").json()
    assert shown["status"] == "removed" and shown["body_source"] == shown["body_html"] == ""
    assert api_as(moderator).get(f"/api/v1/posts/{reply.pk}").json()["body_source"] == "X"


def test_meetings_and_their_transcripts(api_as, member, chair, legal):
    begins = timezone.now() + timedelta(hours=1)
    meeting = meeting_actions.schedule_meeting(
        organizer=chair,
        group=legal,
        title="Annual forum",
        starts_at=begins,
        ends_at=begins + timedelta(hours=2),
        link="https://meet.example.org/a",
    )
    meeting = meeting_actions.start_meeting(member=chair, meeting=meeting)
    meeting_actions.send_chat(author=member, meeting=meeting, client_id="a", body="Hello")
    client = api_as(member)
    listed = client.get("/api/v1/groups/legal-policy/meetings").json()["items"]
    assert [m["title"] for m in listed] == ["Annual forum"]
    assert client.get(f"/api/v1/meetings/{meeting.pk}").json()["state"] == "live"
    transcript = client.get(f"/api/v1/meetings/{meeting.pk}/transcript").json()
    assert [m["body_source"] for m in transcript["items"]] == ["Hello"]


def test_my_inbox_lists_what_i_may_still_see(
    api_as,
    member,
    other_country_member,
    thread,
    posting_unlimited,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        thread_actions.reply(
            author=other_country_member, parent=thread.posts.get(), body=f"Hi @{member.handle}"
        )
    items = api_as(member).get("/api/v1/inbox").json()["items"]
    assert items and items[0]["available"] and items[0]["read"] is False
    assert "Hi" in items[0]["excerpt"]


def test_a_new_thread_by_a_member_who_needs_review_waits(
    api_as, other_country_member, cross_border_review, moderator
):
    client = api_as(other_country_member, ("read", "write"))
    made = client.post(
        "/api/v1/groups/legal-policy/threads", {"title": "Cross border", "body": "For all"}
    )
    assert made.status_code == 201
    assert made.json()["posts"][0]["status"] == "pending"
    queue = api_as(moderator, ("moderate",)).get("/api/v1/moderation/queue").json()["items"]
    assert [r["thread"]["title"] for r in queue] == ["Cross border"]
    review = queue[0]["id"]
    approved = api_as(moderator, ("moderate",)).post(f"/api/v1/moderation/reviews/{review}/approve")
    assert approved.json()["state"] == "approved"
    assert (
        client.get(f"/api/v1/threads/{made.json()['thread']['id']}").json()["posts"][0]["status"]
        == "published"
    )
