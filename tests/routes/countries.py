"""Route rows of the countries app: the risk database, its pages and the annual report.

Objects (built in `build` through the actions): assessments of Zambia (published,
pending, rejected) by a trusted Kenyan assessor; two risk notes on Zambia by the
author (CN): one for Chinese members only, one for the whole group; Zambia's 2026
report (open) and Kenya's (published by the chair, so frozen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from countries.actions import assessments as assessment_actions
from countries.actions import reports
from countries.models import Country
from forum.actions import moderation
from forum.actions import threads as thread_actions
from forum.models import Review, Role
from tests.access import HUGE_ID, World, secret
from tests.conftest import create_member
from tests.countries.helpers import submit
from tests.routes.tables import BAD, LOGIN, NOT_ALLOWED, NOT_FOUND, OK, REDIRECT, Row

# This year's report: the world's notes and assessments are written now, in this year.
YEAR = timezone.localdate().year
MEMBERS = "outsider foreigner reader author"
REVIEWERS = "moderator chair staff"
PDF_ROLES = "reader"  # a PDF per role is slow to render: one role reads it live

ASSESS = {
    "assessed_on": "2026-01-01",
    **{
        f"{part}_{d}": value
        for d in ("political-security", "legal-regulatory", "currency-financial", "operational")
        for part, value in (("level", "3"), ("trend", "stable"), ("reasoning", "Because."))
    },
    "source_title_0": "Route source",
    "source_publisher_0": "Publisher",
    "source_date_0": "2026-01-01",
    "source_url_0": "https://example.org/route",
}

URLS: dict = {
    "countries:list": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", NOT_ALLOWED, "reader"),
    ],
    "countries:queue": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", NOT_FOUND, MEMBERS, hides="assessment-pending"),
        Row("GET", "-", OK, REVIEWERS, shows="assessment-pending"),
    ],
    "countries:country": [
        Row("GET", "zambia", LOGIN, "anonymous"),
        Row(
            "GET",
            "zambia",
            OK,
            "outsider",
            shows="assessment-published",
            hides="assessment-pending assessment-rejected note-cn-only note-partners",
        ),
        Row(
            "GET",
            "zambia",
            OK,
            "foreigner reader",
            shows="assessment-published note-partners",
            hides="assessment-pending assessment-rejected note-cn-only",
        ),
        Row(
            "GET",
            "zambia",
            OK,
            "author",
            shows="note-cn-only note-partners",
            hides="assessment-pending assessment-rejected",
        ),
        Row(
            "GET",
            "zambia",
            OK,
            "moderator",
            shows="assessment-pending assessment-rejected note-partners",
            hides="note-cn-only",
        ),
        Row("GET", "zambia", OK, "chair staff", shows="assessment-pending note-cn-only"),
        Row("GET", "non-partner", NOT_FOUND, "reader"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("POST", "zambia", NOT_ALLOWED, "reader"),
    ],
    "countries:follow": [
        Row("POST", "zambia", LOGIN, "anonymous"),
        Row("POST", "zambia", REDIRECT, "signed-in"),
        Row("POST", "missing", NOT_FOUND, "reader"),
        Row("GET", "zambia", NOT_ALLOWED, "reader"),
    ],
    "countries:assess": [
        Row("GET", "zambia", LOGIN, "anonymous"),
        Row("GET", "zambia", NOT_FOUND, MEMBERS),
        Row("GET", "zambia", OK, REVIEWERS),
        Row("POST", "zambia", NOT_FOUND, MEMBERS),
        Row("POST", "zambia", OK, "moderator", data={}),  # incomplete: the form comes back
        Row("POST", "zambia", REDIRECT, "chair"),
        Row("GET", "missing", NOT_FOUND, "moderator"),
        Row("POST", "zambia", NOT_FOUND, "moderator", data={**ASSESS, "corrects": HUGE_ID}),
    ],
    "countries:assessment": [
        Row("GET", "published", LOGIN, "anonymous"),
        Row("GET", "published", OK, "signed-in", shows="assessment-published"),
        Row("GET", "pending", NOT_FOUND, MEMBERS, hides="assessment-pending"),
        Row("GET", "pending", OK, REVIEWERS, shows="assessment-pending"),
        Row("GET", "rejected", NOT_FOUND, MEMBERS, hides="assessment-rejected"),
        Row("GET", "rejected", OK, REVIEWERS, shows="assessment-rejected"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "reader moderator"),
    ],
    "countries:assessment_decide": [
        Row("POST", "pending", LOGIN, "anonymous"),
        Row("POST", "pending", NOT_FOUND, MEMBERS),
        Row("POST", "pending", REDIRECT, REVIEWERS),
        Row("POST", "published", BAD, "moderator"),  # already decided
        Row("POST", "published", NOT_FOUND, MEMBERS),
        Row("POST", "missing", NOT_FOUND, "moderator"),
        Row("GET", "pending", NOT_ALLOWED, "moderator"),
    ],
    "countries:report": [
        Row("GET", "open", LOGIN, "anonymous"),
        Row(
            "GET",
            "open",
            OK,
            "signed-in",
            shows="assessment-published note-partners",
            hides="note-cn-only assessment-pending",
        ),
        Row("GET", "open", OK, "author chair", data={"edition": "mine"}, shows="note-cn-only"),
        Row("GET", "open", OK, "reader", data={"edition": "mine"}, hides="note-cn-only"),
        Row("GET", "frozen", OK, "reader staff", shows="frozen-report"),
        Row("GET", "open", NOT_FOUND, "reader", data={"edition": "everything"}),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
    ],
    "countries:report_pdf": [
        Row("GET", "open", LOGIN, "anonymous"),
        Row("GET", "open", OK, PDF_ROLES),
        Row("GET", "frozen", OK, "reader author"),
        Row("GET", "missing", NOT_FOUND, "reader"),
    ],
    "countries:report_publish": [
        Row("POST", "open", LOGIN, "anonymous"),
        Row("POST", "open", NOT_FOUND, "outsider foreigner reader author moderator"),
        Row("POST", "open", REDIRECT, "chair"),
        Row("POST", "frozen", REDIRECT, "chair staff"),  # already published: said, not redone
        Row("POST", "missing", NOT_FOUND, "chair"),
        Row("GET", "open", NOT_ALLOWED, "chair"),
    ],
}

KINDS = {
    "country": "countries:country countries:follow countries:assess",
    "assessment": "countries:assessment countries:assessment_decide",
    "country_report": "countries:report countries:report_pdf countries:report_publish",
}

POST_DATA = {
    "countries:follow": {"follow": "1"},
    "countries:assessment_decide": {"decision": "approve"},
    "countries:assess": ASSESS,
}


@dataclass(frozen=True)
class ReportRef:
    code: str
    year: int


def build(world: World) -> None:
    """Assessments of Zambia in each state, two notes on it, and two reports."""
    legal, moderator, chair = world.legal, world.people["moderator"], world.people["chair"]
    assessor = create_member(
        900, country="KE", groups=[legal], role=Role.TRUSTED, handle="route-assessor"
    )

    def assess(state: str):
        return submit(
            assessor, "ZM", on=date(YEAR, 1, 1), summary=f"Summary {secret(f'assessment-{state}')}"
        )

    published = assessment_actions.approve_assessment(
        moderator=moderator, assessment=assess("published")
    )
    pending = assess("pending")
    rejected = assessment_actions.reject_assessment(
        moderator=moderator, assessment=assess("rejected"), note="Sources are missing."
    )
    world.objects["assessment"] = {
        "published": published,
        "pending": pending,
        "rejected": rejected,
    }
    world.objects["country"] = {
        "zambia": Country(code="ZM", partner=True),
        "non-partner": Country(code="US", partner=False),
        "missing": Country(code="QQ", partner=False),
    }

    author = world.people["author"]
    thread_actions.create_thread(
        author=author,
        group=legal,
        title=f"Note {secret('note-cn-only')}",
        body="For Chinese companies only.",
        audience="domestic",
        country_tags=["ZM"],
    )
    partners_note = thread_actions.create_thread(
        author=author,
        group=legal,
        title=f"Note {secret('note-partners')}",
        body="For every partner.",
        country_tags=["ZM"],
    )
    opening = partners_note.posts.get()
    if opening.status == "pending":  # cross-border: pre-moderated
        moderation.approve(
            moderator=moderator, review=Review.objects.get(post=opening, state="open")
        )

    # Kenya's 2026 partners edition, published by the chair: frozen.
    assessment_actions.approve_assessment(
        moderator=moderator,
        assessment=submit(
            assessor, "KE", on=date(YEAR, 1, 1), summary=f"Summary {secret('frozen-report')}"
        ),
    )
    reports.publish_report(chair=chair, country="KE", year=YEAR)
    world.objects["country_report"] = {
        "open": ReportRef("ZM", YEAR),
        "frozen": ReportRef("KE", YEAR),
        "missing": ReportRef("QQ", YEAR),
    }
