"""The attachments' limits, read from settings when asked (never at import time)."""

from __future__ import annotations

from django.conf import settings

from attachments.uploads import max_bytes

__all__ = [
    "daily_quota",
    "max_bytes",
    "max_per_post",
    "max_pixels",
    "orphan_hours",
    "removed_retention_days",
]


def max_per_post() -> int:
    return getattr(settings, "ATTACHMENT_MAX_PER_POST", 10)


def daily_quota() -> int:
    """Bytes one member may upload in any 24 hours."""
    return getattr(settings, "ATTACHMENT_DAILY_QUOTA_BYTES", 200 * 1024 * 1024)


def max_pixels() -> int:
    """Larger images are refused (a small file can decode to gigabytes)."""
    return getattr(settings, "ATTACHMENT_MAX_PIXELS", 50_000_000)


def orphan_hours() -> int:
    return getattr(settings, "ATTACHMENT_ORPHAN_HOURS", 24)


def removed_retention_days() -> int | None:
    """Days a removed post's files stay for the audit trail; None: for ever."""
    return getattr(settings, "ATTACHMENT_REMOVED_RETENTION_DAYS", None)
