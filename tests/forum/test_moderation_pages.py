"""The moderation pages from the outside: queue, review, reports, mutes, policy, audit log."""

from __future__ import annotations

import csv
import io

import pytest

from forum.actions import moderation
from forum.actions import threads as actions
from forum.models import AuditAction, AuditEntry, ModerationPolicy, Post, PostStatus, Report, Review
from tests.conftest import client_for


@pytest.fixture
def pending_reply(cross_border_review, member, moderator, start_thread):
    thread = start_thread(moderator, title="Customs procedures")
    return actions.reply(author=member, parent=thread.posts.get(), body="Waiting text.")


def test_the_author_is_told_the_post_waits_for_review(
    cross_border_review, member, moderator, start_thread
):
    thread = start_thread(moderator)
    response = client_for(member).post(
        f"/t/{thread.pk}/reply/", {"body": "Cross-border words."}, follow=True
    )
    page = response.content.decode()
    assert "waiting for a moderator" in page
    assert "waiting for review" in page and "Cross-border words." in page


def test_the_group_queue_lists_pending_posts_oldest_first(pending_reply, moderator, member):
    later = actions.reply(
        author=member, parent=pending_reply.thread.posts.get(number=1), body="Later text."
    )
    page = client_for(moderator).get("/g/legal-policy/mod/").content.decode()
    assert page.index("Waiting text.") < page.index("Later text.")
    assert "2 posts waiting for review" in page
    assert Review.objects.filter(post=later).exists()


def test_the_queue_needs_a_moderator_with_two_factor_authentication(
    pending_reply, member, make_member, cross_border_review
):
    assert client_for(member).get("/g/legal-policy/mod/").status_code == 404
    assert client_for(member).get("/mod/").status_code == 404
    without_mfa = make_member(country="EG", groups=[cross_border_review], role="moderator")
    response = client_for(without_mfa).get("/g/legal-policy/mod/")
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    review = Review.objects.get()
    assert (
        client_for(without_mfa).post(f"/mod/review/{review.pk}/", {"action": "approve"}).status_code
        == 302
    )
    assert Post.objects.get(pk=pending_reply.pk).status == PostStatus.PENDING


def test_approving_from_the_queue_publishes(pending_reply, moderator):
    review = Review.objects.get()
    response = client_for(moderator).post(
        f"/mod/review/{review.pk}/", {"action": "approve", "next": "/g/legal-policy/mod/"}
    )
    assert response.status_code == 302 and response["Location"] == "/g/legal-policy/mod/"
    assert Post.objects.get(pk=pending_reply.pk).status == PostStatus.PUBLISHED


def test_a_rejection_without_a_needed_note_re_renders_with_what_was_typed(pending_reply, moderator):
    review = Review.objects.get()
    response = client_for(moderator).post(
        f"/mod/review/{review.pk}/", {"action": "reject", "reason": "other", "note": ""}
    )
    assert response.status_code == 400
    assert "Say in the note why" in response.content.decode()
    response = client_for(moderator).post(
        f"/mod/review/{review.pk}/", {"action": "reject", "reason": "bogus", "note": "kept note"}
    )
    assert response.status_code == 400 and "kept note" in response.content.decode()
    assert Review.objects.get().state == Review.State.OPEN


def test_batch_approve_approves_each_and_lists_refusals(pending_reply, moderator, member):
    second = actions.reply(
        author=member, parent=pending_reply.thread.posts.get(number=1), body="Two."
    )
    ids = list(Review.objects.values_list("pk", flat=True))
    client_for(moderator).post("/mod/approve/", {"review": [*ids, "999999"]})
    assert set(
        Post.objects.filter(pk__in=[pending_reply.pk, second.pk]).values_list("status", flat=True)
    ) == {PostStatus.PUBLISHED}


def test_members_report_a_post_and_moderators_see_it_in_the_queue(
    cross_border_review, moderator, other_country_member, start_thread
):
    thread = start_thread(moderator, title="Reported thread")
    post = thread.posts.get()
    form = client_for(other_country_member).get(f"/p/{post.pk}/report/")
    assert form.status_code == 200
    response = client_for(other_country_member).post(
        f"/p/{post.pk}/report/", {"reason": "misleading", "note": "Outdated figures."}
    )
    assert response.status_code == 302
    page = client_for(moderator).get("/g/legal-policy/mod/").content.decode()
    assert "Outdated figures." in page and "1 open report" in page
    report = Report.objects.get()
    client_for(moderator).post(f"/mod/report/{report.pk}/", {"action": "dismiss", "note": "ok"})
    assert Report.objects.get().state == Report.State.DISMISSED


def test_a_report_without_a_reason_keeps_the_note(
    cross_border_review, moderator, other_country_member, start_thread
):
    post = start_thread(moderator).posts.get()
    response = client_for(other_country_member).post(f"/p/{post.pk}/report/", {"note": "my words"})
    assert response.status_code == 400 and "my words" in response.content.decode()


def test_a_muted_members_reply_form_keeps_the_text(legal, member, moderator, start_thread):
    thread = start_thread(moderator)
    client_for(moderator).post(
        "/g/legal-policy/mod/mutes/",
        {"mute": "1", "member": member.pk, "hours": 24, "reason": "Cool down."},
    )
    response = client_for(member).post(f"/t/{thread.pk}/reply/", {"body": "My long reply."})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Cool down." in page and "My long reply." in page


