"""Remove what nobody needs any more: uploads never attached, files past retention, and
stored contents no attachment points at."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from attachments import limits, owners, storage
from attachments.models import Attachment, Blob

logger = logging.getLogger(__name__)


def _delete_stored(names: list[str]) -> None:
    files = storage.files()
    for name in names:
        try:
            files.delete(name)
        except Exception:  # one failure must not keep the rest
            logger.warning("could not delete stored file %s", name, exc_info=True)


def prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete orphan uploads older than ATTACHMENT_ORPHAN_HOURS, the files of owners
    removed longer ago than ATTACHMENT_REMOVED_RETENTION_DAYS (when set), then every
    stored content left without an attachment. Return the counts."""
    now = now or timezone.now()
    counts = {"orphans": 0, "expired": 0, "blobs": 0}
    with transaction.atomic():
        cutoff = now - timedelta(hours=limits.orphan_hours())
        counts["orphans"], _ = Attachment.objects.filter(
            owner_id__isnull=True, uploaded_at__lt=cutoff
        ).delete()
        days = limits.removed_retention_days()
        if days is not None:
            removed_before = now - timedelta(days=days)
            for kind in owners.kinds():
                if kind.expired is None:
                    continue
                content_type = ContentType.objects.get_for_model(kind.model_class)
                deleted, _ = Attachment.objects.filter(
                    owner_type=content_type,
                    owner_id__in=kind.expired(removed_before).values("pk"),
                ).delete()
                counts["expired"] += deleted
        unused = Blob.objects.filter(attachments__isnull=True)
        names = []
        for blob in unused:
            names.append(blob.name)
            names.extend(v["name"] for v in (blob.variants or {}).values())
        counts["blobs"], _ = unused.delete()
        transaction.on_commit(lambda: _delete_stored(names))
    return counts
