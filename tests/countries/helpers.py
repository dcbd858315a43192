"""Writing assessments the way the site does, for the tests of the countries app."""

from __future__ import annotations

from datetime import date

from countries.actions import assessments as actions
from countries.actions.assessments import LevelInput, SourceInput
from countries.models import Assessment, Dimension

DIMENSIONS = ("political-security", "legal-regulatory", "currency-financial", "operational")


def submit(
    author,
    code: str = "KE",
    *,
    levels: dict[str, int] | None = None,
    on: date = date(2026, 3, 1),
    reasoning: str = "Reasoning with **emphasis**.",
    trend: str = "stable",
    **fields,
) -> Assessment:
    """Submit an assessment of `code` with every dimension at 3 unless `levels` says else."""
    levels = {code_: 3 for code_ in Dimension.objects.values_list("code", flat=True)} | (
        levels or {}
    )
    return actions.submit_assessment(
        author=author,
        country=code,
        assessed_on=on,
        levels=[
            LevelInput(dimension=d, level=level, trend=trend, reasoning=reasoning)
            for d, level in levels.items()
        ],
        sources=fields.pop(
            "sources",
            [
                SourceInput(
                    title="Country report",
                    publisher="Ministry of Finance",
                    published_on=date(2026, 1, 15),
                    url="https://example.org/report",
                )
            ],
        ),
        **fields,
    )


def publish(author, approver, code: str = "KE", **kwargs) -> Assessment:
    """Submit an assessment and have `approver` approve it (one approval publishes)."""
    assessment = submit(author, code, **kwargs)
    return actions.approve_assessment(moderator=approver, assessment=assessment)


def ensure_reference_data() -> None:
    """Put back the countries and dimensions of the data migrations (a flush by an earlier
    transactional test removes them), the way tests.conftest.working_group does for groups."""
    from importlib import import_module

    from django.apps import apps

    from countries.reference import forget_partners

    import_module("countries.migrations.0002_iso_countries_and_partners").add_countries(apps, None)
    import_module("countries.migrations.0004_dimensions").add_dimensions(apps, None)
    forget_partners()
