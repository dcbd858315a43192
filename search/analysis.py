"""Text analysis: the one place that turns text into index terms, for both databases.

The stored index text and every query go through the same functions, so SQLite's
FTS5 (unicode61 over this text) and PostgreSQL's `simple` tsvector see the same
tokens: lower-case runs of letters and digits separated by single spaces.

- NFKC, casefold, Latin accents removed, apostrophes as spaces.
- Arabic: tashkeel and tatweel removed; أ إ آ ٱ → ا, ى → ي, ة → ه; a word with a
  proclitic (و ف ب ك ل ال وال بال لل) is indexed as written and, in a run after the
  text, without it, so that تعاون finds والتعاون.
- Han: single characters, then the overlapping bigrams of each run; a query of two or
  more Han characters is the phrase of its bigrams (so 法律合作 never finds 法律与合作).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

# --- normalization -------------------------------------------------------------------

_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u02bb\u0060\u00b4\u2032\uff07]")
_TASHKEEL = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]"
)
_ARABIC_FOLD = str.maketrans(
    {"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
     "\u0649": "\u064a", "\u0629": "\u0647"}
)  # fmt: skip
_HAN = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
_HAN_CHAR = re.compile(f"[{_HAN}]")
# A run of letters and digits (no underscore); Han runs are split off from it below.
_WORD = re.compile(r"[^\W_]+")
_HAN_OR_NOT = re.compile(f"[{_HAN}]+|[^{_HAN}]+")
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
# Longest first: وال before و, بال before ب.
PROCLITICS = ("وال", "بال", "لل", "ال", "و", "ف", "ب", "ك", "ل")
# What must remain of a word once its proclitic is taken off.
_STEM_MIN = 2


def _strip_latin_accents(text: str) -> str:
    """Drop combining marks that follow a Latin letter (é → e), and no others."""
    out: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if not latin:
                out.append(char)
            continue
        latin = char.isascii() or "LATIN" in unicodedata.name(char, "")
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def normalize(text: str) -> str:
    """NFKC, casefold, Arabic folds, Latin accents and apostrophes out."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _TASHKEEL.sub("", text).translate(_ARABIC_FOLD)
    if not text.isascii():
        text = _strip_latin_accents(text)
    return _APOSTROPHES.sub(" ", text)


def strip_proclitic(word: str) -> str:
    """Return an Arabic word without its proclitic (والتعاون → تعاون), or the word."""
    if not _ARABIC_LETTER.match(word):
        return word
    for clitic in PROCLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= _STEM_MIN + (len(clitic) == 1):
            return word[len(clitic) :]
    return word


def is_han(text: str) -> bool:
    return bool(_HAN_CHAR.match(text))


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def words(text: str) -> list[str]:
    """Split normalized text into words: Han runs apart from other letters and digits."""
    found = []
    for match in _WORD.finditer(text):
        found.extend(_HAN_OR_NOT.findall(match.group()))
    return found


# --- the index text ------------------------------------------------------------------


def index_text(text: str) -> str:
    """Return the analyzed text stored in the index for `text`.

    Word order is kept so phrases match; each Han run gives its characters then its
    bigrams (bigrams adjacent, so a query's bigram phrase matches); Arabic words
    without their proclitic follow the text, in order.
    """
    tokens: list[str] = []
    stems: list[str] = []
    for word in words(normalize(text)):
        if is_han(word):
            tokens.extend(word)
            tokens.extend(bigrams(word))
            continue
        tokens.append(word)
        stem = strip_proclitic(word)
        if stem != word:
            stems.append(stem)
    return " ".join(tokens + stems)


# --- queries -------------------------------------------------------------------------

QUERY_MAX = 200
TERMS_MAX = 12
KINDS = ("threads", "posts", "chat")
FILTERS = ("group", "author", "country", "before", "after", "in")


class QueryError(ValueError):
    """A query that cannot be run; the message says why, for the reader."""


@dataclass(frozen=True)
class Match:
    """What one word or phrase of a query matches: any of `alternatives`, each a
    sequence of adjacent tokens; `prefix` makes the last token a prefix."""

    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False

    @property
    def tokens(self) -> set[str]:
        return {token for alternative in self.alternatives for token in alternative}

    @property
    def searched(self) -> tuple[tuple[str, ...], ...]:
        """The alternatives a database looks for. An Arabic word with a proclitic and its
        stem find the same entries (every entry indexed under the word is indexed under
        its stem too), so only the stem is looked for: an OR of the two made the
        database rank every match twice over."""
        first, *rest = self.alternatives
        if rest == [(strip_proclitic(first[0]),)] and len(first) == 1:
            return tuple(rest)
        return self.alternatives


