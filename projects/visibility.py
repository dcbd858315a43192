"""Who may see and do what on the docking platform. Every read path of the app asks here.

Built on forum.visibility: a listing's audience is a thread's (the project-promotion
group's members, in the whole group or in chosen countries), with the same `Scope`.
Out of audience answers exactly like missing: Http404.

Listings: staff see all; the owner organization's members see their own in every
state; members of the listing's group in its audience see it once published (also
paused, closed or expired); the group's facilitators (moderators and chairs) in its
audience see it pending too. Drafts stay with the owner organization.

Dockings: the two organizations, the facilitators of the listing's group who may see
the listing, and staff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from forum import visibility
from forum.models import Audience, Membership
from forum.models.groups import MODERATING_ROLES
from projects.models import (
    Docking,
    DockingState,
    DockingStep,
    Listing,
    ListingCountry,
    ListingReview,
    ListingState,
)

if TYPE_CHECKING:
    from forum.models import WorkingGroup
    from forum.visibility import Viewer

# States the audience sees; drafts and pending listings are not for them.
PUBLIC_STATES = (
    ListingState.PUBLISHED,
    ListingState.PAUSED,
    ListingState.CLOSED,
    ListingState.EXPIRED,
)


def _signed_in(viewer: Viewer) -> bool:
    return bool(viewer and viewer.is_authenticated and viewer.is_active)


def promotion_group_slug() -> str:
    return getattr(settings, "PROJECTS_GROUP_SLUG", "project-promotion")


def listing_audience_filter(viewer: Viewer) -> Q:
    """The condition a listing meets when its audience includes `viewer`'s country."""
    return Q(audience=Audience.GROUP) | Q(
        Exists(ListingCountry.objects.filter(listing=OuterRef("pk"), country=viewer.country))
    )


def _own(viewer: Viewer) -> Q:
    if viewer.organization_id is None:
        return Q(author=viewer)
    return Q(organization=viewer.organization_id) | Q(author=viewer)


def visible_listings(viewer: Viewer) -> QuerySet[Listing]:
    """Return the listings `viewer` may see (any state), as one QuerySet.

    Stable API: the countries app lists "listings hosted there" through it.
    """
    if not _signed_in(viewer):
        return Listing.objects.none()
    if viewer.is_staff:
        return Listing.objects.all()
    member_of = Membership.objects.filter(group=OuterRef("group"), member=viewer)
    moderates = member_of.filter(role__in=MODERATING_ROLES)
    in_audience = Q(Exists(member_of)) & listing_audience_filter(viewer)
    audience_sees = in_audience & (
        Q(state__in=PUBLIC_STATES) | (Q(state=ListingState.PENDING) & Q(Exists(moderates)))
    )
    return Listing.objects.filter(_own(viewer) | audience_sees)


def listings_for_page(viewer: Viewer) -> QuerySet[Listing]:
    """`visible_listings` ready to list: sector, country rows and organization loaded."""
    return (
        visible_listings(viewer)
        .select_related("sector", "organization", "group")
        .prefetch_related("countries")
    )


def get_listing_or_404(viewer: Viewer, pk: int) -> Listing:
    """Return listing `pk` if `viewer` may see it; 404 for missing or not in its audience."""
    try:
        return visible_listings(viewer).select_related("sector", "organization", "group").get(pk=pk)
    except Listing.DoesNotExist:
        raise Http404("No such listing.") from None


def is_owner(viewer: Viewer, listing: Listing) -> bool:
    """Members of the listing's organization (and its author) own it."""
    if not _signed_in(viewer):
        return False
    return listing.author_id == viewer.pk or (
        viewer.organization_id is not None and viewer.organization_id == listing.organization_id
    )


def is_facilitator(viewer: Viewer, group: WorkingGroup) -> bool:
    """The group's moderators and chairs facilitate dockings; staff too."""
    return visibility.can_moderate(viewer, group)


def can_edit_listing(viewer: Viewer, listing: Listing) -> bool:
    return _signed_in(viewer) and (viewer.is_staff or is_owner(viewer, listing))


def can_list(viewer: Viewer, group: WorkingGroup) -> bool:
    """Members of the project-promotion group with an organization publish listings."""
    return (
        _signed_in(viewer)
        and viewer.organization_id is not None
        and (viewer.is_staff or visibility.role_in(viewer, group) is not None)
    )


def accepted_partner(viewer: Viewer, listing: Listing) -> bool:
    """Whether `viewer`'s organization was introduced to the listing (both accepted)."""
    if not _signed_in(viewer) or viewer.organization_id is None:
        return False
    return Docking.objects.filter(
        listing=listing, organization=viewer.organization_id, introduced_at__isnull=False
    ).exists()


def can_see_contact(viewer: Viewer, listing: Listing) -> bool:
    """Contact details: the owner organization, facilitators, staff, and organizations
    whose introduction was accepted. `listing` is one `viewer` may already see."""
    if not _signed_in(viewer):
        return False
    return (
        viewer.is_staff
        or is_owner(viewer, listing)
        or is_facilitator(viewer, listing.group)
        or accepted_partner(viewer, listing)
    )


def listing_scope(listing: Listing) -> visibility.Scope:
    """The audience of `listing` as the forum's Scope (its members outside the owner
    organization): pending listings reach only the group's moderators."""
    countries = (
        None
        if listing.audience == Audience.GROUP
        else frozenset(
            ListingCountry.objects.filter(listing=listing).values_list("country", flat=True)
        )
    )
    return visibility.Scope(
        countries=countries,
        moderators_only=listing.state == ListingState.PENDING,
    )


