"""The search index: one row per thread title, published post and chat message.

A row holds analyzed text (search.analysis) and the keys that lead back to what it
indexes; never an audience or a status. Who may see a row is decided at query time
by the visibility rule, so the index can never leak on its own.

The full-text structures are the database's: on SQLite an FTS5 table over
`title` and `body` kept in step by triggers; on PostgreSQL a generated `document`
tsvector column with a GIN index (migration 0001).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    THREAD = "thread", _("thread")
    POST = "post", _("post")
    CHAT = "chat", _("chat message")


class Entry(models.Model):
    kind = models.CharField(max_length=6, choices=EntryKind.choices)
    # The thread of a title or a post, the meeting of a chat message: where it is read.
    thread = models.ForeignKey(
        "forum.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    post = models.OneToOneField(
        "forum.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    meeting = models.ForeignKey(
        "forum.Meeting", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.OneToOneField(
        "forum.ChatMessage", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    # Analyzed text only (titles weigh more in the ranking).
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["thread"],
                condition=models.Q(kind="thread"),
                name="search_one_title_per_thread",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="thread", thread__isnull=False, post__isnull=True)
                | models.Q(kind="post", thread__isnull=False, post__isnull=False)
                | models.Q(kind="chat", meeting__isnull=False, message__isnull=False),
                name="search_entry_points_at_one_thing",
            ),
        ]
        indexes = [models.Index(fields=["-created_at"], name="search_newest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.post_id or self.message_id or self.thread_id}"
