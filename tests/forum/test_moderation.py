"""Cross-border pre-moderation: the rule, the decisions, four-eyes, edits under review,
reports, mutes, slow mode and the audit log."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from forum.actions import moderation
from forum.actions import threads as actions
from forum.models import (
    AuditAction,
    AuditEntry,
    Event,
    Mention,
    ModerationPolicy,
    Post,
    PostStatus,
    Report,
    Review,
    Role,
)


@pytest.fixture
def group_thread(cross_border_review, moderator, start_thread):
    """A whole-group thread opened by the Kenyan moderator (published at once)."""
    return start_thread(moderator, title="Investment screening rules")


def opening(thread) -> Post:
    return thread.posts.get(number=1)


def open_review(post) -> Review:
    return Review.objects.get(post=post, state=Review.State.OPEN)


# --- the rule -----------------------------------------------------------------------


def test_members_cross_border_reply_waits_for_review(group_thread, member):
    post = actions.reply(author=member, parent=opening(group_thread), body="From Beijing.")
    assert post.status == PostStatus.PENDING
    assert open_review(post).kind == Review.Kind.POST
    group_thread.refresh_from_db()
    assert group_thread.reply_count == 0


def test_domestic_post_publishes_at_once(cross_border_review, member, start_thread):
    thread = start_thread(member, audience="domestic")
    assert opening(thread).status == PostStatus.PUBLISHED
    assert not Review.objects.exists()


def test_thread_to_own_country_only_is_not_cross_border(cross_border_review, member, start_thread):
    thread = start_thread(member, audience="countries", countries=["CN"])
    assert opening(thread).status == PostStatus.PUBLISHED


def test_thread_to_another_country_is_cross_border(cross_border_review, member, start_thread):
    thread = start_thread(member, audience="countries", countries=["ZM"])
    assert opening(thread).status == PostStatus.PENDING


def test_moderators_chairs_and_trusted_members_publish_directly(
    group_thread, chair, make_member, cross_border_review
):
    trusted = make_member(country="ZM", groups=[cross_border_review], role=Role.TRUSTED)
    for author in (chair, trusted):
        post = actions.reply(author=author, parent=opening(group_thread), body="Noted.")
        assert post.status == PostStatus.PUBLISHED


def test_policy_everything_reviews_domestic_posts_too(cross_border_review, member, start_thread):
    cross_border_review.moderation_policy = ModerationPolicy.EVERYTHING
    cross_border_review.save()
    thread = start_thread(member, audience="domestic")
    assert opening(thread).status == PostStatus.PENDING


def test_policy_off_publishes_everything(legal, member, start_thread):
    assert legal.moderation_policy == ModerationPolicy.OFF
    assert opening(start_thread(member)).status == PostStatus.PUBLISHED


def test_members_with_enough_published_posts_skip_review(
    group_thread, member, moderator, chair, posting_unlimited
):
    group = group_thread.group
    moderation.set_policy(
        chair=chair,
        group=group,
        policy=ModerationPolicy.CROSS_BORDER,
        approvals_required=1,
        member_review_until=1,
        trusted_review_until=0,
    )
    first = actions.reply(author=member, parent=opening(group_thread), body="One.")
    assert first.status == PostStatus.PENDING
    moderation.approve(moderator=moderator, review=open_review(first))
    second = actions.reply(author=member, parent=opening(group_thread), body="Two.")
    assert second.status == PostStatus.PUBLISHED


# --- decisions ----------------------------------------------------------------------


def test_approval_publishes_counts_and_records_mentions(
    group_thread, member, moderator, other_country_member
):
    other_country_member.handle = "amina"
    other_country_member.save()
    post = actions.reply(author=member, parent=opening(group_thread), body="Ask @amina.")
    assert not Mention.objects.exists()
    moderation.approve(moderator=moderator, review=open_review(post))
    post.refresh_from_db()
    group_thread.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert group_thread.reply_count == 1
    assert Mention.objects.filter(post=post, member=other_country_member).exists()
    approved = Event.objects.get(type="post.approved")
    assert approved.audience == {"countries": None, "moderators": False, "members": [member.pk]}
    assert approved.payload["thread"] == group_thread.pk
    assert "new_thread" not in approved.payload


def test_approving_a_new_thread_sends_the_thread_with_its_opening_post(
    cross_border_review, member, moderator, start_thread
):
    thread = start_thread(member, title="Pending thread")
    pending = Event.objects.get(type="post.pending")
    assert pending.payload["new_thread"]["title"] == "Pending thread"
    assert pending.payload["thread"] == thread.pk
    assert not Event.objects.filter(type="thread.created").exists()
    moderation.approve(moderator=moderator, review=open_review(opening(thread)))
    approved = Event.objects.get(type="post.approved")
    assert approved.payload["new_thread"]["id"] == thread.pk
    assert approved.audience["moderators"] is False


def test_rejection_needs_a_reason_and_is_shown_to_the_author(
    group_thread, member, moderator, member_client
):
    post = actions.reply(author=member, parent=opening(group_thread), body="Draft text.")
    with pytest.raises(ValidationError):
        moderation.reject(moderator=moderator, review=open_review(post), reason="other")
    moderation.reject(
        moderator=moderator, review=open_review(post), reason="confidential", note="Names."
    )
    post.refresh_from_db()
    assert post.status == PostStatus.REJECTED
    page = member_client.get(group_thread.get_absolute_url()).content.decode()
    assert "Draft text." in page
    assert "Contains confidential or personal information" in page and "Names." in page
    rejected = Event.objects.get(type="post.rejected")
    assert rejected.audience["moderators"] is True
    assert rejected.audience["members"] == [member.pk]


def test_a_rejected_post_edited_by_its_author_is_resubmitted(group_thread, member, moderator):
    post = actions.reply(author=member, parent=opening(group_thread), body="First try.")
    moderation.reject(moderator=moderator, review=open_review(post), reason="tone")
    actions.edit_post(editor=member, post=Post.objects.get(pk=post.pk), body="Second try.")
    post.refresh_from_db()
    assert post.status == PostStatus.PENDING
    assert open_review(post).kind == Review.Kind.POST
    assert Review.objects.filter(post=post).count() == 2


def test_nobody_approves_their_own_post(group_thread, member, moderator, legal):
    post = actions.reply(author=member, parent=opening(group_thread), body="Mine.")
    legal.memberships.filter(member=member).update(role=Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        moderation.approve(moderator=member, review=open_review(post))


def test_four_eyes_needs_a_second_moderator_from_another_country(
    group_thread, member, moderator, chair, make_member, legal
):
    legal.approvals_required = 2
    legal.save()
    second_kenyan = make_member(country="KE", groups=[legal], role=Role.MODERATOR, mfa=True)
    post = actions.reply(author=member, parent=opening(group_thread), body="Four eyes.")
    moderation.approve(moderator=moderator, review=open_review(post))
    post.refresh_from_db()
    assert post.status == PostStatus.PENDING
    with pytest.raises(ValidationError, match="already approved"):
        moderation.approve(moderator=moderator, review=open_review(post))
    with pytest.raises(ValidationError, match="another country"):
        moderation.approve(moderator=second_kenyan, review=open_review(post))
    moderation.approve(moderator=chair, review=open_review(post))
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    review = Review.objects.get(post=post)
    assert [a.country.code for a in review.approvals.all()] == ["KE", "EG"]


def test_a_decided_review_cannot_be_decided_again(group_thread, member, moderator, chair):
    post = actions.reply(author=member, parent=opening(group_thread), body="Once.")
    review = open_review(post)
    moderation.approve(moderator=moderator, review=review)
    with pytest.raises(ValidationError, match="already decided"):
        moderation.reject(moderator=chair, review=review, reason="tone")


def test_edit_and_approve_publishes_the_moderators_text_and_records_the_change(
    group_thread, member, moderator
):
    post = actions.reply(author=member, parent=opening(group_thread), body="Call 555-0100.")
    moderation.edit_and_approve(
        moderator=moderator, review=open_review(post), body="Call the office."
    )
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.body_source == "Call the office."
    assert post.revisions.get().body_source == "Call 555-0100."
    entry = AuditEntry.objects.get(action=AuditAction.EDIT_APPROVE)
    assert "-Call 555-0100." in entry.details["changes"]
    assert "+Call the office." in entry.details["changes"]


# --- edits of approved posts --------------------------------------------------------


@pytest.fixture
def approved_reply(group_thread, member, moderator):
    post = actions.reply(author=member, parent=opening(group_thread), body="Approved text.")
    moderation.approve(moderator=moderator, review=open_review(post))
    post.refresh_from_db()
    return post


def test_an_edit_under_review_keeps_the_approved_text_visible(
    approved_reply, member, other_country_member, posting_unlimited
):
    from tests.conftest import client_for

    actions.edit_post(editor=member, post=approved_reply, body="Proposed text.")
    approved_reply.refresh_from_db()
    assert approved_reply.body_source == "Approved text."
    assert approved_reply.status == PostStatus.PUBLISHED
    review = open_review(approved_reply)
    assert (review.kind, review.body_source) == (Review.Kind.EDIT, "Proposed text.")
    page = client_for(other_country_member).get(approved_reply.thread.get_absolute_url())
    assert "Approved text." in page.content.decode()
    assert "Proposed text." not in page.content.decode()
    # Nobody but moderators and the author learns the proposed text from the event log.
    pending = Event.objects.get(type="post.pending", payload__edit=True)
    assert pending.audience["moderators"] is True


def test_approving_an_edit_publishes_it_with_a_revision(approved_reply, member, chair):
    actions.edit_post(editor=member, post=approved_reply, body="Better text.")
    moderation.approve(moderator=chair, review=open_review(approved_reply))
    approved_reply.refresh_from_db()
    assert approved_reply.body_source == "Better text."
    assert approved_reply.revisions.get().body_source == "Approved text."
    edited = Event.objects.filter(type="post.edited").last()
    assert edited.audience["moderators"] is False


def test_rejecting_an_edit_keeps_the_approved_text(approved_reply, member, chair):
    actions.edit_post(editor=member, post=approved_reply, body="Worse text.")
    moderation.reject(moderator=chair, review=open_review(approved_reply), reason="tone")
    approved_reply.refresh_from_db()
    assert approved_reply.body_source == "Approved text."
    assert approved_reply.status == PostStatus.PUBLISHED


def test_a_second_edit_replaces_the_proposal_and_its_approvals(
    approved_reply, member, moderator, legal, posting_unlimited
):
    legal.approvals_required = 2
    legal.save()
    actions.edit_post(editor=member, post=approved_reply, body="Draft A.")
    moderation.approve(moderator=moderator, review=open_review(approved_reply))
    actions.edit_post(editor=member, post=approved_reply, body="Draft B.")
    review = open_review(approved_reply)
    assert review.body_source == "Draft B."
    assert not review.approvals.exists()


# --- reports, mutes, slow mode --------------------------------------------------------


def test_reports_of_one_post_are_merged(approved_reply, make_member, legal, moderator):
    one = make_member(country="ZM", groups=[legal])
    two = make_member(country="EG", groups=[legal])
    moderation.report_post(reporter=one, post=approved_reply, reason="spam")
    moderation.report_post(reporter=two, post=approved_reply, reason="abuse", note="Rude.")
    moderation.report_post(reporter=one, post=approved_reply, reason="abuse")
    report = Report.objects.get()
    assert report.flags.count() == 2
    moderation.remove_reported(moderator=moderator, report=report, note="Abusive.")
    report.refresh_from_db()
    assert report.state == Report.State.REMOVED
    assert Post.objects.get(pk=approved_reply.pk).status == PostStatus.REMOVED


def test_members_cannot_report_their_own_post(approved_reply, member):
    with pytest.raises(PermissionDenied):
        moderation.report_post(reporter=member, post=approved_reply, reason="spam")


def test_dismissing_a_report_is_audited(approved_reply, other_country_member, moderator):
    report = moderation.report_post(
        reporter=other_country_member, post=approved_reply, reason="spam"
    )
    moderation.dismiss_report(moderator=moderator, report=report, note="Fine.")
    assert AuditEntry.objects.filter(action=AuditAction.DISMISS_REPORT, reason="Fine.").exists()
    assert Post.objects.get(pk=approved_reply.pk).status == PostStatus.PUBLISHED


def test_a_muted_member_is_refused_with_the_reason(group_thread, member, moderator, legal):
    moderation.mute(moderator=moderator, group=legal, member=member, hours=24, reason="Spam.")
    with pytest.raises(ValidationError, match=r"muted .* Spam"):
        actions.reply(author=member, parent=opening(group_thread), body="Hello?")


def test_a_lifted_or_expired_mute_no_longer_refuses(group_thread, member, moderator, legal):
    mute = moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="x")
    moderation.unmute(moderator=moderator, mute=mute)
    actions.reply(author=member, parent=opening(group_thread), body="Back.")
    mute = moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="y")
    type(mute).objects.filter(pk=mute.pk).update(until=timezone.now())
    actions.reply(author=member, parent=opening(group_thread), body="Again.")


def test_moderators_cannot_be_muted(moderator, chair, legal):
    with pytest.raises(ValidationError):
        moderation.mute(moderator=chair, group=legal, member=moderator, hours=1, reason="No.")


def test_slow_mode_refuses_a_second_post_within_the_interval(group_thread, chair, moderator):
    moderation.set_slow_mode(moderator=moderator, thread=group_thread, seconds=60)
    actions.reply(author=chair, parent=opening(group_thread), body="One.")
    # chairs moderate: exempt. A plain member is not.
    actions.reply(author=chair, parent=opening(group_thread), body="Two.")


def test_slow_mode_applies_to_members(legal, member, moderator, start_thread):
    thread = start_thread(moderator)  # policy off in `legal`: posts publish at once
    moderation.set_slow_mode(moderator=moderator, thread=thread, seconds=60)
    actions.reply(author=member, parent=opening(thread), body="One.")
    with pytest.raises(ValidationError, match="Slow mode"):
        actions.reply(author=member, parent=opening(thread), body="Two.")


# --- the audit log --------------------------------------------------------------------


def test_every_moderation_action_is_audited(
    approved_reply,
    member,
    moderator,
    chair,
    other_country_member,
    legal,
    promotion,
    posting_unlimited,
):
    from forum.models import Membership

    Membership.objects.create(member=moderator, group=promotion, role=Role.MODERATOR)
    thread = approved_reply.thread
    rejected = actions.reply(author=member, parent=opening(thread), body="No.")
    moderation.reject(moderator=moderator, review=open_review(rejected), reason="tone")
    edited = actions.reply(author=member, parent=opening(thread), body="Typo.")
    moderation.edit_and_approve(moderator=moderator, review=open_review(edited), body="Fixed.")
    actions.remove_post(moderator=moderator, post=approved_reply, reason="Off topic.")
    actions.restore_post(moderator=moderator, post=approved_reply)
    mute = moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="x")
    moderation.unmute(moderator=moderator, mute=mute)
    moderation.set_slow_mode(moderator=moderator, thread=thread, seconds=30)
    moderation.set_policy(
        chair=chair,
        group=legal,
        policy=ModerationPolicy.EVERYTHING,
        approvals_required=2,
        member_review_until=None,
        trusted_review_until=0,
    )
    actions.set_pinned(moderator=moderator, thread=thread, pinned=True)
    actions.set_locked(moderator=moderator, thread=thread, locked=True)
    report = moderation.report_post(
        reporter=other_country_member, post=approved_reply, reason="spam"
    )
    moderation.dismiss_report(moderator=moderator, report=report)
    actions.move_thread(moderator=moderator, thread=thread, group=promotion)
    logged = set(AuditEntry.objects.values_list("action", flat=True))
    chat = {AuditAction.CHAT_REMOVE, AuditAction.CHAT_MUTE, AuditAction.CHAT_UNMUTE}
    assert logged == set(AuditAction.values) - chat  # chat: tests/forum/test_actions_meetings.py
    removal = AuditEntry.objects.get(action=AuditAction.REMOVE)
    assert (removal.actor, removal.actor_country.code, removal.reason) == (
        moderator,
        "KE",
        "Off topic.",
    )
    assert removal.post == approved_reply and removal.member == member


def test_the_audit_log_cannot_be_changed_through_the_app(approved_reply):
    entry = AuditEntry.objects.get()
    entry.reason = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


def test_the_database_refuses_to_update_the_audit_log(approved_reply):
    entry = AuditEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE forum_auditentry SET reason = 'x' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get().reason == ""


# --- regressions --------------------------------------------------------------------


def test_moderating_a_pending_thread_never_announces_it_to_members(
    cross_border_review, member, moderator, start_thread, promotion
):
    from forum.models import Membership

    Membership.objects.create(member=moderator, group=promotion, role=Role.MODERATOR)
    thread = start_thread(member, title="Held title")
    moderation.set_slow_mode(moderator=moderator, thread=thread, seconds=30)
    actions.set_pinned(moderator=moderator, thread=thread, pinned=True)
    actions.move_thread(moderator=moderator, thread=thread, group=promotion)
    updates = Event.objects.filter(type="thread.updated")
    assert updates.count() == 1  # the move, in the new group
    # In the old group everything about the thread now says only that it moved away.
    moved = Event.objects.filter(type="thread.moved")
    assert moved.count() == 4  # the pending post, slow mode, pin, and the move
    for event in [*updates, *moved.exclude(type="post.pending")]:
        assert event.audience["moderators"] is True
        assert event.audience["members"] == [member.pk]


def test_moving_a_thread_moves_its_reviews_and_reports_to_the_new_queue(
    cross_border_review, member, moderator, start_thread, promotion, make_member
):
    from forum import visibility
    from forum.models import Membership

    Membership.objects.create(member=moderator, group=promotion, role=Role.MODERATOR)
    promotion_moderator = make_member(country="EG", groups=[promotion], role=Role.MODERATOR)
    thread = start_thread(member, title="Wrong group")
    actions.move_thread(moderator=moderator, thread=thread, group=promotion)
    review = visibility.review_queue(promotion_moderator).get()
    moderation.approve(moderator=promotion_moderator, review=review)
    assert opening(thread).status == PostStatus.PUBLISHED


def test_edit_and_approve_needs_fresh_approvals_for_the_new_text(
    group_thread, member, moderator, chair, make_member, legal
):
    legal.approvals_required = 2
    legal.save()
    post = actions.reply(author=member, parent=opening(group_thread), body="Original.")
    moderation.approve(moderator=moderator, review=open_review(post))
    moderation.edit_and_approve(moderator=chair, review=open_review(post), body="Rewritten.")
    post.refresh_from_db()
    assert post.status == PostStatus.PENDING  # only the chair has seen "Rewritten."
    assert [a.moderator for a in open_review(post).approvals.all()] == [chair]


def test_a_direct_edit_withdraws_an_older_proposal(approved_reply, member, chair):
    actions.edit_post(editor=member, post=approved_reply, body="Proposal.")
    actions.edit_post(editor=chair, post=approved_reply, body="Moderator's fix.")
    assert not Review.objects.filter(post=approved_reply, state=Review.State.OPEN).exists()
    approved_reply.refresh_from_db()
    assert approved_reply.body_source == "Moderator's fix."


def test_a_mute_cannot_be_lifted_twice(member, moderator, legal):
    mute = moderation.mute(moderator=moderator, group=legal, member=member, hours=1, reason="x")
    moderation.unmute(moderator=moderator, mute=mute)
    with pytest.raises(ValidationError):
        moderation.unmute(moderator=moderator, mute=mute)
    assert AuditEntry.objects.filter(action=AuditAction.UNMUTE).count() == 1


def test_postgresql_refuses_to_delete_from_the_audit_log(approved_reply):
    entry = AuditEntry.objects.get()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM forum_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