@dataclass
class Query:
    """A parsed query: what must match, what must not, and the filters."""

    terms: list[Match] = field(default_factory=list)
    excluded: list[Match] = field(default_factory=list)
    group: str = ""
    author: str = ""
    country: str = ""
    before: date | None = None
    after: date | None = None
    kinds: set[str] = field(default_factory=set)
    # The query line as typed, and for each of `terms` where in it a word stands that
    # a "did you mean" may correct (a bare word of one Latin or Arabic token), or None.
    text: str = ""
    places: list[tuple[int, int] | None] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.terms)

    def highlight(self) -> tuple[set[str], set[str]]:
        """Return (tokens, prefixes) that snippets mark."""
        tokens: set[str] = set()
        prefixes: set[str] = set()
        for term in self.terms:
            tokens |= term.tokens
            if term.prefix:
                prefixes |= {alternative[-1] for alternative in term.alternatives}
        return tokens, prefixes

    # The two dialects. Tokens are letters and digits only, so quoting is safe.

    def fts5(self) -> str:
        """The FTS5 MATCH expression."""

        def one(match: Match) -> str:
            options = []
            for alternative in match.searched:
                phrase = '"' + " ".join(alternative) + '"'
                options.append(phrase + (" *" if match.prefix else ""))
            return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"

        expression = " AND ".join(one(term) for term in self.terms)
        if self.excluded:
            expression = f"({expression}) NOT ({' OR '.join(one(m) for m in self.excluded)})"
        return expression

    def tsquery(self) -> str:
        """The PostgreSQL tsquery (for to_tsquery('simple', ...))."""

        def one(match: Match) -> str:
            options = []
            for alternative in match.searched:
                quoted = [f"'{token}'" for token in alternative]
                if match.prefix:
                    quoted[-1] += ":*"
                options.append(" <-> ".join(quoted))
            return "(" + " | ".join(options) + ")"

        expression = " & ".join(one(term) for term in self.terms)
        for match in self.excluded:
            expression += f" & !{one(match)}"
        return expression


_PART = re.compile(
    r"""(?P<neg>-)?(?:(?P<key>[a-zA-Z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))""",
)


def match_for(text: str, *, phrase: bool = False) -> Match | None:
    """Return what a word (or a quoted phrase) of a query matches, or None if it has
    no letters or digits. A bare word ending in * is a prefix."""
    prefix = not phrase and text.endswith("*") and len(text.rstrip("*")) > 0
    parts = words(normalize(text.rstrip("*") if prefix else text))
    if not parts:
        return None
    tokens: list[str] = []
    for part in parts:
        if is_han(part):
            tokens.extend(bigrams(part) if len(part) > 1 else [part])
            prefix = False  # Han has no word ends to complete
        else:
            tokens.append(part)
    if len(tokens) == 1 and not phrase:
        stem = strip_proclitic(tokens[0])
        if stem != tokens[0]:
            return Match(((tokens[0],), (stem,)), prefix=prefix)
    return Match((tuple(tokens),), prefix=prefix)


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        from django.utils.translation import gettext as _

        raise QueryError(_("%(name)s: expects a date like 2026-03-31.") % {"name": name}) from None


def parse(text: str) -> Query:
    """Parse a query: words (all must match), "phrases", -exclusions, and the filters
    group: author: country: before: after: in:threads|posts|chat."""
    from django.utils.translation import gettext as _

    text = (text or "").strip()
    if not text:
        raise QueryError(_("Type something to search for."))
    if len(text) > QUERY_MAX:
        raise QueryError(
            _("A search can be at most %(max)d characters (this one has %(n)d).")
            % {"max": QUERY_MAX, "n": len(text)}
        )
    query = Query(text=text)
    for part in _PART.finditer(text):
        key = (part["key"] or "").lower()
        value = part["quoted"] if part["quoted"] is not None else part["bare"]
        if key in FILTERS and not part["neg"]:
            apply_filter(query, key, value)
            continue
        if key:  # an unknown key: its words are searched for
            value = f"{part['key']} {value}"
        match = match_for(value, phrase=part["quoted"] is not None)
        if match is None:
            continue
        if part["neg"]:
            query.excluded.append(match)
            continue
        query.terms.append(match)
        correctable = not key and part["bare"] is not None and correctable_token(match)
        query.places.append(part.span("bare") if correctable else None)
    if len(query.terms) + len(query.excluded) > TERMS_MAX:
        raise QueryError(
            _("A search can have at most %(max)d words and phrases.") % {"max": TERMS_MAX}
        )
    if query.excluded and not query.terms:
        raise QueryError(_("Say what to look for, not only what to leave out."))
    return query


