"""Route rows of the docking platform (/projects/ and /docking/).

The listings live in project-promotion, where the world's `outsider` (KE) and `author`
(CN) are members. Organizations follow countries ("Org CN"), so the chair and staff
(CN) share the author's organization: they own its listings too. The pending listing
is the outsider's (staff review it: a moderator never reviews their own
organization's). Its state names start with "listing-"/"docking-" so that the forum's
own markers ("published", ...) mean only the forum's objects.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from forum.models import ModerationPolicy
from projects.actions import dockings as docking_actions
from projects.actions import listings as listing_actions
from projects.models import ListingReview
from tests.access import World, secret
from tests.projects.conftest import sector
from tests.routes.attachments import attach_marked
from tests.routes.tables import (
    BAD,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    Row,
)

OWNERS = "author chair staff"  # the listing's organization (Org CN); staff among them
NOT_IN_PROMOTION = "foreigner reader moderator"


def _ict(world: World) -> int:
    return sector("ict").pk


LISTING_FORM = {
    "kind": "offer",
    "title": "Route check listing",
    "summary": "An offer.",
    "sector": _ict,
    "host_country": "KE",
    "size": "under_1m",
    "stage": "concept",
    "seeks": "partner",
    "contact_name": "Someone",
    "contact_email": "someone@example.org",
    "audience": "group",
}

URLS: dict[str, list[Row]] = {
    "projects:listings": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row(
            "GET",
            "-",
            OK,
            "outsider",
            shows="listing-published",
            hides="listing-limited listing-draft listing-pending",
        ),
        Row("GET", "-", OK, OWNERS, shows="listing-published listing-limited"),
        Row(
            "GET",
            "-",
            OK,
            NOT_IN_PROMOTION,
            hides="listing-published listing-limited listing-draft listing-pending",
        ),
        Row("POST", "-", NOT_ALLOWED, "author"),
    ],
    "projects:listing_new": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "outsider author staff"),
        Row("GET", "-", NOT_FOUND, "chair " + NOT_IN_PROMOTION),
        Row("POST", "-", REDIRECT, "outsider author"),
        Row("POST", "-", OK, "author", data={**LISTING_FORM, "title": "No"}),
    ],
    "projects:organization": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "signed-in"),
        Row("POST", "-", REDIRECT, "outsider reader"),
    ],
    "projects:listing": [
        Row("GET", "listing-published", LOGIN, "anonymous"),
        Row(
            "GET",
            "listing-published",
            OK,
            "outsider",
            shows="listing-published",
            hides="contact-listing-published",
        ),
        Row("GET", "listing-published", OK, OWNERS, shows="contact-listing-published"),
        Row("GET", "listing-published", NOT_FOUND, NOT_IN_PROMOTION),
        Row("GET", "listing-limited", OK, OWNERS, shows="listing-limited"),
        Row("GET", "listing-limited", NOT_FOUND, "outsider " + NOT_IN_PROMOTION),
        Row("GET", "listing-draft", OK, OWNERS, shows="listing-draft"),
        Row("GET", "listing-draft", NOT_FOUND, "outsider " + NOT_IN_PROMOTION),
        Row("GET", "listing-pending", OK, "outsider staff", shows="listing-pending"),
        Row("GET", "listing-pending", NOT_FOUND, "author chair " + NOT_IN_PROMOTION),
        Row("GET", "listing-second", OK, "outsider", shows="contact-listing-second"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("GET", "huge", NOT_FOUND, "author"),
        Row("POST", "listing-published", NOT_ALLOWED, "author"),
    ],
    "projects:listing_edit": [
        Row("GET", "listing-published", LOGIN, "anonymous"),
        Row("GET", "listing-published", OK, OWNERS),
        Row("GET", "listing-published", NOT_FOUND, "outsider " + NOT_IN_PROMOTION),
        Row("POST", "listing-published", REDIRECT, "author"),
        Row("POST", "listing-published", NOT_FOUND, "outsider"),
        Row("GET", "missing", NOT_FOUND, "author"),
    ],
    "projects:listing_manage": [
        Row("POST", "listing-published", LOGIN, "anonymous"),
        Row("POST", "listing-published", REDIRECT, OWNERS),
        Row("POST", "listing-published", NOT_FOUND, "outsider " + NOT_IN_PROMOTION),
        Row("POST", "listing-published", NOT_FOUND, "author", data={"action": "explode"}),
        Row("GET", "listing-published", NOT_ALLOWED, "author"),
        Row("POST", "missing", NOT_FOUND, "author"),
    ],
    "projects:interest": [
        Row("POST", "listing-published", LOGIN, "anonymous"),
        # The outsider's organization already docks with it; the owners cannot.
        Row("POST", "listing-published", BAD, "outsider " + OWNERS),
        Row("POST", "listing-published", NOT_FOUND, NOT_IN_PROMOTION),
        Row("POST", "listing-limited", NOT_FOUND, "outsider"),
        Row("POST", "listing-published", BAD, "outsider", data={"message": "x" * 4001}),
        Row("GET", "listing-published", NOT_ALLOWED, "outsider"),
    ],
    "projects:not_interested": [
        Row("POST", "listing-published", LOGIN, "anonymous"),
        Row("POST", "listing-published", REDIRECT, "outsider " + OWNERS),
        Row("POST", "listing-published", NOT_FOUND, NOT_IN_PROMOTION),
        Row("POST", "listing-draft", NOT_FOUND, "outsider"),
    ],
    "projects:propose": [
        Row("POST", "listing-published", LOGIN, "anonymous"),
        Row("POST", "listing-published", REDIRECT, "staff"),
        Row("POST", "listing-published", NOT_FOUND, "outsider author chair " + NOT_IN_PROMOTION),
    ],
    "projects:review": [
        Row("GET", "listing-pending", LOGIN, "anonymous"),
        Row("GET", "listing-pending", OK, "staff", shows="listing-pending"),
        Row("GET", "listing-pending", NOT_FOUND, "outsider author chair " + NOT_IN_PROMOTION),
        Row("POST", "listing-pending", REDIRECT, "staff"),
        Row("POST", "listing-pending", OK, "staff", data={"action": "reject", "note": ""}),
        Row("POST", "listing-pending", NOT_FOUND, "outsider author"),
        Row("GET", "missing", NOT_FOUND, "staff"),
    ],
    "projects:dockings": [
        Row("GET", "-", LOGIN, "anonymous"),
        Row("GET", "-", OK, "outsider " + OWNERS, shows="listing-published"),
        Row("GET", "-", OK, NOT_IN_PROMOTION, hides="listing-published docking-open"),
        Row("POST", "-", NOT_ALLOWED, "outsider"),
    ],
    "projects:docking": [
        Row("GET", "docking-open", LOGIN, "anonymous"),
        Row("GET", "docking-open", OK, "outsider " + OWNERS, shows="docking-open"),
        Row("GET", "docking-open", NOT_FOUND, NOT_IN_PROMOTION),
        Row("GET", "docking-scheduled", OK, "outsider", shows="contact-listing-second"),
        Row("GET", "missing", NOT_FOUND, "signed-in"),
        Row("POST", "docking-open", NOT_ALLOWED, "outsider"),
    ],
    "projects:docking_step": [
        Row("POST", "docking-open", LOGIN, "anonymous"),
        Row("POST", "docking-open", REDIRECT, "outsider " + OWNERS),
        Row("POST", "docking-open", NOT_FOUND, NOT_IN_PROMOTION),
        # An illegal step is refused with a message: signing before the introduction.
        Row("POST", "docking-open", BAD, "outsider", data={"action": "pick_slot", "slot": "1"}),
        Row("POST", "docking-open", NOT_FOUND, "outsider", data={"action": "explode"}),
        Row("GET", "docking-open", NOT_ALLOWED, "outsider"),
        Row("POST", "missing", NOT_FOUND, "outsider"),
    ],
    "projects:docking_ics": [
        Row("GET", "docking-scheduled", LOGIN, "anonymous"),
        Row("GET", "docking-scheduled", OK, "outsider " + OWNERS, shows="listing-second"),
        Row("GET", "docking-scheduled", NOT_FOUND, NOT_IN_PROMOTION),
        Row("GET", "docking-open", NOT_FOUND, "outsider"),
        Row("GET", "missing", NOT_FOUND, "outsider"),
    ],
}

KINDS = {
    "listing": "projects:listing projects:listing_edit projects:listing_manage "
    "projects:interest projects:not_interested projects:propose",
    "listing_review": "projects:review",
    "docking": "projects:docking projects:docking_step projects:docking_ics",
}

POST_DATA = {
    "projects:listing_new": {**LISTING_FORM, "submit": "1"},
    "projects:organization": {
        "sectors": _ict,
        "countries": "KE",
        "offers": "services",
        "icoca_status": "member",
    },
    "projects:listing_edit": {k: v for k, v in LISTING_FORM.items() if k != "audience"},
    "projects:listing_manage": {"action": "pause"},
    "projects:interest": {"message": "We are interested."},
    "projects:propose": {"organization": lambda w: w.people["outsider"].organization_id},
    "projects:review": {"action": "approve"},
    "projects:docking_step": {"action": "not_a_fit"},
}


def _data(state: str, **overrides) -> dict:
    data = {
        "kind": "project",
        "title": f"Listing {secret(state)}",
        "summary": f"Summary of {secret(state)}",
        "sector": sector("security-equipment").pk,
        "host_country": "ZM",
        "size": "1m_10m",
        "stage": "feasibility",
        "seeks": ["equipment"],
        "contact_name": f"Contact {secret('contact-' + state)}",
        "contact_email": "contact@example.cn",
    }
    data.update(overrides)
    return data


def build(world: World) -> None:
    """Listings in each state, a pending one for review, and dockings, via the actions."""
    author, outsider, staff = (world.people[r] for r in ("author", "outsider", "staff"))
    group = world.promotion
    policy = group.moderation_policy
    group.moderation_policy = ModerationPolicy.OFF
    group.save(update_fields=["moderation_policy"])

    def listing(state: str, **fields):
        return listing_actions.create_listing(author=author, data=_data(state), **fields)

    listings = {
        "listing-published": listing("listing-published", submit=True),
        "listing-limited": listing(
            "listing-limited", audience="countries", countries=["ZM"], submit=True
        ),
        "listing-draft": listing("listing-draft"),
        "listing-second": listing("listing-second", submit=True),
    }
    group.moderation_policy = ModerationPolicy.EVERYTHING
    group.save(update_fields=["moderation_policy"])
    pending = listing_actions.create_listing(
        author=outsider, data=_data("listing-pending"), submit=True
    )
    listings["listing-pending"] = pending
    group.moderation_policy = policy
    group.save(update_fields=["moderation_policy"])
    world.objects["listing"] = listings
    # A document on each (rows in tests/routes/attachments.py).
    for state, found in listings.items():
        if state != "listing-second":
            attach_marked(world, state, found, found.author)
    world.objects["listing_review"] = {
        "listing-pending": ListingReview.objects.get(listing=pending, state="open")
    }

    open_docking = docking_actions.express_interest(
        member=outsider,
        listing=listings["listing-published"],
        message=f"Hi {secret('docking-open')}",
    )
    scheduled = docking_actions.express_interest(
        member=outsider, listing=listings["listing-second"], message="Interested."
    )
    docking_actions.accept(actor=author, docking=scheduled)
    soon = timezone.now() + timedelta(days=4)
    docking_actions.request_meeting(
        actor=outsider, docking=scheduled, slots=[(soon, soon + timedelta(hours=1))]
    )
    slot = docking_actions.current_slots(scheduled)[0]
    docking_actions.pick_slot(actor=author, docking=scheduled, slot_id=slot.pk)
    world.objects["docking"] = {"docking-open": open_docking, "docking-scheduled": scheduled}
    assert staff.is_staff
