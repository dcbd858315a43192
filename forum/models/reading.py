"""What members keep while reading and writing: reactions, bookmarks and drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forum.models.meetings import ChatMessage
from forum.models.threads import Post

# The fixed set members react with: thanks, agreement, celebration, a question, a smile,
# eyes ("looking into it"). Keys are stored; the emoji is only how they are drawn.
REACTIONS = {
    "thumbs_up": "👍",
    "heart": "❤️",
    "tada": "🎉",
    "smile": "😄",
    "question": "❓",
    "eyes": "👀",
}
REACTION_CHOICES = [(key, emoji) for key, emoji in REACTIONS.items()]


class Reaction(models.Model):
    """One member's emoji on a post or on a chat message (never both)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="reactions"
    )
    message = models.ForeignKey(
        ChatMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="reactions"
    )
    emoji = models.CharField(_("reaction"), max_length=16, choices=REACTION_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(post__isnull=False, message__isnull=True)
                | models.Q(post__isnull=True, message__isnull=False),
                name="reaction_on_one_thing",
            ),
            models.CheckConstraint(
                condition=models.Q(emoji__in=list(REACTIONS)), name="reaction_known_emoji"
            ),
            models.UniqueConstraint(
                fields=["member", "post", "emoji"],
                condition=models.Q(post__isnull=False),
                name="reaction_once_per_post",
            ),
            models.UniqueConstraint(
                fields=["member", "message", "emoji"],
                condition=models.Q(message__isnull=False),
                name="reaction_once_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.member_id}"


class Bookmark(models.Model):
    """A post a member wants to come back to, perhaps at a given time."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    remind_at = models.DateTimeField(_("remind me"), null=True, blank=True)
    # When the reminder went to the inbox (send_bookmark_reminders); None: not yet.
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bookmark")
        verbose_name_plural = _("bookmarks")
        constraints = [
            models.UniqueConstraint(fields=["member", "post"], name="bookmark_once_per_post")
        ]
        indexes = [models.Index(fields=["remind_at"], name="bookmark_reminders_due")]

    def __str__(self) -> str:
        return f"bookmark {self.post_id} of {self.member_id}"


class Draft(models.Model):
    """What a member was typing, kept on the server while they type (`key` names the box:
    `reply:<thread id>`, `thread:<group slug>`, `chat:<meeting id>`)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    key = models.CharField(max_length=80)
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [models.UniqueConstraint(fields=["member", "key"], name="draft_once_per_box")]

    def __str__(self) -> str:
        return f"draft {self.key} of {self.member_id}"
