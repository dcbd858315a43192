"""Background work of the attachments, through Django's Tasks framework. Idempotent."""

from __future__ import annotations

from django.tasks import task

from attachments import images
from attachments.actions import cleanup
from attachments.models import Blob


@task
def describe_blob(blob_id: int) -> bool:
    """Make an image's derived versions or count a PDF's pages."""
    blob = Blob.objects.filter(pk=blob_id).first()
    if blob is None:
        return False
    images.describe(blob)
    return True


@task
def prune_attachments() -> dict[str, int]:
    """Remove orphan uploads, files past their retention and unreferenced stored files."""
    return cleanup.prune()
