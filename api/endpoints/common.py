"""Path parameters and small helpers shared by the operations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from ninja import Path, Query, Router
from ninja.errors import ValidationError
from pydantic import WithJsonSchema

from api.paging import ID_MAX

# One router for every operation: ninja maps each path to one URL pattern per router, so
# a path's GET and its POST or PATCH must live on the same router.
router = Router()

Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,50}$", description="A group's slug.")]
ObjectId = Annotated[int, Path(ge=1, le=ID_MAX)]


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
DateTimeText = Annotated[
    str | None,
    Query(description="An RFC 3339 time."),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def parse_time(value: str, name: str) -> datetime:
    """Read an RFC 3339 time as UTC (a leap second counts as :59; beyond the calendar
    clamps to its ends); anything else is a 422."""
    match = _RFC3339.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        fraction = int((match.group(7) or "0").ljust(6, "0")[:6])
        if match.group(8):
            offset = timedelta(0)
        else:
            sign = -1 if match.group(9) == "-" else 1
            offset = sign * timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
            if offset >= timedelta(days=1) or -offset >= timedelta(days=1):
                raise ValueError(value)
        if year == 0:
            return datetime.min.replace(tzinfo=UTC)
        local = datetime(year, month, day, hour, minute, min(second, 59), fraction)
    except ValueError:
        raise ValidationError(
            [{"loc": ["query", name], "msg": "Expected an RFC 3339 date-time.", "type": "value"}]
        ) from None
    try:
        return (local - offset).replace(tzinfo=UTC)
    except OverflowError:
        return (datetime.min if year < 5000 else datetime.max).replace(tzinfo=UTC)
