"""Running a search: the reader's searchable entries, the filters, the text match of
this database, one page of results with their snippets (one query per page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Func, Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.analysis import Query, match_spans
from search.index import plain_text
from search.models import Entry, EntryKind
from search.visibility import searchable_entries

PAGE_SIZE = 20
PAGES_MAX = 50  # 1,000 results: refine the query rather than page further
SORTS = ("relevance", "newest")
KIND_OF = {"threads": EntryKind.THREAD, "posts": EntryKind.POST, "chat": EntryKind.CHAT}

# Titles weigh four times a body: bm25's column weights on SQLite, ts_rank_cd's
# weights (D, C, B, A) on PostgreSQL with titles as A and bodies as B.
SQLITE_RANK = "bm25(search_fts, 4.0, 1.0)"
RANK_WEIGHTS = [0.1, 0.2, 0.25, 1.0]
# The generated tsvector column only PostgreSQL has (migration 0001), as a column
# expression: unlike raw SQL it follows the table's alias inside a subquery.
DOCUMENT = SearchVectorField()
DOCUMENT.set_attributes_from_name("document")
DOCUMENT.model = Entry


@dataclass(frozen=True)
class Hit:
    """One result as the page shows it."""

    kind: str
    url: str
    title: str
    group: object
    author: object
    created_at: datetime
    snippet: SafeString


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    page: int
    has_next: bool


def _day_start(day: date) -> datetime:
    """Midnight of `day` in the current (the reader's) time zone; the calendar's first
    and last days clamp to its ends in UTC (their midnight may lie outside it)."""
    moment = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if day.year == 1 else datetime.max).replace(tzinfo=UTC)


def matching_entries(viewer, query: Query, *, sort: str = "relevance") -> QuerySet[Entry]:
    """Return the entries `viewer` may read that match `query`, in `sort` order.

    Not for use as a subquery on SQLite: its FTS5 join names the `search_entry` table
    (`text_match` is the form that nests)."""
    return _matched_in_order(filtered_entries(viewer, query), query, sort)


def filtered_entries(viewer, query: Query) -> QuerySet[Entry]:
    """Return the entries `viewer` may read that pass `query`'s filters (no text)."""
    entries = searchable_entries(viewer)
    if query.group:
        entries = entries.filter(
            Q(thread__group__slug=query.group) | Q(meeting__group__slug=query.group)
        )
    if query.author:
        entries = entries.filter(author__handle=query.author)
    if query.country:
        entries = entries.filter(author__country=query.country)
    if query.after:
        entries = entries.filter(created_at__gte=_day_start(query.after))
    if query.before:
        entries = entries.filter(created_at__lt=_day_start(query.before))
    if query.kinds:
        entries = entries.filter(kind__in=sorted(KIND_OF[kind] for kind in query.kinds))
    return entries


def text_match(query: Query) -> Q:
    """`query`'s text match as a condition that also holds inside a subquery."""
    if connection.vendor == "postgresql":
        return Q(_document_matches(query))
    matching = RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [query.fts5()])
    return Q(pk__in=matching)


def _document_matches(query: Query) -> Func:
    tsquery = SearchQuery(query.tsquery(), search_type="raw", config="simple")
    document = Col(Entry._meta.db_table, DOCUMENT)
    return Func(
        document,
        tsquery,
        template="%(expressions)s",
        arg_joiner=" @@ ",
        output_field=BooleanField(),
    )


def _matched_in_order(entries: QuerySet[Entry], query: Query, sort: str) -> QuerySet[Entry]:
    """Add this database's text match to `entries` and put them in `sort` order."""
    ranked = query.has_text and sort == "relevance"
    if query.has_text:
        if connection.vendor == "postgresql":
            entries = entries.filter(_document_matches(query))
            if ranked:
                tsquery = SearchQuery(query.tsquery(), search_type="raw", config="simple")
                document = Col(Entry._meta.db_table, DOCUMENT)
                entries = entries.annotate(
                    rank=SearchRank(document, tsquery, weights=RANK_WEIGHTS, cover_density=True)
                ).order_by("-rank", "-created_at", "-pk")
        else:
            # FTS5: join the virtual table so that bm25() ranks the matching rows.
            entries = entries.extra(  # noqa: S610 - fixed SQL, the match expression is a parameter
                tables=["search_fts"],
                where=["search_fts.rowid = search_entry.id", "search_fts MATCH %s"],
                params=[query.fts5()],
                select={"rank": SQLITE_RANK} if ranked else None,
            )
            if ranked:
                entries = entries.order_by("rank", "-created_at", "-pk")
    if not ranked:
        entries = entries.order_by("-created_at", "-pk")
    return entries


def search(viewer, query: Query, *, sort: str = "relevance", page: int = 1) -> Results:
    """Return page `page` of what `viewer` may find with `query` (one query)."""
    page = max(1, min(page, PAGES_MAX))
    hits, more = find(viewer, query, sort=sort, start=(page - 1) * PAGE_SIZE, count=PAGE_SIZE)
    return Results(hits=hits, page=page, has_next=more and page < PAGES_MAX)


