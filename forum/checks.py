"""Say plainly, at start-up, when a production server runs on the embedded defaults
or without what its settings expect.

`manage.py check` (and migrate, collectstatic...) shows these as system-check
warnings; Daphne runs no system checks, so forum/asgi.py logs them when a server
process starts.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import checks

from forum import config

logger = logging.getLogger("forum")


def deployment_warnings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn, when DEBUG is off, about each embedded default still in use and about
    PostgreSQL without a connection pool."""
    if settings.DEBUG:
        return []
    found = []
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        found.append(
            checks.Warning(
                "Running on SQLite (DATABASE_URL is not set): "
                f"{settings.DATABASES['default']['NAME']}.",
                hint="Fine for one small server; set DATABASE_URL=postgres://... for production.",
                id="forum.W001",
            )
        )
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith(".InMemoryChannelLayer"):
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
    database = settings.DATABASES["default"]
    if (
        database["ENGINE"] == "django.db.backends.postgresql"
        and not database.get("OPTIONS", {}).get("pool")
        and not database.get("DISABLE_SERVER_SIDE_CURSORS")
        and not config.has_connection_pool()
    ):
        found.append(
            checks.Warning(
                "psycopg's connection pool is not installed: every request opens a new "
                "PostgreSQL connection.",
                hint="Install psycopg[pool], or run behind PgBouncer with DB_PGBOUNCER=1.",
                id="forum.W004",
            )
        )
    return found


def log_deployment_warnings() -> None:
    """Log the deployment warnings once, as a server process starts."""
    for message in deployment_warnings():
        logger.warning("%s: %s %s", message.id, message.msg, message.hint)
