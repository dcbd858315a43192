"""Describe a stored file once: an image's derived versions without metadata, a PDF's pages.

Run in the background after the upload commits (attachments.tasks), and on demand when a
derived version is asked for before the worker got to it. Idempotent.
"""

from __future__ import annotations

import io
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps

from attachments import storage
from attachments.models import Blob, Kind

logger = logging.getLogger(__name__)

# Longest side of each derived version; "full" keeps the image's own size.
SIZES = {"thumb": 320, "display": 1600, "full": None}


def _encode(image: Image.Image, source_format: str) -> tuple[bytes, str, str]:
    """Encode `image` with no metadata: JPEG for photos, PNG where there is transparency."""
    out = io.BytesIO()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if source_format == "JPEG" or not has_alpha:
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True, exif=b"")
        return out.getvalue(), "image/jpeg", "jpg"
    image.convert("RGBA").save(out, "PNG", optimize=True)
    return out.getvalue(), "image/png", "png"


def _variants(blob: Blob) -> dict[str, dict]:
    files = storage.files()
    with files.open(blob.name, "rb") as stored, Image.open(stored) as opened:
        source_format = opened.format or ""
        opened.seek(0)  # first frame of an animation
        image = ImageOps.exif_transpose(opened)  # keep what the camera meant, drop the rest
        image.load()
    made: dict[str, dict] = {}
    for variant, longest in SIZES.items():
        copy = image.copy()
        if longest is not None:
            copy.thumbnail((longest, longest))
        data, mime, extension = _encode(copy, source_format)
        name = storage.variant_name(blob.sha256, variant, extension)
        if files.exists(name):
            files.delete(name)
        files.save(name, ContentFile(data, name=name))
        made[variant] = {
            "name": name,
            "mime": mime,
            "width": copy.width,
            "height": copy.height,
            "size": len(data),
        }
    return made


def _pages(blob: Blob) -> int | None:
    from pypdf import PdfReader

    try:
        with storage.files().open(blob.name, "rb") as stored:
            return len(PdfReader(stored, strict=False).pages)
    except Exception:  # a damaged PDF is still a download; it just has no page count
        logger.info("no page count for blob %s", blob.pk, exc_info=True)
        return None


def describe(blob: Blob) -> Blob:
    """Make `blob`'s derived versions (images) or count its pages (PDFs), once."""
    if blob.described_at is not None:
        return blob
    fields: dict[str, object] = {"described_at": timezone.now()}
    if blob.kind == Kind.IMAGE:
        try:
            fields["variants"] = _variants(blob)
        except Exception:
            logger.warning("could not derive images of blob %s", blob.pk, exc_info=True)
            fields["variants"] = {}
    elif blob.kind == Kind.PDF:
        fields["pages"] = _pages(blob)
    with transaction.atomic():
        Blob.objects.filter(pk=blob.pk, described_at__isnull=True).update(**fields)
    blob.refresh_from_db()
    return blob
