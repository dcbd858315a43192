from __future__ import annotations

from django.http import HttpRequest

from forum import navigation as header


def navigation(request: HttpRequest) -> dict[str, object]:
    """The groups shown in the header, loaded lazily so pages that skip it pay nothing."""
    user = getattr(request, "user", None)
    return {
        "nav_groups": lambda: header.nav_groups(user),
        "theme": page_theme(request),
    }


def page_theme(request: HttpRequest) -> str:
    """The member's manual light/dark choice (a cookie site.js sets); "" follows the system."""
    theme = request.COOKIES.get("theme", "")
    return theme if theme in ("light", "dark") else ""


def inbox(request: HttpRequest) -> dict[str, object]:
    """The header's unread count, counted only when a page shows it."""
    from forum import inbox as selectors

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": lambda: selectors.unread_count(user)}
