"""Members, their organizations and the invitations that bring them in."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from forum.models.groups import Role


def validate_time_zone(value: str) -> None:
    """Refuse anything that is not an IANA time zone name."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    country = CountryField(_("country"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The project docking platform (projects/): what the organization does and offers.
    sectors = models.ManyToManyField(
        "projects.Sector", verbose_name=_("sectors"), blank=True, related_name="organizations"
    )
    operating_countries = models.ManyToManyField(
        "countries.Country",
        verbose_name=_("countries of operation"),
        blank=True,
        related_name="organizations",
    )
    # Offer values (partner, financing, equipment, services, technology).
    offers = models.JSONField(_("offers"), default=list, blank=True)
    icoca_status = models.CharField(
        _("ICoCA status"),
        max_length=10,
        choices=[
            ("none", _("none")),
            ("member", _("ICoCA member")),
            ("certified", _("ICoCA certified")),
        ],
        default="none",
    )
    # Only staff set this (the admin); members' forms never show it.
    icoca_verified = models.BooleanField(_("ICoCA status verified"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class DigestFrequency(models.TextChoices):
    OFF = "off", _("No digest")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class MemberManager(BaseUserManager["Member"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> Member:
        if not email:
            raise ValueError("A member needs an email address.")
        member = self.model(email=self.normalize_email(email).lower(), **fields)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_superuser(self, email: str, password: str | None = None, **fields) -> Member:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class Member(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: an official, company staff member or researcher."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=100)
    handle = models.SlugField(
        _("handle"),
        max_length=40,
        unique=True,
        help_text=_("Used for @mentions. Letters, digits, hyphens and underscores."),
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    country = CountryField(_("country"))
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    thread_view = models.CharField(
        _("thread view"),
        max_length=8,
        choices=[("tree", _("tree")), ("flat", _("flat"))],
        default="tree",
    )
    # Email: the digest (when, in the member's own zone and language) and immediate notices.
    digest_frequency = models.CharField(
        _("digest"),
        max_length=8,
        choices=DigestFrequency.choices,
        default=DigestFrequency.DAILY,
    )
    digest_weekday = models.PositiveSmallIntegerField(
        _("day for the weekly digest"), choices=WEEKDAYS, default=0
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("hour of the digest"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("In your own time zone."),
    )
    # Working groups (ids) the member leaves out of the digest.
    digest_skip_groups = models.JSONField(default=list, blank=True)
    email_mentions = models.BooleanField(_("email me when I am mentioned"), default=True)
    email_replies = models.BooleanField(_("email me replies to my posts"), default=False)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # 0: initials on a colour; otherwise the Avatar row's version, in its URL for caching.
    avatar_version = models.PositiveIntegerField(default=0)

    objects = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name", "handle", "country"]

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__gte=0, digest_hour__lte=23),
                name="member_digest_hour_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(digest_weekday__gte=0, digest_weekday__lte=6),
                name="member_digest_weekday_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class Invitation(models.Model):
    """An email address invited to join with a country, organization, groups and role."""

    email = models.EmailField(_("email address"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT
    )
    country = CountryField(_("country"))
    groups = models.ManyToManyField(
        "forum.WorkingGroup", verbose_name=_("working groups"), related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.email

    def state(self, now=None) -> str:
        """Return 'accepted', 'revoked', 'expired' or 'open'."""
        now = now or timezone.now()
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"


class Avatar(models.Model):
    """A member's uploaded picture: square, small, WebP, without the upload's metadata."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="avatar")
    image = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("avatar")
        verbose_name_plural = _("avatars")

    def __str__(self) -> str:
        return f"avatar of {self.member_id}"
