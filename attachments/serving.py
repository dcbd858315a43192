"""Send a stored file: through the front proxy when one is configured, else streamed by
Django in chunks (never read whole into memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from attachments import storage, types

CHUNK = 256 * 1024
# What a file's own response allows: nothing runs, even if a browser rendered it.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _sendfile_mode() -> str:
    return (getattr(settings, "ATTACHMENT_SENDFILE", "") or "").lower()


async def _chunks(name: str) -> AsyncIterator[bytes]:
    handle = await sync_to_async(storage.files().open, thread_sensitive=False)(name, "rb")
    read = sync_to_async(handle.read, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK):
            yield chunk
    finally:
        await sync_to_async(handle.close, thread_sensitive=False)()


def _sync_chunks(name: str) -> Iterator[bytes]:
    with storage.files().open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def send(
    request: HttpRequest, *, name: str, mime: str, filename: str, size: int, etag: str
) -> HttpResponse:
    """Answer with stored file `name`. Only image types we made ourselves go inline;
    everything else downloads (`Content-Disposition: attachment`)."""
    inline = mime in types.INLINE_MIMES
    content_type = f"{mime}; charset=utf-8" if mime.startswith("text/") else mime
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    elif (mode := _sendfile_mode()) == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        prefix = getattr(settings, "ATTACHMENT_SENDFILE_PREFIX", "/protected-files/")
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    elif mode == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = storage.files().path(name)
    elif isinstance(request, ASGIRequest):
        # Under ASGI a synchronous iterator would be read whole before sending.
        response = StreamingHttpResponse(_chunks(name), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        response = FileResponse(_sync_chunks(name), content_type=content_type)
        response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = etag
    return response
