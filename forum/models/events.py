"""The durable event log: what changed, in order, per stream, with its audience."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventStream(models.Model):
    """A sequence of events: one per working group (`group:<id>`), later per meeting room."""

    key = models.CharField(max_length=64, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("event stream")
        verbose_name_plural = _("event streams")

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_seq}"


class Event(models.Model):
    """One event, written in the same transaction as the change it reports.

    `audience` decides who may receive it, without a database query:
    {"countries": [..] or null (whole group), "moderators": bool (only the
    group's moderators), "members": [ids] (always included, e.g. the author)}.
    """

    stream = models.ForeignKey(EventStream, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    audience = models.JSONField()
    # The post whose text this event carries, so that a removal or an edit can
    # rewrite the logged copies and a replay never shows text readers may not see.
    post_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The thread the event is about, so that moving the thread can take its past out
    # of the old group's log.
    thread_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The post's notifications are still to be derived from this event, after its
    # transaction committed (by a task, or by the catch-up after a crash).
    notify_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["stream", "seq"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="event_seq_per_stream"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(notify_pending=True),
                name="event_notify_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream.key}#{self.seq} {self.type}"
