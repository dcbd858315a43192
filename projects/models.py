"""The project docking platform: sectors, listings and their reviews, dockings and steps.

A listing (project, offer or request) lives in the project-promotion working group and
has an audience like a thread's. A docking is the path from one organization's interest
in a listing to a signed agreement (or a close), visible only to the two organizations,
the group's facilitators and staff. Its legal steps are in `projects.machine`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_countries.fields import CountryField

from forum.models import Audience, Thread, WorkingGroup


class Sector(models.Model):
    """A sector of activity. Names are stored in English and translated with gettext
    (`{% translate sector.name %}`); names staff add show as typed until translated."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name


# The data migration stores these in English; listed here so that makemessages finds them.
BUILT_IN_SECTORS = (
    ("security-services", gettext_noop("Security services")),
    ("security-equipment", gettext_noop("Security equipment")),
    ("smart-cities", gettext_noop("Smart cities")),
    ("face-recognition", gettext_noop("Face recognition")),
    ("energy-equipment", gettext_noop("Energy equipment")),
    ("ict", gettext_noop("ICT")),
    ("infrastructure", gettext_noop("Infrastructure")),
    ("agriculture", gettext_noop("Agriculture")),
    ("mining", gettext_noop("Mining")),
    ("health", gettext_noop("Health")),
    ("other", gettext_noop("Other")),
)


class Offer(models.TextChoices):
    """What an organization offers, and what a listing seeks."""

    PARTNER = "partner", _("partner")
    FINANCING = "financing", _("financing")
    EQUIPMENT = "equipment", _("equipment")
    SERVICES = "services", _("services")
    TECHNOLOGY = "technology", _("technology")


class IcocaStatus(models.TextChoices):
    NONE = "none", _("none")
    MEMBER = "member", _("ICoCA member")
    CERTIFIED = "certified", _("ICoCA certified")


class ListingKind(models.TextChoices):
    PROJECT = "project", _("project")
    OFFER = "offer", _("offer")
    REQUEST = "request", _("request")


class SizeBand(models.TextChoices):
    UNDER_1M = "under_1m", _("under USD 1 million")
    FROM_1M = "1m_10m", _("USD 1–10 million")
    FROM_10M = "10m_50m", _("USD 10–50 million")
    FROM_50M = "50m_250m", _("USD 50–250 million")
    OVER_250M = "over_250m", _("over USD 250 million")


class Stage(models.TextChoices):
    CONCEPT = "concept", _("concept")
    FEASIBILITY = "feasibility", _("feasibility")
    FINANCING = "financing", _("financing")
    PROCUREMENT = "procurement", _("procurement")
    IMPLEMENTATION = "implementation", _("implementation")


class ListingState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PENDING = "pending", _("waiting for review")
    PUBLISHED = "published", _("published")
    PAUSED = "paused", _("paused")
    CLOSED = "closed", _("closed")
    EXPIRED = "expired", _("expired")


class ListingOutcome(models.TextChoices):
    AGREEMENT = "agreement", _("an agreement was signed")
    FILLED = "filled", _("found a partner elsewhere")
    CANCELLED = "cancelled", _("cancelled")
    OTHER = "other", _("other")


