"""Moderators' decisions: approve, reject, edit-and-approve, reports, mutes, policy, slow mode.

Every decision is written to the audit log in the same transaction.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Member
from attachments.actions import proposals
from forum import events, limits, visibility
from forum.actions import audit, notifications
from forum.actions import threads as posting
from forum.models import (
    Approval,
    AuditAction,
    Membership,
    ModerationPolicy,
    Mute,
    Post,
    PostStatus,
    RejectReason,
    Report,
    ReportFlag,
    ReportReason,
    Review,
    Thread,
    WorkingGroup,
)
from forum.models.groups import MODERATING_ROLES
from forum.models.notifications import NotificationKind
from search import index as search_index

SLOW_MODE_CHOICES = (0, 30, 60, 300, 900, 3600)
MUTE_HOURS_MAX = 24 * 365
REPORTS_PER_HOUR = 10


def _require_moderator(member: Member, group: WorkingGroup) -> None:
    if not visibility.can_moderate(member, group):
        raise PermissionDenied(_("Only the group's moderators can do that."))


def _lock(review: Review) -> tuple[Review, Post, Thread]:
    """Lock thread, post, then review (the posting actions' order), and recheck it is open."""
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("group")
        .get(pk=review.post.thread_id)
    )
    post = (
        Post.objects.select_for_update(of=("self",)).select_related("author").get(pk=review.post_id)
    )
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if locked.state != Review.State.OPEN:
        raise ValidationError(_("Another moderator has already decided this post."))
    return locked, post, thread


