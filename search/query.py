"""Running a search: the reader's searchable entries, the filters, the text match of
this database, one page of results with their snippets (one query per page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, Func, Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.analysis import Query, iter_match_spans
from search.index import plain_text
from search.models import Entry, EntryKind
from search.visibility import readable_among, searchable_entries

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
    return _with_filters(searchable_entries(viewer), query)


def _with_filters(entries: QuerySet[Entry], query: Query) -> QuerySet[Entry]:
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


def _has_filters(query: Query) -> bool:
    return bool(
        query.group or query.author or query.country or query.after or query.before or query.kinds
    )


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
                ).order_by("-rank", "-pk")
        else:
            # FTS5: join the virtual table so that bm25() ranks the matching rows.
            entries = entries.extra(  # noqa: S610 - fixed SQL, the match expression is a parameter
                tables=["search_fts"],
                where=["search_fts.rowid = search_entry.id", "search_fts MATCH %s"],
                params=[query.fts5()],
                select={"rank": SQLITE_RANK} if ranked else None,
            )
            if ranked:
                entries = entries.order_by("rank", "-pk")
    if not ranked:
        entries = entries.order_by("-created_at", "-pk")
    return entries


def search(viewer, query: Query, *, sort: str = "relevance", page: int = 1) -> Results:
    """Return page `page` of what `viewer` may find with `query`."""
    page = max(1, min(page, PAGES_MAX))
    hits, more = find(viewer, query, sort=sort, start=(page - 1) * PAGE_SIZE, count=PAGE_SIZE)
    return Results(hits=hits, page=page, has_next=more and page < PAGES_MAX)


# How many of the best matches are ranked, as a multiple of the results a page needs,
# before the visibility rule is asked about them (at least CANDIDATES_MIN).
CANDIDATES = 4
CANDIDATES_MIN = 100
RELATED = ("thread", "thread__group", "post", "meeting", "meeting__group", "message", "author")


def find(
    viewer, query: Query, *, sort: str = "relevance", start: int = 0, count: int = PAGE_SIZE
) -> tuple[list[Hit], bool]:
    """Return `count` hits of what `viewer` may find with `query` from position `start`,
    and whether more follow. The search page and the API both read here.

    Three queries: the best matches in `sort` order (the text match and the filters
    alone: no visibility to check for each of a frequent word's tens of thousands of
    matches), which of them `viewer` may read (the rule, on those rows only), and the
    page's rows. The result is exactly the rule's: the visible matches in order, since
    the candidates are a prefix of that order. Only when the reader may read too few of
    the best candidates does a fourth query rank every visible match instead."""
    page = page_ids(viewer, query, sort=sort, start=start, count=count)
    rows = Entry.objects.select_related(*RELATED).in_bulk(page[:count])
    tokens, prefixes = query.highlight()
    hits = [_hit(rows[pk], tokens, prefixes) for pk in page[:count] if pk in rows]
    return hits, len(page) > count


def page_ids(viewer, query: Query, *, sort: str, start: int, count: int) -> list[int]:
    """Return the ids of the entries `find` shows from position `start`, and one more
    if more follow: the first `count` + 1 of what `viewer` may find, in `sort` order."""
    if not (viewer and viewer.is_authenticated and viewer.is_active):
        return []
    wanted = start + count + 1
    limit = max(wanted * CANDIDATES, CANDIDATES_MIN)
    candidates = _best_matches(query, sort, limit)
    readable = readable_among(viewer, candidates)
    found = [pk for pk in candidates if pk in readable]
    if len(found) < wanted and len(candidates) == limit:
        # The reader may read few of the best matches: rank all that they may read.
        everything = matching_entries(viewer, query, sort=sort).values_list("pk", flat=True)
        found = list(everything[:wanted])
    return found[start:wanted]


def _best_matches(query: Query, sort: str, limit: int) -> list[int]:
    """Return the ids of the first `limit` entries matching `query`'s text and filters
    in `sort` order, whoever may read them (the caller asks the rule)."""
    fts5_alone = query.has_text and sort == "relevance" and not _has_filters(query)
    if fts5_alone and connection.vendor == "sqlite":
        # FTS5 alone, without a join: its bm25 order, ties newest (highest id) first.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM search_fts WHERE search_fts MATCH %s "  # noqa: S608 - fixed SQL
                f"ORDER BY {SQLITE_RANK}, rowid DESC LIMIT %s",
                [query.fts5(), limit],
            )
            return [row[0] for row in cursor.fetchall()]
    entries = _matched_in_order(_with_filters(Entry.objects.all(), query), query, sort)
    return list(entries.values_list("pk", flat=True)[:limit])


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
    # The matches are read only as far as the fragments reach: a long post's later
    # words are never analyzed.
    spans: list[tuple[int, int]] = []
    windows: list[list[int]] = []
    for start, end in iter_match_spans(text, tokens, prefixes):
        if windows and start < windows[-1][1]:
            spans.append((start, end))
            continue  # already shown in the previous fragment
        if len(windows) == FRAGMENTS_MAX:
            break
        spans.append((start, end))
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