def find(
    viewer, query: Query, *, sort: str = "relevance", start: int = 0, count: int = PAGE_SIZE
) -> tuple[list[Hit], bool]:
    """Return `count` hits of what `viewer` may find with `query` from position `start`,
    and whether more follow (one query). The search page and the API both read here."""
    related = ("thread", "thread__group", "post", "meeting", "meeting__group", "message", "author")
    matching = matching_entries(viewer, query, sort=sort)
    if connection.vendor != "postgresql":
        # SQLite's FTS5 join names the `search_entry` table, so the text match stays in
        # the query's base table (never a subquery, where it would be aliased).
        entries = list(matching.select_related(*related)[start : start + count + 1])
    else:
        # In two steps: the page's ids (the visibility rule, the text match and the order,
        # over the entries' own columns), computed once as an array, then those rows with
        # what a hit shows, ranked again. Carrying every match's texts and joined rows
        # through the sort cost more than the match itself for a frequent word.
        try:
            sql, params = matching.values("pk")[start : start + count + 1].query.sql_with_params()
        except EmptyResultSet:  # nobody signed in: nothing at all
            return [], False
        page = Entry.objects.extra(  # noqa: S610 - the ORM compiled it, with parameters
            where=[f"search_entry.id = ANY(ARRAY({sql}))"], params=params
        )
        entries = list(_ranked(page, query, sort).select_related(*related))
    tokens, prefixes = query.highlight()
    hits = [_hit(entry, tokens, prefixes) for entry in entries[:count]]
    return hits, len(entries) > count


def _ranked(entries: QuerySet[Entry], query: Query, sort: str) -> QuerySet[Entry]:
    """Put PostgreSQL's page of entries in `sort` order (ranked without matching again)."""
    if query.has_text and sort == "relevance":
        tsquery = SearchQuery(query.tsquery(), search_type="raw", config="simple")
        document = Col(Entry._meta.db_table, DOCUMENT)
        entries = entries.annotate(
            rank=SearchRank(document, tsquery, weights=RANK_WEIGHTS, cover_density=True)
        )
        return entries.order_by("-rank", "-created_at", "-pk")
    return entries.order_by("-created_at", "-pk")


def _hit(entry: Entry, tokens: set[str], prefixes: set[str]) -> Hit:
    if entry.kind == EntryKind.CHAT:
        meeting = entry.meeting
        return Hit(
            kind=entry.kind,
            url=f"{meeting.get_absolute_url()}#chat",
            title=meeting.title,
            group=meeting.group,
            author=entry.author,
            created_at=entry.created_at,
            snippet=snippet(plain_text(entry.message.html), tokens, prefixes),
        )
    thread = entry.thread
    if entry.kind == EntryKind.THREAD:
        text, url = thread.title, thread.get_absolute_url()
    else:
        text, url = plain_text(entry.post.body_html), entry.post.get_absolute_url()
    return Hit(
        kind=entry.kind,
        url=url,
        title=thread.title,
        group=thread.group,
        author=entry.author,
        created_at=entry.created_at,
        snippet=snippet(text, tokens, prefixes),
    )


FRAGMENT = 160
FRAGMENTS_MAX = 3


def snippet(text: str, tokens: set[str], prefixes: set[str] = frozenset()) -> SafeString:
    """Return up to three fragments of about 160 characters of plain `text` around its
    matches, HTML-escaped, with the matches in <mark>."""
    text = " ".join(text.split())
    spans = match_spans(text, tokens, prefixes)
    windows: list[list[int]] = []
    for start, end in spans:
        if windows and start < windows[-1][1]:
            continue  # already shown in the previous fragment
        if len(windows) == FRAGMENTS_MAX:
            break
        begin = max(0, start - FRAGMENT // 3)
        if windows and begin < windows[-1][1]:
            begin = windows[-1][1]
        windows.append([begin, min(len(text), max(end, begin + FRAGMENT))])
    if not windows:
        windows = [[0, min(len(text), FRAGMENT)]]
    parts = []
    for begin, end in windows:
        begin, end = _word_edges(text, begin, end)
        inside = [(max(s, begin), min(e, end)) for s, e in spans if s < end and e > begin]
        out, at = [], begin
        for s, e in inside:
            out.append(escape(text[at:s]))
            out.append(f"<mark>{escape(text[s:e])}</mark>")
            at = e
        out.append(escape(text[at:end]))
        prefix = "…" if begin > 0 else ""
        suffix = "…" if end < len(text) else ""
        parts.append(prefix + "".join(out) + suffix)
    return mark_safe(" ".join(parts))  # noqa: S308 - every piece of text is escaped above


def _word_edges(text: str, begin: int, end: int) -> tuple[int, int]:
    """Move a fragment's edges to spaces nearby, so words are not cut (within 20 chars)."""
    if begin > 0:
        space = text.find(" ", begin, begin + 20)
        if space != -1:
            begin = space + 1
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        if space > begin:
            end = space
    return begin, end
