""" "Did you mean": a corrected query line for a search that found nothing.

Candidates come from the index's term vocabulary (SQLite: FTS5's own, through
`search_fts_vocab`; PostgreSQL: `search_term`, kept by a trigger), by edit distance
over analyzed tokens: Latin and Arabic words only, Han runs are never corrected. The
vocabulary holds words of everything indexed, so a candidate is only a guess: it is
kept only if, as an exact token, it finds something this reader may read (the same
visibility-first search, with the query's filters), and the corrected query as a whole
must find something too. So a suggestion only ever holds words the reader may see.

Every candidate of every word is checked in one query whatever the vocabulary holds,
and the choice among those that find something goes by distance then spelling, never
by how often a word occurs elsewhere.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, QuerySet

from search.analysis import (
    CORRECT_MIN,
    Match,
    Query,
    correctable_token,
    corrected_text,
    edit_distance,
    max_edits,
)
from search.models import Entry
from search.query import filtered_entries, text_match

CANDIDATES_MAX = 6  # per word, nearest first (then in spelling order)


def did_you_mean(viewer, query: Query | None) -> str | None:
    """Return a corrected query line that finds something `viewer` may read, or None.

    Queries: none when no word of the query can be corrected; one (the vocabulary) when
    the vocabulary has nothing near; three otherwise (vocabulary, the words' checks,
    the corrected query's check)."""
    if query is None or not (viewer and viewer.is_authenticated):
        return None
    places = [*query.places, *[None] * (len(query.terms) - len(query.places))]
    typed = {
        i: correctable_token(term)
        for i, (term, place) in enumerate(zip(query.terms, places, strict=False))
        if place is not None
    }
    if not typed:
        return None
    near = nearest_terms(set(typed.values()))
    options = {i: near[word] for i, word in typed.items() if near.get(word)}
    if not options:
        return None
    base = filtered_entries(viewer, query)
    checks = {}
    for i, candidates in options.items():
        checks[f"typed_{i}"] = _finds(base, query, query.terms[i])
        for n, candidate in enumerate(candidates):
            checks[f"near_{i}_{n}"] = _finds(base, query, Match(((candidate,),)))
    found = (
        get_user_model()
        .objects.filter(pk=viewer.pk)
        .annotate(**checks)
        .values(*checks)
        .order_by()
        .first()
    )
    if not found:
        return None
    replacements = {}
    for i, candidates in options.items():
        if found[f"typed_{i}"]:
            continue  # the word as typed finds something: keep it
        chosen = [c for n, c in enumerate(candidates) if found[f"near_{i}_{n}"]]
        if chosen:
            replacements[i] = chosen[0]
    if not replacements:
        return None
    terms = [
        Match(((replacements[i],),)) if i in replacements else term
        for i, term in enumerate(query.terms)
    ]
    if not base.filter(text_match(replace(query, terms=terms))).exists():
        return None
    return corrected_text(query, replacements)


def _finds(base: QuerySet[Entry], query: Query, match: Match) -> Exists:
    """Whether `match` alone (with the query's filters, not its exclusions) finds an
    entry among `base`."""
    alone = replace(query, terms=[match], excluded=[], places=[None])
    return Exists(base.filter(text_match(alone)))


def nearest_terms(words: set[str]) -> dict[str, list[str]]:
    """Return, for each word, the vocabulary's terms within its edit distance (not the
    word itself), nearest first, at most CANDIDATES_MAX (one query).

    A candidate shares the word's first letter: it keeps the lookup to a range of the
    vocabulary, and a first letter is seldom the one mistyped."""
    if not words:
        return {}
    table = "search_term" if connection.vendor == "postgresql" else "search_fts_vocab"
    selects, params = [], []
    for first in sorted({word[0] for word in words}):
        lengths = [(len(w) - max_edits(w), len(w) + max_edits(w)) for w in words if w[0] == first]
        selects.append(
            f"SELECT term FROM {table} WHERE term >= %s AND term < %s "  # noqa: S608 - a fixed name
            "AND length(term) BETWEEN %s AND %s"
        )
        shortest = max(CORRECT_MIN, min(low for low, _high in lengths))
        params += [first, chr(ord(first) + 1), shortest, max(high for _low, high in lengths)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        terms = [row[0] for row in cursor.fetchall()]
    nearest = {}
    for word in words:
        limit = max_edits(word)
        scored = sorted(
            (distance, term)
            for term in terms
            if term != word
            and term[0] == word[0]
            and (distance := edit_distance(word, term, limit)) <= limit
        )
        nearest[word] = [term for _distance, term in scored[:CANDIDATES_MAX]]
    return nearest