def listing_scope_from(listing: Listing, countries: dict[int, set[str]]) -> visibility.Scope:
    """`listing_scope` with the audience countries already loaded ({listing id: codes})."""
    return visibility.Scope(
        countries=None
        if listing.audience == Audience.GROUP
        else frozenset(countries.get(listing.pk, ())),
        moderators_only=listing.state == ListingState.PENDING,
    )


# --- reviews --------------------------------------------------------------------------


def listing_review_queue(viewer: Viewer, group: WorkingGroup | None = None):
    """Open listing reviews `viewer` may decide: groups they moderate, listings in their
    audience, never their own organization's."""
    if not _signed_in(viewer):
        return ListingReview.objects.none()
    reviews = ListingReview.objects.filter(
        state=ListingReview.State.OPEN,
        listing__group__in=visibility.moderated_groups(viewer),
        listing__in=visible_listings(viewer),
    )
    if viewer.organization_id is not None:
        reviews = reviews.exclude(listing__organization=viewer.organization_id)
    if group is not None:
        reviews = reviews.filter(listing__group=group)
    return reviews.select_related(
        "listing", "listing__sector", "listing__organization", "submitted_by"
    ).order_by("submitted_at", "pk")


def get_listing_review_or_404(viewer: Viewer, pk: int) -> ListingReview:
    try:
        return listing_review_queue(viewer).get(pk=pk)
    except ListingReview.DoesNotExist:
        raise Http404("No such review.") from None


# --- dockings ---------------------------------------------------------------------------


def visible_dockings(viewer: Viewer) -> QuerySet[Docking]:
    """Return the dockings `viewer` may see: their organization's (either side), those of
    listings they facilitate and see, all for staff."""
    if not _signed_in(viewer):
        return Docking.objects.none()
    if viewer.is_staff:
        return Docking.objects.all()
    facilitated = Q(listing__group__in=visibility.moderated_groups(viewer)) & Q(
        listing__in=visible_listings(viewer)
    )
    if viewer.organization_id is None:
        return Docking.objects.filter(facilitated)
    org = viewer.organization_id
    return Docking.objects.filter(Q(organization=org) | Q(listing__organization=org) | facilitated)


def get_docking_or_404(viewer: Viewer, pk: int) -> Docking:
    try:
        return (
            visible_dockings(viewer)
            .select_related(
                "listing",
                "listing__group",
                "listing__organization",
                "listing__sector",
                "organization",
                "started_by",
            )
            .get(pk=pk)
        )
    except Docking.DoesNotExist:
        raise Http404("No such docking.") from None


def docking_side(viewer: Viewer, docking: Docking) -> str | None:
    """Return `viewer`'s side in `docking`: "owner", "partner", "facilitator" or None."""
    if not _signed_in(viewer):
        return None
    org = viewer.organization_id
    if org is not None and org == docking.listing.organization_id:
        return "owner"
    if org is not None and org == docking.organization_id:
        return "partner"
    if is_facilitator(viewer, docking.listing.group) and (
        viewer.is_staff or visible_listings(viewer).filter(pk=docking.listing_id).exists()
    ):
        return "facilitator"
    return None


def visible_steps(viewer: Viewer) -> QuerySet[DockingStep]:
    return DockingStep.objects.filter(docking__in=visible_dockings(viewer))


def stale_listings(viewer: Viewer) -> QuerySet[Listing]:
    """Published listings nobody showed interest in for PROJECTS_NO_INTEREST_DAYS, in the
    groups `viewer` facilitates (empty for everyone else)."""
    if not _signed_in(viewer):
        return Listing.objects.none()
    days = getattr(settings, "PROJECTS_NO_INTEREST_DAYS", 30)
    return (
        visible_listings(viewer)
        .filter(
            group__in=visibility.moderated_groups(viewer),
            state=ListingState.PUBLISHED,
            published_at__lte=timezone.now() - timedelta(days=days),
        )
        .exclude(Exists(Docking.objects.filter(listing=OuterRef("pk"))))
        .select_related("sector", "organization")
    )


def docking_item_available(viewer: Viewer):
    """The condition (for forum.visibility.inbox) that a docking-platform inbox item is
    still about something `viewer` sees: its docking, else its listing."""
    from django.db.models import BigIntegerField, BooleanField, Case, Value, When
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    def outer_id(key: str):
        return Cast(KeyTextTransform(key, OuterRef("data")), BigIntegerField())

    return Case(
        When(
            data__has_key="docking",
            then=Exists(visible_dockings(viewer).filter(pk=outer_id("docking"))),
        ),
        When(
            data__has_key="listing",
            then=Exists(visible_listings(viewer).filter(pk=outer_id("listing"))),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


# --- for other apps: the country pages and the annual report (countries/sections.py) ---


def published_listings(viewer: Viewer) -> QuerySet[Listing]:
    """The listings `viewer` may see that are out of draft and review."""
    return visible_listings(viewer).filter(state__in=PUBLIC_STATES)


def announceable_agreements(viewer: Viewer) -> QuerySet[Docking]:
    """Signed agreements marked announceable, on listings `viewer` may see."""
    return Docking.objects.filter(
        state=DockingState.SIGNED, announceable=True, listing__in=visible_listings(viewer)
    )


def partner_wide_listings() -> QuerySet[Listing]:
    """Listings every partner may see: the whole group's audience, once published."""
    return Listing.objects.filter(audience=Audience.GROUP, state__in=PUBLIC_STATES)


def partner_wide_announceable_agreements() -> QuerySet[Docking]:
    """Announceable signed agreements on listings every partner may see."""
    return Docking.objects.filter(
        state=DockingState.SIGNED, announceable=True, listing__in=partner_wide_listings()
    )