class Listing(models.Model):
    group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        on_delete=models.PROTECT,
        related_name="listings",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ListingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    summary_html = models.TextField(blank=True)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="listings"
    )
    host_country = CountryField(_("host country"))
    size = models.CharField(_("size"), max_length=10, choices=SizeBand.choices)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    # Offer values (partner, financing, ...): what the listing looks for.
    seeks = models.JSONField(_("seeks"), default=list, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="listings",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="listings",
    )
    # Contact details: shown only to those `projects.visibility.can_see_contact` admits.
    contact_name = models.CharField(_("contact people"), max_length=200)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.GROUP
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ListingState.choices, default=ListingState.DRAFT
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ListingOutcome.choices, blank=True
    )
    thread = models.OneToOneField(
        Thread,
        verbose_name=_("discussion"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listing",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        indexes = [
            models.Index(fields=["state", "-published_at"], name="listing_by_state"),
            models.Index(fields=["state", "expires_at"], name="listing_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in ListingState]),
                name="listing_state_known",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:listing", kwargs={"pk": self.pk})

    def seeks_labels(self) -> list[str]:
        labels = dict(Offer.choices)
        return [str(labels[value]) for value in self.seeks if value in labels]


class ListingCountry(models.Model):
    """One country a listing is addressed to (domestic and selected-country listings)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="countries")
    country = CountryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "country"], name="listing_country_once"),
        ]
        indexes = [models.Index(fields=["country", "listing"], name="listing_audience")]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.country}"


class ListingReview(models.Model):
    """A listing, or an edit of a published listing, waiting for the group's moderators.

    For an edit, the proposed fields live in `proposed`; the listing shows its
    approved text until the review is approved.
    """

    class Kind(models.TextChoices):
        PUBLISH = "publish", _("publication")
        EDIT = "edit", _("edit")

    class State(models.TextChoices):
        OPEN = "open", _("waiting")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("replaced")

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PUBLISH)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    proposed = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    # [{"moderator": id, "country": code}]: four-eyes groups need two countries.
    approvals = models.JSONField(default=list, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("listing review")
        verbose_name_plural = _("listing reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["listing"],
                condition=models.Q(state="open"),
                name="one_open_review_per_listing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.listing} ({self.get_state_display()})"


class NotInterested(models.Model):
    """A member asked never to be suggested this listing again."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "listing"], name="not_interested_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} not interested in {self.listing_id}"


class DockingState(models.TextChoices):
    INTERESTED = "interested", _("interested")
    INTRODUCED = "introduced", _("introduced")
    MEETING_REQUESTED = "meeting_requested", _("meeting requested")
    SCHEDULED = "scheduled", _("meeting scheduled")
    SIGNED = "signed", _("agreement signed")
    CLOSED = "closed", _("closed")


OPEN_DOCKING_STATES = (
    DockingState.INTERESTED,
    DockingState.INTRODUCED,
    DockingState.MEETING_REQUESTED,
    DockingState.SCHEDULED,
)


class CloseReason(models.TextChoices):
    DECLINED = "declined", _("declined")
    NO_RESPONSE = "no_response", _("no response")
    WITHDRAWN = "withdrawn", _("withdrawn")
    NOT_A_FIT = "not_a_fit", _("not a fit")


class AgreementKind(models.TextChoices):
    MOU = "mou", _("memorandum of understanding (MoU)")
    LOI = "loi", _("letter of intent (LOI)")
    CONTRACT = "contract", _("contract")


class Docking(models.Model):
    """One organization's path with one listing, from interest to agreement or close."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="dockings")
    # The interested organization (the listing's own organization is the owner side).
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("interested organization"),
        on_delete=models.PROTECT,
        related_name="dockings",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=DockingState.choices, default=DockingState.INTERESTED
    )
    message = models.TextField(_("message"), blank=True)
    message_html = models.TextField(blank=True)
    # Double opt-in: each side's acceptance; both make the introduction.
    owner_accepted_at = models.DateTimeField(null=True, blank=True)
    partner_accepted_at = models.DateTimeField(null=True, blank=True)
    proposed_by_facilitator = models.BooleanField(default=False)
    introduced_at = models.DateTimeField(null=True, blank=True)
    # Which side asked for the meeting ("owner" or "partner"): the other side picks.
    meeting_requested_by = models.CharField(max_length=8, blank=True)
    agreement_date = models.DateField(_("agreement date"), null=True, blank=True)
    agreement_kind = models.CharField(
        _("agreement"), max_length=10, choices=AgreementKind.choices, blank=True
    )
    agreement_value = models.DecimalField(
        _("value (USD)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    announceable = models.BooleanField(_("may be announced"), default=False)
    close_reason = models.CharField(
        _("reason"), max_length=12, choices=CloseReason.choices, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_step_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-last_step_at", "-pk"]
        verbose_name = _("docking")
        verbose_name_plural = _("dockings")
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "organization"],
                condition=models.Q(state__in=[s.value for s in OPEN_DOCKING_STATES]),
                name="one_open_docking_per_organization",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in DockingState]),
                name="docking_state_known",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="docking_by_state")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.listing}"

    def get_absolute_url(self) -> str:
        return reverse("projects:docking", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_DOCKING_STATES


class DockingSlot(models.Model):
    """A proposed meeting time; the other side picks one."""

    docking = models.ForeignKey(Docking, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    chosen = models.BooleanField(default=False)
    # Which meeting request proposed it (a later request replaces the earlier slots).
    round = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.docking_id} {self.starts_at:%Y-%m-%d %H:%M}"


class DockingStep(models.Model):
    """One step on a docking's timeline: who did what, when, with a note."""

    docking = models.ForeignKey(Docking, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # "owner", "partner", "facilitator" or "system" (the scheduled jobs).
    side = models.CharField(max_length=12)
    state = models.CharField(max_length=20, choices=DockingState.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The parties' inbox items are still to be made from this step, after its
    # transaction committed (by a task, or by the scheduled jobs' catch-up).
    notify_pending = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["created_at"], name="docking_step_time"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(notify_pending=True),
                name="docking_step_notify_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.docking_id} {self.action}"
