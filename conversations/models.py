"""Direct messages: conversations of 2 to 10 members, their messages, blocks and reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    """A private conversation; `last_seq` numbers its messages (1, 2, 3, ...)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A group conversation (started with more than two members) can be left.
    is_group = models.BooleanField(default=False)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return f"/messages/{self.pk}/"


class Participant(models.Model):
    """One member in one conversation: what they read, muted, left, and were mailed."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_seats"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(default=False)
    read_seq = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)
    # The last seq covered by an immediate email, so that none is mailed twice.
    emailed_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "member"], name="conversation_participant_once"
            ),
        ]
        indexes = [models.Index(fields=["member", "left_at"], name="conversation_seat_member")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.conversation_id}"


class DirectMessage(models.Model):
    """A message with its conversation's seq; a retried send (same client_id) is one row."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="direct_messages"
    )
    seq = models.PositiveBigIntegerField()
    client_id = models.CharField(max_length=64)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    quote = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted for everyone: body and html are emptied, the row stays as "message deleted".
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("direct message")
        verbose_name_plural = _("direct messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="dm_seq_per_conversation"),
            models.UniqueConstraint(
                fields=["conversation", "author", "client_id"], name="dm_client_id_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class MessageRevision(models.Model):
    """The text a message had before an edit (the history)."""

    message = models.ForeignKey(DirectMessage, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message revision")
        verbose_name_plural = _("message revisions")
        ordering = ["message", "created_at", "pk"]

    def __str__(self) -> str:
        return f"revision of {self.message_id}"


class Block(models.Model):
    """`blocker` no longer receives messages from `blocked`."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class MessageReport(models.Model):
    """A message reported to staff, with a copy of it and its neighbours at report time.

    Staff read the copy, never the conversation: `context` holds the reported message
    and at most CONTEXT_MESSAGES before and after it.
    """

    message = models.ForeignKey(
        DirectMessage, on_delete=models.SET_NULL, null=True, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_reports"
    )
    reason = models.CharField(max_length=500)
    context = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("message report")
        verbose_name_plural = _("message reports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"report {self.pk} of message {self.message_id}"


class MailPreference(models.Model):
    """Whether a member wants an email about a message left unread for 15 minutes."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_mail"
    )
    immediate = models.BooleanField(_("email me about unread direct messages"), default=True)

    class Meta:
        verbose_name = _("message email preference")
        verbose_name_plural = _("message email preferences")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.immediate}"
