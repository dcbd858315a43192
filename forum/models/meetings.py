"""Meetings of a working group, their RSVPs, the live chat room and calendar feeds."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from forum.models.groups import WorkingGroup
from forum.models.threads import Audience, Thread


class MeetingFormat(models.TextChoices):
    ONLINE = "online", _("online")
    IN_PERSON = "in_person", _("in person")
    HYBRID = "hybrid", _("hybrid")


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    LIVE = "live", _("live")
    ENDED = "ended", _("ended")


class Meeting(models.Model):
    """A meeting of a working group; its times are stored in UTC."""

    group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    title = models.CharField(_("title"), max_length=200)
    agenda = models.TextField(_("agenda"), blank=True)
    agenda_html = models.TextField(blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    # The organizer's zone when scheduling: the page shows times in it as well.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    format = models.CharField(
        _("format"), max_length=10, choices=MeetingFormat.choices, default=MeetingFormat.ONLINE
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.GROUP
    )
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organizer"),
        on_delete=models.PROTECT,
        related_name="organized_meetings",
    )
    chairs = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("chairs"), blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=MeetingState.choices, default=MeetingState.SCHEDULED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Chairs may open the chat before the start; closing it wins over everything.
    chat_opened_early = models.BooleanField(default=False)
    chat_closed = models.BooleanField(default=False)
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_html = models.TextField(blank=True)
    minutes_thread = models.ForeignKey(
        Thread, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["group", "starts_at"], name="meeting_listing")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("meeting", kwargs={"pk": self.pk})

    def state_at(self, now: datetime) -> str:
        """Return the state, counting a scheduled meeting whose start has passed as live."""
        if self.state == MeetingState.SCHEDULED and self.starts_at <= now:
            return MeetingState.LIVE
        return self.state

    def chat_open_at(self, now: datetime) -> bool:
        if self.chat_closed:
            return False
        state = self.state_at(now)
        return state == MeetingState.LIVE or (
            state == MeetingState.SCHEDULED and self.chat_opened_early
        )

    @property
    def stream_key(self) -> str:
        return f"meeting:{self.pk}"


class MeetingCountry(models.Model):
    """One country a meeting is addressed to (domestic and selected-country meetings)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="countries")
    country = CountryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "country"], name="meeting_country_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.country}"


class RsvpAnswer(models.TextChoices):
    ATTENDING = "yes", _("attending")
    MAYBE = "maybe", _("maybe")
    NOT_ATTENDING = "no", _("not attending")


class Rsvp(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    answer = models.CharField(_("answer"), max_length=5, choices=RsvpAnswer.choices)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_rsvp_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.member_id} {self.answer}"


class ChatMessage(models.Model):
    """One chat message, stored with the room's sequence number before it is broadcast."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_messages"
    )
    # Chosen by the sending client: a retried send with the same id is stored once.
    client_id = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField(null=True)
    body = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["meeting", "seq"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "author", "client_id"], name="chat_client_id_once"
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "author", "created_at"], name="chat_by_author"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.seq}"


class ChatMute(models.Model):
    """A participant a chair has muted for the rest of a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="mutes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    muted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="mute_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.member_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A member's private calendar feed: the token in the URL is the only key."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.member_id}"