def test_chairs_change_the_policy_and_others_cannot(chair, moderator, legal):
    data = {
        "moderation_policy": ModerationPolicy.EVERYTHING,
        "approvals_required": 2,
        "member_review_until": "",
        "trusted_review_until": 0,
    }
    assert client_for(moderator).post("/g/legal-policy/mod/policy/", data).status_code == 404
    assert client_for(chair).post("/g/legal-policy/mod/policy/", data).status_code == 302
    legal.refresh_from_db()
    assert (legal.moderation_policy, legal.approvals_required) == ("everything", 2)
    entry = AuditEntry.objects.get(action=AuditAction.POLICY)
    assert entry.details["before"]["moderation_policy"] == "off"


def test_chairs_export_the_audit_log_as_csv(pending_reply, moderator, chair, member, legal):
    review = Review.objects.get()
    moderation.reject(moderator=moderator, review=review, reason="tone", note="Calmer, please.")
    moderation.mute(
        moderator=moderator, group=legal, member=member, hours=1, reason="=HYPERLINK(1)"
    )
    assert client_for(moderator).get("/g/legal-policy/mod/log/?format=csv").status_code == 404
    page = client_for(chair).get("/g/legal-policy/mod/log/")
    assert page.status_code == 200 and "Calmer, please." in page.content.decode()
    response = client_for(chair).get("/g/legal-policy/mod/log/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == ["reject", "mute"]
    assert rows[0]["actor_country"] == "KE" and rows[0]["post_id"] == str(pending_reply.pk)
    assert rows[0]["member_email"] == member.email
    # A spreadsheet must not run what someone wrote as a formula.
    assert rows[1]["reason"] == "'=HYPERLINK(1)"


def test_the_admin_shows_the_audit_log_read_only(pending_reply, moderator, staff):
    from django.contrib import admin

    from forum.models import AuditEntry as Entry

    moderation.approve(moderator=moderator, review=Review.objects.get())
    model_admin = admin.site._registry[Entry]
    request = type("Request", (), {"user": staff})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, Entry.objects.get())
    assert not model_admin.has_delete_permission(request, Entry.objects.get())


def test_non_ascii_digits_are_refused_without_an_error(pending_reply, moderator):
    """Not ids: 404, as for a missing object (tests/forum/test_ids.py has the rest)."""
    client = client_for(moderator)
    assert client.post("/mod/approve/", {"review": "²"}).status_code == 404
    assert client.post("/g/legal-policy/mod/mutes/", {"lift": "²"}).status_code == 404
    thread = pending_reply.thread
    response = client.post(f"/t/{thread.pk}/moderate/", {"action": "slow_mode", "seconds": "²"})
    assert response.status_code == 302


def test_chairs_outside_a_threads_audience_see_no_text_in_the_audit_log(
    cross_border_review, make_member, moderator, chair
):
    zambian = make_member(country="ZM", groups=[cross_border_review])
    thread = actions.create_thread(
        author=zambian,
        group=cross_border_review,
        title="Zambia and Kenya only",
        body="Private draft",
        audience="countries",
        countries=["KE"],
    )
    review = Review.objects.get(post__thread=thread)
    moderation.edit_and_approve(moderator=moderator, review=review, body="Quoted secret words")
    page = client_for(chair).get("/g/legal-policy/mod/log/").content.decode()  # chair is in Egypt
    assert "edited and approved" in page and "(outside your audience)" in page
    csv_text = b"".join(
        client_for(chair).get("/g/legal-policy/mod/log/?format=csv").streaming_content
    ).decode()
    assert "Quoted secret words" not in csv_text and "Private draft" not in csv_text


def test_chairs_outside_a_meetings_audience_see_no_chat_removal_reason_in_the_audit_log(
    legal, make_member, moderator, chair, staff
):
    from datetime import timedelta

    from django.utils import timezone

    from forum.actions import meetings

    kenyan = make_member(country="KE", groups=[legal])
    start = timezone.now() - timedelta(minutes=5)
    meeting = meetings.schedule_meeting(
        organizer=moderator,  # in Kenya: "domestic" is Kenya only, the chair is in Egypt
        group=legal,
        title="Kenyan partners only",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        link="https://meet.example.org/ke",
        audience="domestic",
    )
    message, _ = meetings.send_chat(
        author=kenyan, meeting=meeting, client_id="c-1", body="Private words"
    )
    meetings.remove_chat_message(member=moderator, message=message, reason="Quoted secret words")
    meetings.mute_participant(member=moderator, meeting=meeting, participant=kenyan)
    page = client_for(chair).get("/g/legal-policy/mod/log/").content.decode()
    assert "removed a chat message" in page and "(outside your audience)" in page
    assert "Quoted secret words" not in page
    csv_text = b"".join(
        client_for(chair).get("/g/legal-policy/mod/log/?format=csv").streaming_content
    ).decode()
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert {row["action"] for row in rows} == {"chat_remove", "chat_mute"}
    assert all(row["reason"] == row["details"] == "(outside your audience)" for row in rows)
    assert "Quoted secret words" not in csv_text
    # Staff, whom every audience includes, still read it all.
    page = client_for(staff).get("/g/legal-policy/mod/log/").content.decode()
    assert "Quoted secret words" in page
