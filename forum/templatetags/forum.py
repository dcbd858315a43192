from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_countries.fields import Country

register = template.Library()

# Avatar colours: as many as forum.css defines (.avatar.c0 … .avatar.c11).
AVATAR_COLOURS = 12


@register.simple_tag
def country_label(code: str) -> str:
    """Return a country's flag and its name in the active language."""
    country = Country(code=code)
    return f"{country.unicode_flag} {country.name}"


def shown_times(moment: datetime) -> tuple[str, str]:
    """Return `moment` in the reader's zone and language: the short form and the full one."""
    local = timezone.localtime(moment)
    return (
        formats.date_format(local, "SHORT_DATETIME_FORMAT"),
        formats.date_format(local, "DATETIME_FORMAT"),
    )


@register.simple_tag
def when(moment: datetime | None) -> SafeString:
    """The one way a time shows: the short local form, isolated from the sentence around
    it, the full date as a tooltip; time.js turns recent ones into "3 minutes ago"."""
    if moment is None:
        return SafeString("")
    short, full = shown_times(moment)
    return format_html(
        '<bdi><time class="when" datetime="{}" title="{}">{}</time></bdi>',
        moment.isoformat(),
        full,
        short,
    )


def initials(name: str) -> str:
    """Up to two letters for an avatar: the first of the first and last words."""
    words = [w for w in name.split() if w]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@register.simple_tag
def avatar(member, size: str = "") -> SafeString:
    """A member's picture: the uploaded one, or their initials on a colour of their own."""
    version = getattr(member, "avatar_version", 0)
    extra = f" {size}" if size else ""
    if version:
        return format_html(
            '<img class="avatar{}" src="/members/{}/avatar/{}.webp" alt="" width="40" height="40">',
            extra,
            member.handle,
            version,
        )
    return format_html(
        '<span class="avatar c{}{}" aria-hidden="true">{}</span>',
        member.pk % AVATAR_COLOURS,
        extra,
        initials(member.display_name),
    )


@register.filter
def reject_reason(code: str) -> str:
    """A moderation reason's label in the active language ("" for an unknown code)."""
    from forum.models import RejectReason

    try:
        return str(RejectReason(code).label)
    except ValueError:
        return ""
