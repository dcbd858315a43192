"""Signed unsubscribe links: the token is the credential, no sign-in or cookie needed."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.models import Member

SALT = "accounts.unsubscribe"
# What a link may switch off: the digest, or immediate notification emails.
LISTS = ("digest", "notifications")


class BadToken(Exception):
    """The token was altered, or names a list or member that does not exist."""


def make_token(member: Member, what: str = "digest") -> str:
    """Return a token that switches `what` off for `member`."""
    if what not in LISTS:
        raise ValueError(what)
    return signing.dumps({"m": member.pk, "l": what}, salt=SALT)


def check_token(token: str) -> tuple[Member, str]:
    """Return (member, list) for a genuine token; raise BadToken otherwise."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise BadToken from None
    if not isinstance(data, dict) or data.get("l") not in LISTS:
        raise BadToken
    member = Member.objects.filter(pk=data.get("m"), is_active=True).first()
    if member is None:
        raise BadToken
    return member, data["l"]


def link(member: Member, what: str = "digest") -> str:
    """Return the absolute https (in production) unsubscribe URL."""
    path = reverse("unsubscribe", args=[make_token(member, what)])
    return settings.SITE_URL.rstrip("/") + path


def headers(member: Member, what: str = "digest", *, url: str | None = None) -> dict[str, str]:
    """Return the List-Unsubscribe headers of RFC 2369 and RFC 8058 (one click).

    Pass `url` (from `link()`) to reuse its token.
    """
    token = make_token(member, what) if url is None else url.rstrip("/").rsplit("/", 1)[1]
    url = url or settings.SITE_URL.rstrip("/") + reverse("unsubscribe", args=[token])
    mailto = f"mailto:{settings.UNSUBSCRIBE_EMAIL}?subject=unsubscribe%20{token}"
    return {
        "List-Unsubscribe": f"<{url}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