def _changes(before: str, after: str) -> str:
    """A short line diff of what a moderator changed, for the author."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), lineterm="", n=1, fromfile="", tofile=""
    )
    return "\n".join(list(lines)[2:])[:4000]


def _approve_locked(
    moderator: Member,
    review: Review,
    post: Post,
    thread: Thread,
    *,
    action: str = AuditAction.APPROVE,
    changes: str = "",
) -> bool:
    """Add `moderator`'s approval; publish when the group's count is reached. Return
    whether the review is now approved."""
    if post.author_id == moderator.pk:
        raise PermissionDenied(_("Nobody approves their own post."))
    approvals = list(review.approvals.all())
    if any(a.moderator_id == moderator.pk for a in approvals):
        raise ValidationError(_("You have already approved this; another moderator must too."))
    if any(a.country == moderator.country for a in approvals):
        raise ValidationError(
            _("The second approval must come from a moderator in another country.")
        )
    Approval.objects.create(review=review, moderator=moderator, country=moderator.country)
    required = thread.group.approvals_required
    done = len(approvals) + 1 >= required
    audit.record(
        actor=moderator,
        group=thread.group,
        action=action,
        post=post,
        member=post.author,
        details={
            "kind": review.kind,
            "approval": len(approvals) + 1,
            "required": required,
            **({"changes": changes} if changes else {}),
        },
    )
    if not done:
        return False
    now = timezone.now()
    review.state, review.decided_at, review.decided_by = Review.State.APPROVED, now, moderator
    review.save(update_fields=["state", "decided_at", "decided_by"])
    if review.kind == Review.Kind.POST:
        posting.publish(post, thread, now)
    else:
        posting.apply_edit(post.author, post, thread, review.body_source, review.title or None, now)
        proposals.apply(review, post)
        posting.emit_post(thread, events.POST_EDITED, post)
    _tell_author(review, post, moderator, "approved", changes=changes)
    return True


def _tell_author(
    review: Review,
    post: Post,
    moderator: Member,
    outcome: str,
    *,
    reason: str = "",
    note: str = "",
    changes: str = "",
) -> None:
    """Put the outcome in the author's inbox, in their language (the reason's label too)."""
    author = post.author
    with translation.override(author.language or settings.LANGUAGE_CODE):
        label = str(RejectReason(reason).label) if reason else ""
    if review.kind == Review.Kind.EDIT:
        outcome = f"edit_{outcome}"
    # The code and the note too: the inbox shows the reason in the reader's language then.
    data = {
        "outcome": outcome,
        "reason": f"{label} {note}".strip(),
        "reason_code": reason,
        "note": note,
        "changes": changes,
    }
    notifications.notify(
        recipient=author,
        kind=NotificationKind.MODERATION,
        actor=moderator,
        post=post,
        data={key: value for key, value in data.items() if value},
    )


def approve(*, moderator: Member, review: Review) -> Review:
    """Approve a pending post or edit; with four-eyes, the second approval publishes it."""
    _require_moderator(moderator, review.post.thread.group)
    with transaction.atomic():
        review, post, thread = _lock(review)
        _approve_locked(moderator, review, post, thread)
    return review


def approve_many(*, moderator: Member, reviews: Iterable[Review]) -> tuple[int, list[str]]:
    """Approve several reviews, each on its own; return how many passed and the refusals."""
    approved, errors = 0, []
    for review in reviews:
        try:
            approve(moderator=moderator, review=review)
        except (ValidationError, PermissionDenied) as error:
            message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            errors.append(f"#{review.post.number} {review.post.thread.title}: {message}")
        else:
            approved += 1
    return approved, errors


def edit_and_approve(
    *, moderator: Member, review: Review, body: str, title: str | None = None
) -> Review:
    """Correct the text and approve it; the author is told what changed."""
    _require_moderator(moderator, review.group)
    body = limits.check_body(body)
    with transaction.atomic():
        review, post, thread = _lock(review)
        new_title = limits.check_title(title) if (title and post.is_opening) else None
        if review.kind == Review.Kind.POST:
            before = post.body_source
            if body != before or (new_title and new_title != thread.title):
                posting.apply_edit(moderator, post, thread, body, new_title, timezone.now())
        else:
            before = review.body_source
            review.body_source = body
            review.body_html = posting.render_body(thread, body, moderator)[0]
            if new_title:
                review.title = new_title
            review.save(update_fields=["body_source", "body_html", "title"])
        if body != before or new_title:
            # Earlier approvals were of another text: the four eyes must see this one.
            review.approvals.all().delete()
        _approve_locked(
            moderator,
            review,
            post,
            thread,
            action=AuditAction.EDIT_APPROVE,
            changes=_changes(before, body),
        )
    return review


def reject(*, moderator: Member, review: Review, reason: str, note: str = "") -> Review:
    """Refuse a pending post or edit with a reason; the author may edit and resubmit."""
    _require_moderator(moderator, review.group)
    if reason not in RejectReason.values:
        raise ValidationError(_("Choose a reason."))
    note = limits.check_note(note)
    if reason == RejectReason.OTHER and not note:
        raise ValidationError(_("Say in the note why the post is rejected."))
    with transaction.atomic():
        review, post, thread = _lock(review)
        if post.author_id == moderator.pk:
            raise PermissionDenied(_("Nobody decides on their own post."))
        now = timezone.now()
        review.state, review.decided_at, review.decided_by = Review.State.REJECTED, now, moderator
        review.reason, review.note = reason, note
        review.save(update_fields=["state", "decided_at", "decided_by", "reason", "note"])
        if review.kind == Review.Kind.EDIT:
            proposals.discard(review)  # the post keeps its files; added ones become orphans
        if review.kind == Review.Kind.POST:
            post.status = PostStatus.REJECTED
            post.save(update_fields=["status"])
            search_index.index_post(post)
            if post.is_opening:
                search_index.index_thread(thread, opening_status=post.status)
        audit.record(
            actor=moderator,
            group=thread.group,
            action=AuditAction.REJECT,
            post=post,
            member=post.author,
            reason=f"{RejectReason(reason).label}. {note}".strip(),
            details={"kind": review.kind, "reason": reason},
        )
        # The group's stream before the author's inbox, as on approval: one lock order.
        posting.emit(
            thread,
            events.POST_REJECTED,
            {
                "id": post.pk,
                "thread": thread.pk,
                "number": post.number,
                "edit": review.kind == Review.Kind.EDIT,
                "reason": reason,
                "note": note,
            },
            status=PostStatus.REJECTED,
            author_id=post.author_id,
        )
        _tell_author(review, post, moderator, "rejected", reason=reason, note=note)
    return review


# --- reports ------------------------------------------------------------------------


def report_post(*, reporter: Member, post: Post, reason: str, note: str = "") -> Report:
    """Flag a post for the moderators; reports of one post gather in one queue item."""
    if not visibility.can_report(reporter, post):
        raise PermissionDenied(_("You cannot report this post."))
    if reason not in ReportReason.values:
        raise ValidationError(_("Choose a reason."))
    note = limits.check_note(note)
    if not limits.consume(f"report:{reporter.pk}", limit=REPORTS_PER_HOUR, window=3600):
        raise ValidationError(_("You have sent many reports; please wait an hour."))
    for _attempt in range(2):
        try:
            with transaction.atomic():
                report, _created = Report.objects.get_or_create(
                    post=post,
                    state=Report.State.OPEN,
                    defaults={"group_id": post.thread.group_id},
                )
                ReportFlag.objects.update_or_create(
                    report=report, reporter=reporter, defaults={"reason": reason, "note": note}
                )
            return report
        except IntegrityError:  # two first reports at once: the other one won, join it
            continue
    raise ValidationError(_("Please try again."))


def dismiss_report(*, moderator: Member, report: Report, note: str = "") -> Report:
    """Close a report without acting on the post."""
    _require_moderator(moderator, report.group)
    note = limits.check_note(note)
    with transaction.atomic():
        # Lock order of the posting actions (thread, post) before the report: no deadlock
        # with a removal of the same post.
        Thread.objects.select_for_update().filter(pk=report.post.thread_id).first()
        Post.objects.select_for_update().filter(pk=report.post_id).first()
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state != Report.State.OPEN:
            raise ValidationError(_("Another moderator has already resolved this report."))
        locked.state, locked.resolved_at = Report.State.DISMISSED, timezone.now()
        locked.resolved_by, locked.note = moderator, note
        locked.save(update_fields=["state", "resolved_at", "resolved_by", "note"])
        audit.record(
            actor=moderator,
            group=report.group,
            action=AuditAction.DISMISS_REPORT,
            post=report.post,
            member=report.post.author,
            reason=note,
            details={"reports": locked.flags.count()},
        )
    return locked


def remove_reported(*, moderator: Member, report: Report, note: str) -> Post:
    """Remove a reported post; the report closes with the removal's reason."""
    return posting.remove_post(moderator=moderator, post=report.post, reason=note)


