"""Moderation: reviews of pending posts and edits, reports, mutes and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from forum.models.groups import WorkingGroup
from forum.models.threads import Post


class RejectReason(models.TextChoices):
    OFF_TOPIC = "off_topic", _("Off topic for this working group")
    CONFIDENTIAL = "confidential", _("Contains confidential or personal information")
    AUDIENCE = "audience", _("Not suitable for this audience; consider a domestic thread")
    TONE = "tone", _("Tone or language not appropriate")
    DUPLICATE = "duplicate", _("Already discussed elsewhere")
    OTHER = "other", _("Other (see the note)")


class Review(models.Model):
    """A post, or an edit of a published post, waiting for moderators.

    For an edit, the proposed text lives here and the post keeps showing its
    approved text until the review is approved.
    """

    class Kind(models.TextChoices):
        POST = "post", _("new post")
        EDIT = "edit", _("edit")

    class State(models.TextChoices):
        OPEN = "open", _("waiting")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("replaced")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reviews")
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.POST)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The proposed text of an edit (empty for a new post: its text is the post's).
    title = models.CharField(max_length=200, blank=True)
    body_source = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(max_length=16, choices=RejectReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=models.Q(state="open"), name="one_open_review_per_post"
            ),
        ]
        indexes = [models.Index(fields=["group", "state", "submitted_at"], name="review_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.post} ({self.get_state_display()})"


class Approval(models.Model):
    """One moderator's approval of a review; four-eyes reviews need two countries."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="approvals")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    country = CountryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "moderator"], name="approve_once"),
        ]

    def __str__(self) -> str:
        return f"{self.moderator} approved {self.review_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    ABUSE = "abuse", _("Abusive or harassing")
    CONFIDENTIAL = "confidential", _("Confidential or personal information")
    MISLEADING = "misleading", _("False or misleading")
    OFF_TOPIC = "off_topic", _("Off topic")
    OTHER = "other", _("Something else")


class Report(models.Model):
    """Members' reports about one post, merged while the report is open."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        REMOVED = "removed", _("post removed")
        DISMISSED = "dismissed", _("dismissed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="reports")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=models.Q(state="open"), name="one_open_report_per_post"
            ),
        ]
        indexes = [models.Index(fields=["group", "state", "created_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"report on {self.post} ({self.get_state_display()})"


class ReportFlag(models.Model):
    """One member's report: why they flagged the post."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="flags")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["report", "reporter"], name="report_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.reporter}: {self.get_reason_display()}"


class Mute(models.Model):
    """A member may not post in a group until `until`."""

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="mutes")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes"
    )
    until = models.DateTimeField()
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("mute")
        verbose_name_plural = _("mutes")
        indexes = [models.Index(fields=["member", "group", "until"], name="mute_lookup")]

    def __str__(self) -> str:
        return f"{self.member} muted in {self.group} until {self.until:%Y-%m-%d %H:%M}"


class AuditAction(models.TextChoices):
    APPROVE = "approve", _("approved")
    REJECT = "reject", _("rejected")
    EDIT_APPROVE = "edit_approve", _("edited and approved")
    REMOVE = "remove", _("removed a post")
    RESTORE = "restore", _("restored a post")
    DISMISS_REPORT = "dismiss_report", _("dismissed a report")
    MUTE = "mute", _("muted a member")
    UNMUTE = "unmute", _("lifted a mute")
    POLICY = "policy", _("changed the moderation policy")
    SLOW_MODE = "slow_mode", _("set slow mode")
    PIN = "pin", _("pinned or unpinned a thread")
    LOCK = "lock", _("locked or unlocked a thread")
    MOVE = "move", _("moved a thread")
    CHAT_REMOVE = "chat_remove", _("removed a chat message")
    CHAT_MUTE = "chat_mute", _("muted a member in a meeting chat")
    CHAT_UNMUTE = "chat_unmute", _("let a member write in a meeting chat again")


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One moderation action: who, when, what, on which post or member, and why.

    Append-only: the app has no update or delete path, and the database refuses
    updates (a trigger, see migration 0006).
    """

    group = models.ForeignKey(WorkingGroup, on_delete=models.PROTECT, related_name="audit_log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_country = CountryField()
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_log"
    )
    thread_id = models.BigIntegerField(null=True, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(max_length=600, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["group", "-created_at"], name="audit_by_group")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")
