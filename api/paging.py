"""Cursor pagination: opaque to clients, plain keyset positions underneath.

Each list orders by a unique key and its cursor is that key of the page's last item.
The schema gives every cursor's exact pattern, and any cursor that matches it names
a valid (possibly empty) page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from ninja import Query
from pydantic import Field

LIMIT_DEFAULT, LIMIT_MAX = 50, 100
ID_MAX = 2**63 - 1
NUMBER_PATTERN = r"^[0-9]{1,19}$"
TIME_PATTERN = r"^[0-9]{1,16}~[0-9]{1,19}$"  # microseconds since 1970 ~ id
PATH_PATTERN = r"^[0-9]{1,42}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Limit = Annotated[
    int,
    Query(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description=f"Items per page, at most {LIMIT_MAX}."),
]


def cursor_param(pattern: str) -> Any:
    return Query(
        None,
        pattern=pattern,
        description="The `next_cursor` of the previous page; omit for the first page.",
    )


NumberCursor = Annotated[str | None, cursor_param(NUMBER_PATTERN)]
TimeCursor = Annotated[str | None, cursor_param(TIME_PATTERN)]
PathCursor = Annotated[str | None, cursor_param(PATH_PATTERN)]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]


def number(cursor: str) -> int:
    return min(int(cursor), ID_MAX)


def time_and_id(cursor: str) -> tuple[datetime, int]:
    micros, pk = cursor.split("~")
    return EPOCH + timedelta(microseconds=int(micros)), min(int(pk), ID_MAX)


def time_cursor(moment: datetime, pk: int) -> str:
    delta = moment - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{max(micros, 0)}~{pk}"


def page(queryset, limit: int, position: Callable[[Any], str]) -> tuple[Sequence[Any], str | None]:
    """Return up to `limit` items of the (ordered, cursor-filtered) queryset and the
    cursor of the next page, or None on the last page."""
    items = list(queryset[: limit + 1])
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, position(items[-1])
