"""Stored files (one per content), and attachments: a member's upload of one, on one owner."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    IMAGE = "image", _("image")
    PDF = "pdf", _("PDF document")
    DOCUMENT = "document", _("office document")
    SPREADSHEET = "spreadsheet", _("spreadsheet")
    PRESENTATION = "presentation", _("presentation")
    TEXT = "text", _("text")
    ARCHIVE = "archive", _("ZIP archive")


class Blob(models.Model):
    """One stored content, named by its SHA-256: the same file uploaded twice is stored once.

    Images get derived versions (thumbnail, display size, the full size without its
    metadata), made in the background and listed in `variants`.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    mime = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)  # in the attachments storage
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)  # PDFs
    # {"thumb": {"name", "mime", "width", "height", "size"}, "display": ..., "full": ...}
    variants = models.JSONField(default=dict, blank=True)
    described_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in Kind]), name="blob_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return self.sha256[:12]

    @property
    def is_image(self) -> bool:
        return self.kind == Kind.IMAGE


class Attachment(models.Model):
    """A file a member uploaded, attached to one owner (a post, a chat message, ...) or
    to nothing yet. Owners are generic: each kind registers its visibility rule
    (attachments.owners)."""

    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(_("file name"), max_length=200)
    owner_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_at = models.DateTimeField(default=timezone.now)
    attached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["owner_type", "owner_id", "position", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            models.Index(fields=["owner_type", "owner_id", "position"], name="attachment_by_owner"),
            models.Index(fields=["uploader", "uploaded_at"], name="attachment_by_uploader"),
            models.Index(fields=["attached_at", "uploaded_at"], name="attachment_orphans"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_type__isnull=True, owner_id__isnull=True)
                | models.Q(owner_type__isnull=False, owner_id__isnull=False),
                name="attachment_owner_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_attached(self) -> bool:
        return self.owner_id is not None


class ProposedRemoval(models.Model):
    """A file an edit waiting for review would take off its post. The files the edit
    adds are attached to the review itself; both follow the review's decision."""

    review = models.ForeignKey(
        "forum.Review", on_delete=models.CASCADE, related_name="file_removals"
    )
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("file removal waiting for review")
        verbose_name_plural = _("file removals waiting for review")
        constraints = [
            models.UniqueConstraint(fields=["review", "attachment"], name="proposed_removal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.attachment_id}"
