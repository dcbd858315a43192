"""Path parameters and small helpers shared by the operations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from ninja import Path

from api.paging import ID_MAX

Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,50}$", description="A group's slug.")]
ObjectId = Annotated[int, Path(ge=1, le=ID_MAX)]


def as_utc(value: datetime) -> datetime:
    """Read a naive time as UTC; clamp one that leaves the calendar when converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year < 5000 else datetime.max).replace(tzinfo=UTC)
