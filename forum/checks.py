"""Say plainly, at start-up, when a production server runs on the embedded defaults.

`manage.py check` (and migrate, collectstatic...) shows these as system-check
warnings; Daphne runs no system checks, so forum/asgi.py logs them when a server
process starts.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import checks

logger = logging.getLogger("forum")


def embedded_defaults(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn, when DEBUG is off, about each embedded default still in use."""
    if settings.DEBUG:
        return []
    found = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        found.append(
            checks.Warning(
                "Running on SQLite (DATABASE_URL is not set): "
                f"{settings.DATABASES['default']['NAME']}.",
                hint="Fine for one small server; set DATABASE_URL=postgres://... for production.",
                id="forum.W001",
            )
        )
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer":
        found.append(
            checks.Warning(
                "Running as a single process (REDIS_URL is not set): live events and "
                "rate limits stay inside this process.",
                hint="Run one server process only, or set REDIS_URL=redis://... to run several.",
                id="forum.W002",
            )
        )
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not settings.TRUSTED_PROXIES:
        found.append(
            checks.Warning(
                "HTTPS redirects are on and TRUSTED_PROXIES is empty: X-Forwarded-Proto is "
                "ignored, so behind a TLS proxy every request redirects to itself.",
                hint="Set TRUSTED_PROXIES to the proxy's address (e.g. 127.0.0.1).",
                id="forum.W003",
            )
        )
    return found


def log_embedded_defaults() -> None:
    """Log the embedded-default warnings once, as a server process starts."""
    for message in embedded_defaults():
        logger.warning("%s: %s %s", message.id, message.msg, message.hint)
