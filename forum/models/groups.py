"""Working groups and who belongs to them, with which role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class Role(models.TextChoices):
    MEMBER = "member", _("member")
    TRUSTED = "trusted", _("trusted member")
    MODERATOR = "moderator", _("moderator")
    CHAIR = "chair", _("chair")


MODERATING_ROLES = frozenset({Role.MODERATOR, Role.CHAIR})


class ModerationPolicy(models.TextChoices):
    OFF = "off", _("Publish at once (no pre-moderation)")
    CROSS_BORDER = "cross_border", _("Review cross-border posts first")
    EVERYTHING = "everything", _("Review every post first")


class WorkingGroup(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The moderation policy, edited by chairs (forum.actions.moderation.set_policy).
    moderation_policy = models.CharField(
        _("moderation policy"),
        max_length=16,
        choices=ModerationPolicy.choices,
        default=ModerationPolicy.CROSS_BORDER,
    )
    approvals_required = models.PositiveSmallIntegerField(
        _("approvals needed"),
        choices=[(1, _("one moderator")), (2, _("two moderators from different countries"))],
        default=1,
    )
    # A member (trusted member) needs review until this many of their posts in the
    # group were published; None means always.
    member_review_until = models.PositiveIntegerField(
        _("members need review until they have this many published posts"),
        null=True,
        blank=True,
        default=None,
    )
    trusted_review_until = models.PositiveIntegerField(
        _("trusted members need review until they have this many published posts"),
        null=True,
        blank=True,
        default=0,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approvals_required__in=[1, 2]), name="group_approvals_1_or_2"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("group", kwargs={"slug": self.slug})


class Membership(models.Model):
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        ordering = ["group__name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["member", "group"], name="one_membership_per_group"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.group} · {self.get_role_display()}"

    @property
    def moderates(self) -> bool:
        return self.role in MODERATING_ROLES


# The data migration stores these in English; templates translate them with
# {% translate group.name %}. Listed here so that makemessages finds them.
BUILT_IN_GROUP_TEXTS = (
    gettext_noop("Legal policy"),
    gettext_noop("Project promotion"),
    gettext_noop("Meetings"),
    gettext_noop("Laws, regulations and risk notes for each host country."),
    gettext_noop("Project opportunities and matchmaking (docking) between partners."),
    gettext_noop("The annual forum meeting, visits, and online sessions with live chat."),
)
