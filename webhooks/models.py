"""Outgoing webhooks of a working group: endpoints, their deliveries and every attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from forum.models import WorkingGroup


class Format(models.TextChoices):
    STANDARD = "standard", _("Standard Webhooks (signed JSON)")
    WECOM = "wecom", _("WeCom group bot")
    TEAMS = "teams", _("Microsoft Teams workflow")


class EventType(models.TextChoices):
    THREAD_CREATED = "thread.created", _("New thread")
    POST_PUBLISHED = "post.published", _("New reply")
    MEETING_STARTING = "meeting.starting", _("Meeting starts in 15 minutes")
    MEETING_MINUTES = "meeting.minutes", _("Meeting minutes published")


# A test delivery is not an event a chair subscribes to.
TEST_EVENT = "webhook.test"


class Endpoint(models.Model):
    """Where a working group's events go. The URL and the signing secret are stored
    encrypted (webhooks.crypto); pages show `url_masked` only."""

    group = models.ForeignKey(
        WorkingGroup, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(_("name"), max_length=100)
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.STANDARD
    )
    url_encrypted = models.TextField()
    url_masked = models.CharField(max_length=120)
    events = models.JSONField(default=list)
    # Staff only: the endpoint also receives this country's domestic threads.
    country = CountryField(_("country"), blank=True)
    include_excerpt = models.BooleanField(_("include an excerpt of the text"), default=False)
    secret_encrypted = models.TextField()
    # After a rotation the previous secret keeps signing until `previous_secret_until`.
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group", "name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.name} ({self.url_masked})"

    def wants(self, event_type: str) -> bool:
        return event_type == TEST_EVENT or event_type in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    # Not sent: the content left the endpoint's audience, or the endpoint was disabled.
    WITHDRAWN = "withdrawn", _("not sent")


class Delivery(models.Model):
    """One message to one endpoint. Its id (`message_id`, the `webhook-id` header) and
    its payload stay the same across retries and resends."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=30)
    # One message per endpoint and event: a doubled trigger writes nothing twice.
    event_key = models.CharField(max_length=100)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    # What the message is about, checked again before every attempt.
    thread_id = models.BigIntegerField(null=True, blank=True)
    post_id = models.BigIntegerField(null=True, blank=True)
    meeting_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    # Failed attempts so far (throttled ones do not count).
    failures = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker holds a sending delivery until then; after it, the catch-up takes it back.
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="webhook_delivery_once_per_event"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["pending", "sending"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.state})"


class Attempt(models.Model):
    """One try at sending a delivery, kept for the log (pruned after 30 days)."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("delivered")
        FAILURE = "failure", _("failed")
        THROTTLED = "throttled", _("throttled")
        REFUSED = "refused", _("refused before sending")
        GONE = "gone", _("gone: endpoint disabled")
        SENDING = "sending", _("sending")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The first bytes of the answer, or why nothing was sent.
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        indexes = [
            models.Index(fields=["endpoint", "started_at"], name="webhook_attempt_window"),
            models.Index(fields=["started_at"], name="webhook_attempt_age"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome} {self.status_code or ''}"
