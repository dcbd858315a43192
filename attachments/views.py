"""Upload a file (the page's script, one request per file) and fetch one (everyone who
may see what it is attached to)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attachments import images, serving, visibility
from attachments.actions import files as actions
from attachments.models import Attachment, Kind

VARIANTS = ("thumb", "display")


def describe_upload(attachment: Attachment) -> dict:
    blob = attachment.blob
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": blob.size,
        "size_label": filesizeformat(blob.size),
        "kind": blob.kind,
        "mime": blob.mime,
    }


@login_required
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    """Store the files of one request, unattached; answer what was stored and what not."""
    stored, errors = [], []
    for file in request.FILES.getlist("files"):
        try:
            stored.append(actions.upload(member=request.user, file=file, name=file.name))
        except ValidationError as error:
            errors.extend(error.messages)
    if not stored and not errors:
        errors.append(_("Choose a file to attach."))
    return JsonResponse(
        {"files": [describe_upload(a) for a in stored], "errors": errors},
        status=400 if errors else 200,
    )


def _image_version(attachment: Attachment, variant: str) -> dict:
    blob = attachment.blob
    if blob.described_at is None:  # the worker has not got to it yet: make them now
        blob = images.describe(blob)
        attachment.blob = blob
    found = (blob.variants or {}).get(variant)
    if found is None:
        raise Http404("No such file.")
    return found


def _etag(attachment: Attachment, variant: str) -> str:
    return f'"{attachment.blob.sha256[:32]}-{variant}"'


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file itself; an image without its metadata (EXIF, GPS)."""
    attachment = visibility.get_attachment_or_404(request.user, pk)
    blob = attachment.blob
    if blob.kind == Kind.IMAGE:
        full = _image_version(attachment, "full")
        return serving.send(
            request,
            name=full["name"],
            mime=full["mime"],
            filename=attachment.name,
            size=full["size"],
            etag=_etag(attachment, "full"),
        )
    return serving.send(
        request,
        name=blob.name,
        mime=blob.mime,
        filename=attachment.name,
        size=blob.size,
        etag=_etag(attachment, "file"),
    )


@login_required
@require_GET
def variant(request: HttpRequest, pk: int, variant: str) -> HttpResponse:
    """An image's thumbnail or display version."""
    attachment = visibility.get_attachment_or_404(request.user, pk)
    if variant not in VARIANTS or attachment.blob.kind != Kind.IMAGE:
        raise Http404("No such file.")
    found = _image_version(attachment, variant)
    return serving.send(
        request,
        name=found["name"],
        mime=found["mime"],
        filename=f"{variant}-{attachment.name}",
        size=found["size"],
        etag=_etag(attachment, variant),
    )
