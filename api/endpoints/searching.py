"""Search: the query language and filters of /search/, through the same search code
(search.query.find), which starts from the visibility rule as the token's owner."""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query
from pydantic import WithJsonSchema

from api import auth, presenters
from api.endpoints.common import router
from api.paging import LIMIT_DEFAULT, LIMIT_MAX, NUMBER_PATTERN
from api.problems import READ_ERRORS, BadQuery, documented
from api.schemas import SearchResults
from search.analysis import QUERY_MAX, QueryError, apply_filter, parse
from search.analysis import Query as SearchQuery
from search.query import PAGE_SIZE, PAGES_MAX, find
from search.suggest import did_you_mean

# As far as the search page reaches (50 pages of 20): refine the query rather than page on.
RESULTS_MAX = PAGE_SIZE * PAGES_MAX
# A date as YYYY-MM-DD only (a bare number is no date); the search's own parsing says
# when it is not a calendar day.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def date_schema(description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "format": "date", "pattern": DATE_PATTERN, "description": description}
    )


KINDS_PATTERN = r"^(threads|posts|chat)(,(threads|posts|chat))*$"


@router.get(
    "/search",
    auth=auth.read,
    response={200: SearchResults, **documented(*READ_ERRORS)},
    tags=["search"],
    summary="Search what you may read",
    description=(
        "The query language of the search page (docs/search.md): every word must match, "
        '"exact phrase", -word, prefix*, and the filters group: author: country: after: '
        "before: in:. The parameters below set the same filters. A query that cannot run "
        "(longer than 200 characters, more than 12 words and phrases, only exclusions, a "
        "filter with a bad value) answers 422 with the reason in `detail`. Results are "
        f"capped at {RESULTS_MAX}."
    ),
)
def search(
    request: HttpRequest,
    q: Annotated[
        str | None,
        Query(max_length=QUERY_MAX, description="The query line (docs/search.md)."),
    ] = None,
    group: Annotated[
        str | None, Query(pattern=r"^[-a-zA-Z0-9_]{1,50}$", description="A group's slug.")
    ] = None,
    author: Annotated[
        str | None, Query(pattern=r"^@?[-a-zA-Z0-9_]{1,50}$", description="A member's handle.")
    ] = None,
    country: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z]{2}$", description="The author's country (ISO code)."),
    ] = None,
    after: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description="From this day (your time zone)."),
        date_schema("From this day (your time zone)."),
    ] = None,
    before: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description="Before this day (excluded)."),
        date_schema("Before this day (excluded)."),
    ] = None,
    kinds: Annotated[
        str | None,
        Query(alias="in", pattern=KINDS_PATTERN, description="threads, posts, chat, or a list."),
    ] = None,
    sort: Annotated[
        Literal["relevance", "newest"], Query(description="Relevance or newest first.")
    ] = "relevance",
    limit: Annotated[
        int, Query(LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description=f"At most {LIMIT_MAX}.")
    ] = LIMIT_DEFAULT,
    cursor: Annotated[
        str | None,
        Query(pattern=NUMBER_PATTERN, description="`next_cursor` of the previous page."),
    ] = None,
):
    query = _query(
        q or "",
        {
            "group": group,
            "author": author,
            "country": country,
            "after": after,
            "before": before,
            "in": kinds,
        },
    )
    start = min(int(cursor), RESULTS_MAX) if cursor else 0
    count = max(0, min(limit, RESULTS_MAX - start))
    hits, more, suggestion = [], False, None
    # Dates are days in the token owner's zone, as on the search page.
    with timezone.override(_zone(request.auth)):
        if count:
            hits, more = find(request.auth, query, sort=sort, start=start, count=count)
        if start == 0 and not hits:
            suggestion = did_you_mean(request.auth, query)
    more = more and start + count < RESULTS_MAX
    return {
        "items": [presenters.search_hit(hit) for hit in hits],
        "next_cursor": str(start + count) if more else None,
        "did_you_mean": suggestion,
    }


def _zone(member) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(member.time_zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None  # the server's zone


def _query(text: str, filters: dict[str, str | None]) -> SearchQuery:
    """Parse the query line and apply the filters, as the search form does."""
    given = {key: value for key, value in filters.items() if value}
    try:
        query = parse(text) if text.strip() or not given else SearchQuery()
        for key, value in given.items():
            apply_filter(query, key, value)
    except QueryError as error:
        raise BadQuery(str(error)) from None
    return query
