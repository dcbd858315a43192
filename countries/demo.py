"""Demo data for the risk database (called by `manage.py seed_demo`): assessments of four
countries with history, clearly labelled as demo, and two risk notes on Zambia: one for
Chinese members only, one for every partner. Idempotent; written through the actions."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from accounts.models import Member
from countries.actions import assessments as actions
from countries.actions.assessments import LevelInput, SourceInput
from countries.models import Assessment, Dimension
from countries.reference import ensure_countries

DEMO = "Demo, not a real assessment."
# (country, assessor, approver, [(date, {dimension: level}, trend)]): oldest first.
DEMO_ASSESSMENTS = (
    (
        "KE",
        "trusted.ke",
        "moderator.zm",
        [(date(2025, 9, 1), 3, "stable"), (date(2026, 6, 1), 3, "deteriorating")],
    ),
    (
        "ZM",
        "trusted.zm",
        "moderator.ke",
        [(date(2025, 3, 1), 2, "stable"), (date(2026, 4, 1), 3, "deteriorating")],
    ),
    (
        "EG",
        "trusted.eg",
        "moderator.ke",
        [(date(2024, 10, 1), 3, "stable"), (date(2025, 10, 1), 3, "improving")],
    ),
    ("CN", "trusted.cn", "moderator.eg", [(date(2026, 2, 1), 2, "stable")]),
)
# The later assessment of each country raises one dimension to show an arrow.
RAISED = {"KE": "political-security", "ZM": "currency-financial"}

DEMO_NOTES = (
    {
        "author": "trusted.cn",
        "title": "Demo note: guidance for Chinese companies in Zambia's copper belt",
        "body": "*Demo note.* For Chinese companies only: contacts of the embassy's "
        "economic section and local counsel.\n\n中国企业在赞比亚铜带省的投资注意事项。",
        "audience": "domestic",
    },
    {
        "author": "trusted.zm",
        "title": "Demo note: foreign-exchange rules for dividends from Zambia",
        "body": "*Demo note.* The central bank's rules on converting and transferring "
        "dividends, for every partner.\n\n"
        "中文摘要：利润汇出需提前申报。\n\n"
        "ملخص بالعربية: يجب الإبلاغ المسبق عن تحويل الأرباح.",
        "audience": "group",
        "dimension": "currency-financial",
    },
)


def _member(handle_email: str) -> Member:
    return Member.objects.get(email=f"{handle_email}@demo.example")


def seed_assessments() -> None:
    dimensions = list(Dimension.objects.values_list("code", flat=True))
    for code, author, approver, history in DEMO_ASSESSMENTS:
        if Assessment.objects.filter(country=code, summary__startswith="Demo").exists():
            continue
        for index, (on, base, trend) in enumerate(history):
            levels = {d: base for d in dimensions}
            if index and code in RAISED:
                levels[RAISED[code]] = base + 1
            assessment = actions.submit_assessment(
                author=_member(author),
                country=code,
                assessed_on=on,
                summary=DEMO,
                levels=[
                    LevelInput(
                        dimension=d,
                        level=level,
                        trend=trend,
                        reasoning=f"*{DEMO}* Illustrative reasoning for the demonstration.",
                    )
                    for d, level in levels.items()
                ],
                sources=[
                    SourceInput(
                        title="Demo source (illustrative)",
                        publisher="Demo publisher",
                        published_on=on,
                        url="https://example.org/demo-source",
                    )
                ],
            )
            actions.approve_assessment(moderator=_member(approver), assessment=assessment)


def seed_notes() -> None:
    from forum.actions import threads
    from forum.management.commands.seed_demo import _approve_as_demo_moderator
    from forum.models import Tag, Thread, WorkingGroup

    group = WorkingGroup.objects.get(slug="legal-policy")
    for spec in DEMO_NOTES:
        if Thread.objects.filter(group=group, title=spec["title"]).exists():
            continue
        topics = []
        if spec.get("dimension"):
            Tag.objects.get_or_create(group=group, kind=Tag.Kind.TOPIC, name=spec["dimension"])
            topics = [spec["dimension"]]
        thread = threads.create_thread(
            author=_member(spec["author"]),
            group=group,
            title=spec["title"],
            body=spec["body"],
            audience=spec["audience"],
            topics=topics,
            country_tags=["ZM"],
        )
        _approve_as_demo_moderator(thread.posts.get())


def ensure_dimensions() -> None:
    """Bring back the dimensions and their level definitions (a flushed database has
    none: a data migration fills them)."""
    from countries.dimensions import load_dimensions
    from countries.models import LevelDefinition

    load_dimensions(Dimension, LevelDefinition)


def seed() -> None:
    """Seed the demo assessments and notes once."""
    if not Member.objects.filter(Q(email="trusted.ke@demo.example")).exists():
        return
    ensure_countries()
    ensure_dimensions()
    seed_assessments()
    seed_notes()
