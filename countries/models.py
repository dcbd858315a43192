"""Reference data (countries, partners) and the country risk database.

Assessments are dated records of risk levels per dimension, reviewed by the legal-policy
moderators (never by their author) and immutable once published: a correction is a new
assessment naming the one it corrects. A published partners edition of the annual
report is stored as it was published, with its checksums.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries as iso_countries


class Country(models.Model):
    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    partner = models.BooleanField(
        _("partner country"),
        default=False,
        help_text=_("Partner countries come first in every country picker."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The country's name in the active language."""
        return str(iso_countries.name(self.code)) or self.code


# --- the risk database ------------------------------------------------------------------


class Level(models.IntegerChoices):
    INSIGNIFICANT = 1, _("insignificant")
    LOW = 2, _("low")
    MEDIUM = 3, _("medium")
    HIGH = 4, _("high")
    EXTREME = 5, _("extreme")


class Trend(models.TextChoices):
    IMPROVING = "improving", _("improving")
    STABLE = "stable", _("stable")
    DETERIORATING = "deteriorating", _("deteriorating")


class Dimension(models.Model):
    """A dimension of country risk, stored as data so that more can be added.

    `name` and the level definitions are stored in English and translated in templates
    (`{% translate %}`); the built-in texts are listed in BUILT_IN_DIMENSION_TEXTS.
    `code` doubles as the legal-policy topic tag that files a risk note under it.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("risk dimension")
        verbose_name_plural = _("risk dimensions")

    def __str__(self) -> str:
        return self.name


class LevelDefinition(models.Model):
    """What one level means in one dimension, in words."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="definitions")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    text = models.TextField(_("definition"))

    class Meta:
        ordering = ["dimension", "level"]
        verbose_name = _("level definition")
        verbose_name_plural = _("level definitions")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "level"], name="one_definition_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension.code}: {self.get_level_display()}"


class AssessmentStatus(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    PUBLISHED = "published", _("published")
    REJECTED = "rejected", _("rejected")


class PublishedIsFinal(TypeError):
    """A published assessment (or a part of it) cannot change: publish a correction."""


class AssessmentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status=AssessmentStatus.PUBLISHED).exists():
            raise PublishedIsFinal("A published assessment cannot change.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=AssessmentStatus.PUBLISHED).exists():
            raise PublishedIsFinal("A published assessment cannot be deleted.")
        return super().delete()


class Assessment(models.Model):
    """A dated assessment of one country, by a trusted member or moderator of legal policy."""

    Status = AssessmentStatus

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField(_("date of the assessment"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="country_assessments",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.PENDING,
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    correction_note = models.CharField(_("what this corrects"), max_length=500, blank=True)
    oecd_category = models.PositiveSmallIntegerField(
        _("OECD country risk category"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
    )
    oecd_date = models.DateField(_("date of the OECD category"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_note = models.CharField(_("reason"), max_length=500, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        verbose_name = _("country risk assessment")
        verbose_name_plural = _("country risk assessments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in AssessmentStatus]),
                name="assessment_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(oecd_category__isnull=True)
                | models.Q(oecd_category__gte=0, oecd_category__lte=7),
                name="assessment_oecd_0_to_7",
            ),
        ]
        indexes = [
            models.Index(fields=["country", "status", "-assessed_on"], name="assessment_current"),
        ]

    def __str__(self) -> str:
        return f"{self.country_id} {self.assessed_on:%Y-%m-%d} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        # What was published stays as published: only a pending row may change (asked of
        # the database, so that a stale copy cannot overwrite a published row either).
        if not self._state.adding and self.pk is not None:
            stored = Assessment.objects.filter(pk=self.pk).values_list("status", flat=True)
            if stored.first() == AssessmentStatus.PUBLISHED:
                raise PublishedIsFinal("A published assessment cannot change.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("countries:assessment", kwargs={"pk": self.pk})

    def delete(self, *args, **kwargs):
        if Assessment.objects.filter(pk=self.pk, status=AssessmentStatus.PUBLISHED).exists():
            raise PublishedIsFinal("A published assessment cannot be deleted.")
        return super().delete(*args, **kwargs)


class _PartQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(assessment__status=AssessmentStatus.PUBLISHED).exists():
            raise PublishedIsFinal("A published assessment cannot change.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(assessment__status=AssessmentStatus.PUBLISHED).exists():
            raise PublishedIsFinal("A published assessment cannot be deleted.")
        return super().delete()


class AssessmentPart(models.Model):
    """A part of an assessment: written with it, frozen with it."""

    objects = _PartQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        status = (
            Assessment.objects.filter(pk=self.assessment_id)
            .values_list("status", flat=True)
            .first()
        )
        if status == AssessmentStatus.PUBLISHED:
            raise PublishedIsFinal("A published assessment cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if (
            type(self)
            .objects.filter(pk=self.pk)
            .filter(assessment__status=AssessmentStatus.PUBLISHED)
        ):
            raise PublishedIsFinal("A published assessment cannot be deleted.")
        return super().delete(*args, **kwargs)


class DimensionLevel(AssessmentPart):
    """One dimension's level, trend and reasoning in one assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="levels")
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    trend = models.CharField(_("trend"), max_length=14, choices=Trend.choices)
    reasoning_source = models.TextField(_("reasoning"))
    reasoning_html = models.TextField()

    class Meta:
        ordering = ["dimension__position", "dimension__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension"], name="one_level_per_dimension"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="dimension_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension_id}: {self.get_level_display()}"


class RegionalException(AssessmentPart):
    """An area of the country whose level differs from the national one."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="exceptions")
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    area = models.CharField(_("area"), max_length=200)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.area}: {self.get_level_display()}"


class Source(AssessmentPart):
    """A source an assessment rests on."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200)
    published_on = models.DateField(_("date"))
    url = models.URLField(_("URL"), max_length=500)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class AssessmentApproval(models.Model):
    """One legal-policy moderator's approval of a pending assessment (never its author's)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="approvals")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    country = models.CharField(max_length=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "moderator"], name="approve_assessment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.moderator_id} approved assessment {self.assessment_id}"


class CountryFollow(models.Model):
    """A member follows a country: its new assessments and notes reach their inbox and digest."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="country_follows"
    )
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "country"], name="follow_country_once"),
        ]
        indexes = [models.Index(fields=["country", "member"], name="country_followers")]

    def __str__(self) -> str:
        return f"{self.member_id} follows {self.country_id}"


class FrozenReport(models.Model):
    """A published partners edition of a country's annual report: served as stored."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField(_("year"))
    edition = models.CharField(max_length=10, default="partners")
    language = models.CharField(max_length=10)
    html = models.TextField()
    pdf = models.BinaryField()
    html_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["country", "-year"]
        verbose_name = _("published annual report")
        verbose_name_plural = _("published annual reports")
        constraints = [
            models.UniqueConstraint(
                fields=["country", "year", "edition"], name="one_frozen_report_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_id} {self.year} {self.edition}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PublishedIsFinal("A published report is frozen.")
        super().save(*args, **kwargs)
