"""ETags for pages built for one viewer.

A page's ETag is a digest of everything it is built from: the data the view loaded,
the decisions taken for the viewer, who the viewer is (their id, what the header shows,
their language and time zone, their CSRF secret, which the page's forms carry) and the
release (templates, static files, translations, the code that writes markup beside the
templates). A repeated request answers `304 Not Modified` only when all of these are the
same, so never across viewers or after any change. The digest costs the queries the
page needs anyway, not its rendering.
"""

from __future__ import annotations

import hashlib
import importlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response

# Browsers keep the page but ask before showing it again; shared caches never keep it.
CACHE_CONTROL = "private, no-cache"


# The Python that writes markup into pages and fragments beside their templates: the
# template tags (avatars, times), the views that prepare links, the URLs they reverse,
# and the image sizes files show with. A deploy that changes any of them changes the
# release, as a changed template does.
CODE_MODULES = (
    "forum.templatetags.forum",
    "forum.views.threads",
    "forum.urls",
    "attachments.urls",
    "attachments.models",
)


@cache
def release(templates: tuple[str, ...], assets: tuple[str, ...]) -> str:
    """Return a digest of the page's templates, static file URLs (which carry the files'
    hashes in production), translation catalogs and the code in CODE_MODULES, computed
    once per process."""
    digest = hashlib.blake2b(digest_size=16)
    for name in templates:
        digest.update(get_template(name).template.source.encode())
    for asset in assets:
        digest.update(static(asset).encode())
    for folder in settings.LOCALE_PATHS:
        for catalog in sorted(Path(folder).glob("*/LC_MESSAGES/*.mo")):
            digest.update(catalog.read_bytes())
    for module in CODE_MODULES:
        digest.update(Path(importlib.import_module(module).__file__).read_bytes())
    return digest.hexdigest()


def page_etag(
    request: HttpRequest, *, templates: tuple[str, ...], assets: tuple[str, ...], data: object
) -> str | None:
    """Return a weak ETag for the page `request`'s viewer gets from `data` (a repr-able
    value holding everything the view loaded and decided), or None when the page must
    not be reused (it shows one-time messages)."""
    if get_messages(request):
        return None
    if "CSRF_COOKIE" not in request.META:
        get_token(request)  # the page's forms need one: make it part of the key
    member = request.user
    key = (
        release(templates, assets),
        member.pk,
        member.is_staff,
        member.handle,
        member.display_name,
        str(member.country),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        request.META["CSRF_COOKIE"],
        data,
    )
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    return f'W/"{digest}"'


def not_modified(request: HttpRequest, etag: str | None) -> HttpResponse | None:
    """Return a 304 when the request's If-None-Match holds `etag`; None otherwise."""
    if etag is None:
        return None
    headers = mark(HttpResponse(), etag)
    response = get_conditional_response(request, etag=etag, response=headers)
    return None if response is headers else response


def mark(response: HttpResponse, etag: str | None) -> HttpResponse:
    """Give `response` its ETag and the cache rules of a page built for one viewer."""
    if etag is not None:
        response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
