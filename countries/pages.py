"""Reads for the country pages and the annual report: each in a constant number of queries,
everything through countries.visibility (built on forum.visibility)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from countries import reference, sections
from countries import visibility as rules
from countries.models import (
    Assessment,
    AssessmentStatus,
    CountryFollow,
    Dimension,
    DimensionLevel,
    LevelDefinition,
)
from forum.models import Post, PostStatus

if TYPE_CHECKING:
    from forum.visibility import Viewer

NOTES_SHOWN = 50
THREADS_SHOWN = 20
MEETINGS_SHOWN = 10
OVERDUE_MONTHS = 12


def overdue_before(today: date) -> date:
    """Return the date before which an assessment is overdue for review (12 months ago)."""
    year, month = today.year - 1, today.month
    day = min(today.day, 28) if (month, today.day) == (2, 29) else today.day
    return date(year, month, day)


@dataclass
class Change:
    """How a dimension's level moved against the previous assessment."""

    before: int | None
    after: int

    @property
    def direction(self) -> str:
        if self.before is None:
            return "new"
        if self.after > self.before:
            return "up"
        if self.after < self.before:
            return "down"
        return "same"


@dataclass
class CountryRow:
    code: str
    name: str
    current: Assessment | None
    levels: dict[str, DimensionLevel] = field(default_factory=dict)
    overdue: bool = False

    def level_of(self, dimension_code: str) -> int:
        row = self.levels.get(dimension_code)
        return row.level if row else 0


def _levels(assessment: Assessment) -> dict[str, DimensionLevel]:
    return {row.dimension.code: row for row in assessment.levels.all()}


def _latest(assessments: QuerySet[Assessment]) -> Subquery:
    return Subquery(
        assessments.filter(country=OuterRef("country"))
        .order_by("-assessed_on", "-published_at", "-pk")
        .values("pk")[:1]
    )


def current_assessments(codes, *, on_or_before: date | None = None) -> dict[str, Assessment]:
    """Return the latest published assessment per country in `codes` (two queries)."""
    published = rules.published_assessments()
    if on_or_before is not None:
        published = published.filter(assessed_on__lte=on_or_before)
    latest = published.filter(country__in=list(codes)).filter(pk=_latest(published))
    latest = latest.prefetch_related(
        Prefetch("levels", queryset=DimensionLevel.objects.select_related("dimension"))
    )
    return {a.country_id: a for a in latest}


def dimensions() -> list[Dimension]:
    return list(Dimension.objects.prefetch_related("definitions"))


def country_rows(
    viewer: Viewer, *, dimension: str = "", level: int = 0, sort: str = ""
) -> tuple[list[Dimension], list[CountryRow]]:
    """Return the dimensions and one row per partner country with its current levels,
    filtered by a level in a dimension and sorted (four queries whatever the data)."""
    all_dimensions = dimensions()
    codes = sorted(reference.partner_codes()) if rules.signed_in(viewer) else []
    names = dict(reference.partner_choices())
    current = current_assessments(codes)
    limit = overdue_before(timezone.localdate())
    rows = []
    for code in codes:
        assessment = current.get(code)
        rows.append(
            CountryRow(
                code=code,
                name=names.get(code, code),
                current=assessment,
                levels=_levels(assessment) if assessment else {},
                overdue=assessment is None or assessment.assessed_on < limit,
            )
        )
    known = {d.code for d in all_dimensions}
    if dimension in known and level:
        rows = [row for row in rows if row.level_of(dimension) == level]
    elif level:
        rows = [row for row in rows if level in {r.level for r in row.levels.values()}]
    if sort in known:
        rows.sort(key=lambda row: (-row.level_of(sort), row.name.casefold()))
    elif sort == "date":
        rows.sort(key=lambda row: row.current.assessed_on if row.current else date.min)
    else:
        rows.sort(key=lambda row: row.name.casefold())
    return all_dimensions, rows


@dataclass
class HistoryEntry:
    assessment: Assessment
    changes: dict[str, Change]
    approvers: list[Any]


def _history(published: list[Assessment]) -> list[HistoryEntry]:
    """Each published assessment, newest first, with what changed against the one before."""
    entries = []
    ordered = sorted(
        published, key=lambda a: (a.assessed_on, a.published_at or a.submitted_at, a.pk)
    )
    before: dict[str, int] = {}
    for assessment in ordered:
        levels = _levels(assessment)
        changes = {code: Change(before.get(code), row.level) for code, row in levels.items()}
        before = {code: row.level for code, row in levels.items()}
        entries.append(
            HistoryEntry(
                assessment=assessment,
                changes=changes,
                approvers=[a.moderator for a in assessment.approvals.all()],
            )
        )
    return list(reversed(entries))


@dataclass
class CountryPage:
    code: str
    name: str
    dimensions: list[Dimension]
    current: HistoryEntry | None
    history: list[HistoryEntry]
    pending: list[Assessment]
    overdue: bool
    notes: list[Any]
    note_count: int
    note_dimensions: dict[int, Dimension]
    threads: list[Any]
    thread_count: int
    meetings: list[Any]
    projects: sections.ProjectSections
    following: bool
    can_assess: bool
    can_publish: bool
    reviewer: bool


