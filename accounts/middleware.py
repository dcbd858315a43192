"""Show every page in the signed-in member's language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class MemberPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Restore the thread's language and zone afterwards: the thread serves other
        # requests (and, under ASGI, other code) next.
        language = translation.get_language()
        try:
            member = getattr(request, "user", None)
            if member is not None and member.is_authenticated:
                if member.language in self.languages:
                    translation.activate(member.language)
                    request.LANGUAGE_CODE = member.language
                try:
                    timezone.activate(zoneinfo.ZoneInfo(member.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
            else:
                timezone.deactivate()
            return self.get_response(request)
        finally:
            translation.activate(language) if language else translation.deactivate()
            timezone.deactivate()
