"""Upload a file, attach uploads to an owner, detach them. Each writes in one transaction."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import PurePath
from typing import IO

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Model, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

from attachments import limits, owners, storage, types
from attachments.models import Attachment, Blob, Kind

CHUNK = 1024 * 1024


def clean_name(name: str) -> str:
    """Return a safe display and download name: no directories, no control characters."""
    name = PurePath(str(name or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 190 - len(extension)] + dot + extension) if dot else name[:200]
    return name or _("file")


def hash_file(file: IO[bytes]) -> str:
    """Return the SHA-256 of `file`, read in chunks."""
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _file_size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    return size


def _check_image(file: IO[bytes], name: str) -> tuple[int, int]:
    file.seek(0)
    try:
        with Image.open(file) as image:
            width, height = image.size
            if width * height > limits.max_pixels():
                raise ValidationError(
                    _("“%(name)s” has too many pixels to show (at most %(n)d million).")
                    % {"name": name, "n": limits.max_pixels() // 1_000_000},
                    code="image_too_large",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            _("“%(name)s” looks like an image but cannot be read.") % {"name": name},
            code="image_broken",
        ) from None
    finally:
        file.seek(0)
    return width, height


def _check_quota(member, size: int, name: str) -> None:
    since = timezone.now() - timedelta(days=1)
    used = (
        Attachment.objects.filter(uploader=member, uploaded_at__gt=since).aggregate(
            total=Sum("blob__size")
        )["total"]
        or 0
    )
    if used + size > limits.daily_quota():
        raise ValidationError(
            _(
                "“%(name)s” would take you past your upload allowance of %(quota)s a day. "
                "Try again tomorrow, or attach a smaller file."
            )
            % {"name": name, "quota": filesizeformat(limits.daily_quota())},
            code="quota",
        )


def _store(file: IO[bytes], sha256: str, size: int, found: types.FileType, dims) -> Blob:
    """Return the Blob of `sha256`, storing the content the first time it is seen."""
    existing = Blob.objects.filter(sha256=sha256).first()
    files = storage.files()
    name = storage.blob_name(sha256)
    if existing is not None:
        if not files.exists(existing.name):  # lost from the store: put it back
            file.seek(0)
            files.save(existing.name, File(file))
        return existing
    file.seek(0)
    saved = files.save(name, File(file, name=name))
    if saved != name:  # another upload stored the same content meanwhile: keep one
        files.delete(saved)
    width, height = dims or (None, None)
    try:
        with transaction.atomic():
            return Blob.objects.create(
                sha256=sha256,
                size=size,
                mime=found.mime,
                kind=found.kind,
                name=name,
                width=width,
                height=height,
            )
    except IntegrityError:
        return Blob.objects.get(sha256=sha256)


def upload(*, member, file: IO[bytes], name: str) -> Attachment:
    """Store one uploaded file for `member`, not attached to anything yet.

    Checks size, type (by content) and the member's daily allowance; the same content
    uploaded again reuses the stored file.
    """
    name = clean_name(name)
    if getattr(file, "too_large", False) or _file_size(file) > limits.max_bytes():
        raise ValidationError(
            _("“%(name)s” is larger than %(max)s.")
            % {"name": name, "max": filesizeformat(limits.max_bytes())},
            code="file_too_large",
        )
    size = _file_size(file)
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="file_empty")
    found = types.detect(file, name)
    dims = _check_image(file, name) if found.kind == Kind.IMAGE else None
    sha256 = getattr(file, "sha256", None) or hash_file(file)
    with transaction.atomic():
        # One upload at a time per member, so that two cannot both fit the allowance.
        get_user_model().objects.select_for_update().filter(pk=member.pk).first()
        _check_quota(member, size, name)
        blob = _store(file, sha256, size, found, dims)
        attachment = Attachment.objects.create(blob=blob, uploader=member, name=name)
    if blob.described_at is None and blob.kind in (Kind.IMAGE, Kind.PDF):
        from attachments.tasks import describe_blob

        transaction.on_commit(lambda: describe_blob.enqueue(blob.pk))
    attachment.blob = blob
    return attachment


def attach(
    *, member, owner: Model, uploads: Sequence[Attachment], detach: Iterable[int] = ()
) -> list[Attachment]:
    """Attach `member`'s unattached `uploads` to `owner`, after its files, and drop the
    files `detach` (ids) from it. Return the owner's files."""
    kind = owners.kind_of(owner)
    content_type = ContentType.objects.get_for_model(owner)
    most = kind.max_files or limits.max_per_post()
    now = timezone.now()
    with transaction.atomic():
        on_owner = Attachment.objects.filter(owner_type=content_type, owner_id=owner.pk)
        dropped = set(detach)
        if dropped:
            on_owner.filter(pk__in=dropped).delete()
        ids = [upload.pk for upload in uploads]
        mine = list(
            Attachment.objects.select_for_update(of=("self",))
            .select_related("blob")
            .filter(pk__in=ids, uploader=member, owner_id__isnull=True)
            .order_by("pk")
        )
        if len(mine) != len(set(ids)):
            raise ValidationError(
                _("One of the files is no longer there; attach it again."), code="upload_gone"
            )
        too_large = [a for a in mine if kind.max_bytes is not None and a.blob.size > kind.max_bytes]
        if too_large:
            raise ValidationError(
                _("“%(name)s” is larger than %(max)s.")
                % {"name": too_large[0].name, "max": filesizeformat(kind.max_bytes)},
                code="file_too_large",
            )
        present = on_owner.count()
        if present + len(mine) > most:
            raise ValidationError(
                ngettext(
                    "At most %(n)d file can be attached here.",
                    "At most %(n)d files can be attached here.",
                    most,
                )
                % {"n": most},
                code="too_many_files",
            )
        for position, attachment in enumerate(mine, start=present):
            attachment.owner_type = content_type
            attachment.owner_id = owner.pk
            attachment.position = position
            attachment.attached_at = now
        Attachment.objects.bulk_update(mine, ["owner_type", "owner_id", "position", "attached_at"])
    return list(on_owner.select_related("blob").order_by("position", "pk"))


def with_files[T](
    *,
    member,
    uploads: Sequence[Attachment],
    write: Callable[[], T],
    owner_of: Callable[[T], Model] = lambda result: result,
    detach: Iterable[int] = (),
) -> T:
    """Run `write` (a forum action) and attach `uploads` to what it made, all or nothing:
    a refused file undoes the write, and nothing is published before the files are on."""
    detach = list(detach)
    if not uploads and not detach:
        return write()
    with transaction.atomic():
        result = write()
        attach(member=member, owner=owner_of(result), uploads=uploads, detach=detach)
    return result
