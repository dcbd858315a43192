"""The inbox (notifications), watched and muted threads, and the record of sent digests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forum.models.threads import Post, Thread


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("mention")
    REPLY = "reply", _("reply to my post")
    WATCHED_REPLY = "watched_reply", _("reply in a thread I watch")
    MODERATION = "moderation", _("moderation outcome")
    MEETING = "meeting", _("meeting invitation")
    DOCKING = "docking", _("docking step")
    COUNTRY = "country", _("news about a country I follow")
    REMINDER = "reminder", _("bookmark reminder")


class Notification(models.Model):
    """Something a member should know about: a mention, a reply, a moderation outcome, ..."""

    Kind = NotificationKind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Free-form: {"outcome", "reason", "changes"} for moderation, {"title", "url", "starts_at"}
    # for meetings, {"docking", "action", "title", "url"} for docking steps.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Waiting for `send_notifications` to mail it (the member asked for immediate email).
    email_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in NotificationKind]),
                name="notification_kind_known",
            ),
            # One mention, reply or watched-reply notification per member and post,
            # however often the derivation runs.
            models.UniqueConstraint(
                fields=["recipient", "post"],
                condition=models.Q(kind__in=["mention", "reply", "watched_reply", "country"]),
                name="notification_once_per_post",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="inbox_listing"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="inbox_unread",
            ),
            models.Index(
                fields=["recipient"],
                condition=models.Q(email_pending=True),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class Watch(models.Model):
    """A member follows a thread (replies reach their inbox) or mutes it (nothing does)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="watches")
    muted = models.BooleanField(_("muted"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("watched thread")
        verbose_name_plural = _("watched threads")
        constraints = [
            models.UniqueConstraint(fields=["member", "thread"], name="watch_once"),
        ]
        indexes = [models.Index(fields=["thread", "muted"], name="watchers_of_thread")]

    def __str__(self) -> str:
        return f"{self.member_id} {'mutes' if self.muted else 'watches'} {self.thread_id}"


class Digest(models.Model):
    """One digest for one member and one period: claimed, then sent, skipped or failed.

    The unique (member, period) row is what makes a rerun after a crash send nobody twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        EMPTY = "empty", _("nothing new")
        FAILED = "failed", _("failed")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    # "daily:2026-11-24" or "weekly:2026-11-23": the member's local date it is due on.
    period = models.CharField(max_length=32)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # Which run claimed it, so that two overlapping runs never send the same digest.
    claim = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # The content covers activity after `since` up to `until` (the next digest starts there).
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(fields=["member", "period"], name="digest_once_per_period"),
        ]
        indexes = [models.Index(fields=["status", "member"], name="digest_by_status")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period} {self.status}"