def country_page(viewer: Viewer, code: str) -> CountryPage:
    """Everything the country page shows for `viewer`, in a constant number of queries."""
    reviewer = rules.can_review_assessments(viewer)
    all_dimensions = dimensions()
    assessments = list(
        rules.with_parts(rules.visible_assessments(viewer, moderator=reviewer))
        .filter(country=code)
        .order_by("-assessed_on", "-pk")
    )
    published = [a for a in assessments if a.status == AssessmentStatus.PUBLISHED]
    history = _history(published)
    pending = [a for a in assessments if a.status != AssessmentStatus.PUBLISHED]
    current = history[0] if history else None
    by_code = {d.code: d for d in all_dimensions}
    dimension_codes = set(by_code)
    notes_qs = rules.visible_notes(viewer, code)
    notes = list(notes_qs[:NOTES_SHOWN])
    threads_qs = rules.visible_country_threads(viewer, code)
    group = rules.legal_group()
    return CountryPage(
        code=code,
        name=reference_name(code),
        dimensions=all_dimensions,
        current=current,
        history=history,
        pending=pending,
        overdue=current is None
        or current.assessment.assessed_on < overdue_before(timezone.localdate()),
        notes=notes,
        note_count=notes_qs.count(),
        note_dimensions={
            n.pk: by_code[d]
            for n in notes
            if (d := rules.note_dimension(n, dimension_codes)) is not None
        },
        threads=list(threads_qs[:THREADS_SHOWN]),
        thread_count=threads_qs.count(),
        meetings=list(rules.upcoming_meetings_about(viewer, code, timezone.now())[:MEETINGS_SHOWN]),
        projects=sections.project_sections(viewer, code),
        following=CountryFollow.objects.filter(member=viewer, country=code).exists(),
        can_assess=rules.can_assess(viewer, group),
        can_publish=rules.can_publish_report(viewer),
        reviewer=reviewer,
    )


def reference_name(code: str) -> str:
    return dict(reference.partner_choices()).get(code, code)


# --- the annual report ---------------------------------------------------------------------


@dataclass
class ReportNote:
    thread: Any
    html: str
    dimension: Dimension | None


@dataclass
class YearEndRow:
    dimension: Dimension
    before: int | None
    after: int | None

    @property
    def direction(self) -> str:
        if self.after is None or self.before is None:
            return "new" if self.after is not None else "none"
        return Change(self.before, self.after).direction


@dataclass
class Report:
    code: str
    name: str
    year: int
    edition: str
    reader: Any
    generated_at: datetime
    year_end: list[YearEndRow]
    assessments: list[HistoryEntry]
    notes: list[ReportNote]
    projects: sections.ProjectSections
    sources: list[Any]
    dimensions: list[Dimension]
    definitions: dict[str, list[LevelDefinition]]


def report(viewer: Viewer, code: str, year: int, edition: str) -> Report:
    """The content of `code`'s annual report for `year`: the partners edition carries only
    what every partner country may read, "mine" what `viewer` may read."""
    partners = edition == "partners"
    all_dimensions = dimensions()
    end = current_assessments([code], on_or_before=date(year, 12, 31)).get(code)
    start = current_assessments([code], on_or_before=date(year - 1, 12, 31)).get(code)
    end_levels = _levels(end) if end else {}
    start_levels = _levels(start) if start else {}
    year_end = [
        YearEndRow(
            dimension=d,
            before=start_levels[d.code].level if d.code in start_levels else None,
            after=end_levels[d.code].level if d.code in end_levels else None,
        )
        for d in all_dimensions
    ]
    everything = list(
        rules.with_parts(rules.published_assessments())
        .filter(country=code, assessed_on__lte=date(year, 12, 31))
        .order_by("-assessed_on", "-pk")
    )
    of_year = [e for e in _history(everything) if e.assessment.assessed_on.year == year]
    notes_qs = rules.partner_wide_notes(code) if partners else rules.visible_notes(viewer, code)
    threads = list(notes_qs.filter(created_at__year=year)[:NOTES_SHOWN])
    openings = dict(
        Post.objects.filter(
            thread__in=[t.pk for t in threads], parent__isnull=True, status=PostStatus.PUBLISHED
        ).values_list("thread_id", "body_html")
    )
    by_code = {d.code: d for d in all_dimensions}
    notes = [
        ReportNote(
            thread=t,
            html=openings[t.pk],
            dimension=by_code.get(rules.note_dimension(t, set(by_code)) or ""),
        )
        for t in threads
        if t.pk in openings
    ]
    sources = [s for e in of_year for s in e.assessment.sources.all()]
    definitions: dict[str, list[LevelDefinition]] = defaultdict(list)
    for d in all_dimensions:
        definitions[d.code] = list(d.definitions.all())
    return Report(
        code=code,
        name=reference_name(code),
        year=year,
        edition=edition,
        reader=None if partners else viewer,
        generated_at=timezone.now(),
        year_end=year_end,
        assessments=of_year,
        notes=notes,
        projects=sections.project_sections(viewer, code, partners=partners),
        sources=sources,
        dimensions=all_dimensions,
        definitions=dict(definitions),
    )