def apply_filter(query: Query, key: str, value: str) -> None:
    """Set one filter on `query` from its text (shared by the query line and the form)."""
    from django.utils.translation import gettext as _

    value = value.strip()
    if not value:
        return
    if key == "group":
        query.group = value.lower()
    elif key == "author":
        query.author = value.lstrip("@")
    elif key == "country":
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise QueryError(_("country: expects a two-letter country code, like KE."))
        query.country = value.upper()
    elif key in ("before", "after"):
        setattr(query, key, parse_date(value, key))
    elif key == "in":
        kinds = {kind.strip().lower() for kind in value.split(",") if kind.strip()}
        unknown = kinds - set(KINDS)
        if unknown:
            raise QueryError(_("in: expects threads, posts or chat."))
        query.kinds |= kinds


# --- "did you mean" -----------------------------------------------------------------

CORRECT_MIN = 3  # shorter words are not corrected (and not in the term vocabulary)


def correctable_token(match: Match) -> str | None:
    """Return the token of a query word that a correction may replace: one Latin or
    Arabic token (no Han: its characters and bigrams have no spelling), not a prefix,
    at least CORRECT_MIN long; None otherwise."""
    token = match.alternatives[0]
    if match.prefix or len(token) != 1:
        return None
    word = token[0]
    if len(word) < CORRECT_MIN or is_han(word) or word.isdecimal():
        return None
    return word


def max_edits(word: str) -> int:
    """How far a correction may be from `word`: one edit up to five letters, else two."""
    return 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
    substitutions, adjacent transpositions), or `limit + 1` once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def corrected_text(query: Query, replacements: dict[int, str]) -> str:
    """Return the query line with the words at `replacements`' term positions replaced."""
    text = query.text
    spans = sorted(((query.places[i], word) for i, word in replacements.items()), reverse=True)
    for (start, end), word in spans:
        text = text[:start] + word + text[end:]
    return text


# --- snippets ------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _forms(run: str) -> frozenset[str]:
    """The tokens a word as written is indexed under (with and without a proclitic)."""
    analyzed = words(normalize(run))
    return frozenset(analyzed) | {strip_proclitic(w) for w in analyzed}


# Marks inside words as well as letters, so a word with tashkeel or accents stays whole.
_SOURCE_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0640])+")


def match_spans(text: str, tokens: set[str], prefixes: set[str] = frozenset()) -> list[tuple]:
    """Return the (start, end) spans of `text` (as written) that match `tokens` or start
    with one of `prefixes`, as the index would see them."""
    return list(iter_match_spans(text, tokens, prefixes))


def iter_match_spans(
    text: str, tokens: set[str], prefixes: set[str] = frozenset()
) -> Iterator[tuple[int, int]]:
    """Yield `match_spans` in order, reading `text` only as far as they are asked for."""
    if not tokens and not prefixes:
        return
    for found in _SOURCE_WORD.finditer(text):
        start = found.start()
        # One run as written may hold Han and other letters: walk its pieces.
        for piece in _HAN_OR_NOT.finditer(found.group()):
            offset = start + piece.start()
            run = piece.group()
            if is_han(run):
                marked = [False] * len(run)
                for i, char in enumerate(run):
                    if char in tokens:
                        marked[i] = True
                    if i + 1 < len(run) and run[i : i + 2] in tokens:
                        marked[i] = marked[i + 1] = True
                i = 0
                while i < len(run):
                    if marked[i]:
                        j = i
                        while j < len(run) and marked[j]:
                            j += 1
                        yield (offset + i, offset + j)
                        i = j
                    else:
                        i += 1
                continue
            forms = _forms(run)
            if forms & tokens or any(f.startswith(p) for f in forms for p in prefixes):
                yield (offset, offset + len(run))
