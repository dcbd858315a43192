from __future__ import annotations

from django.http import HttpRequest

from forum import visibility


def navigation(request: HttpRequest) -> dict[str, object]:
    """The groups shown in the header, loaded lazily so pages that skip it pay nothing."""
    user = getattr(request, "user", None)
    return {"nav_groups": lambda: list(visibility.visible_groups(user).only("slug", "name"))}