# --- mutes, slow mode and policy ------------------------------------------------------


def mute(
    *, moderator: Member, group: WorkingGroup, member: Member, hours: int, reason: str
) -> Mute:
    """Keep `member` from posting in `group` for `hours`, with a reason they are shown."""
    _require_moderator(moderator, group)
    reason = limits.check_note(reason)
    if not reason:
        raise ValidationError(_("Give a reason for the mute."))
    if not 1 <= hours <= MUTE_HOURS_MAX:
        raise ValidationError(_("A mute lasts from one hour to one year."))
    role = Membership.objects.filter(group=group, member=member).values_list("role", flat=True)
    role = role.first()
    if role is None:
        raise ValidationError(_("That person is not a member of this working group."))
    if role in MODERATING_ROLES or member.pk == moderator.pk:
        raise ValidationError(_("Moderators and chairs cannot be muted."))
    until = timezone.now() + timedelta(hours=hours)
    with transaction.atomic():
        created = Mute.objects.create(
            group=group, member=member, until=until, reason=reason, created_by=moderator
        )
        audit.record(
            actor=moderator,
            group=group,
            action=AuditAction.MUTE,
            member=member,
            reason=reason,
            details={"until": until.isoformat(), "hours": hours},
        )
    return created


def unmute(*, moderator: Member, mute: Mute) -> Mute:
    """Lift a mute before it ends."""
    _require_moderator(moderator, mute.group)
    if mute.lifted_at is not None or mute.until <= timezone.now():
        raise ValidationError(_("This mute has already ended."))
    with transaction.atomic():
        mute.lifted_at = timezone.now()
        mute.save(update_fields=["lifted_at"])
        audit.record(
            actor=moderator, group=mute.group, action=AuditAction.UNMUTE, member=mute.member
        )
    return mute


def set_slow_mode(*, moderator: Member, thread: Thread, seconds: int) -> Thread:
    """Allow each member one post per `seconds` in the thread (0 turns it off)."""
    _require_moderator(moderator, thread.group)
    if seconds not in SLOW_MODE_CHOICES:
        raise ValidationError(_("Choose one of the offered intervals."))
    with transaction.atomic():
        Thread.objects.filter(pk=thread.pk).update(slow_mode_seconds=seconds)
        thread.slow_mode_seconds = seconds
        audit.record(
            actor=moderator,
            group=thread.group,
            action=AuditAction.SLOW_MODE,
            thread_id=thread.pk,
            details={"seconds": seconds},
        )
        posting.emit_thread(thread)
    return thread


def check_policy(
    *,
    policy: str,
    approvals_required: int,
    member_review_until: int | None,
    trusted_review_until: int | None,
) -> None:
    """Refuse a moderation policy that set_policy() would not store."""
    if policy not in ModerationPolicy.values:
        raise ValidationError(_("Unknown policy."))
    if approvals_required not in (1, 2):
        raise ValidationError(_("A post needs one or two approvals."))
    for value in (member_review_until, trusted_review_until):
        if value is not None and not 0 <= value <= 10_000:
            raise ValidationError(_("Give a number of posts from 0 to 10,000, or leave it empty."))


def set_policy(
    *,
    chair: Member,
    group: WorkingGroup,
    policy: str,
    approvals_required: int,
    member_review_until: int | None,
    trusted_review_until: int | None,
) -> WorkingGroup:
    """Change how the group pre-moderates; posts already waiting stay in the queue."""
    if not visibility.can_chair(chair, group):
        raise PermissionDenied(_("Only the group's chairs can change its policy."))
    check_policy(
        policy=policy,
        approvals_required=approvals_required,
        member_review_until=member_review_until,
        trusted_review_until=trusted_review_until,
    )
    fields = {
        "moderation_policy": policy,
        "approvals_required": approvals_required,
        "member_review_until": member_review_until,
        "trusted_review_until": trusted_review_until,
    }
    before = {name: getattr(group, name) for name in fields}
    if before == fields:
        return group
    with transaction.atomic():
        WorkingGroup.objects.filter(pk=group.pk).update(**fields)
        for name, value in fields.items():
            setattr(group, name, value)
        audit.record(
            actor=chair,
            group=group,
            action=AuditAction.POLICY,
            details={"before": before, "after": fields},
        )
    return group
