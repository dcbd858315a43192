"""Suggested listings for a member: scored by their organization's profile, with reasons.

Score: one point each for the same sector, a host country the organization operates in,
and each thing the listing seeks that the organization offers. Only among listings the
member may see (projects.visibility), published; never their own organization's, those
already in docking with their organization, or those they marked "not interested".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import Member
from projects.models import (
    OPEN_DOCKING_STATES,
    Docking,
    Listing,
    ListingState,
    NotInterested,
    Offer,
)
from projects.visibility import visible_listings

LIMIT = 5


@dataclass
class Suggestion:
    listing: Listing
    score: int
    reasons: list[str]

    @property
    def why(self) -> str:
        return " · ".join(self.reasons)


@dataclass(frozen=True)
class Profile:
    organization_id: int | None
    sectors: frozenset[int]
    countries: frozenset[str]
    offers: frozenset[str]


def profile_of(member: Member) -> Profile:
    """The organization's sectors, countries and offers (two queries)."""
    org = member.organization
    if org is None:
        return Profile(None, frozenset(), frozenset(), frozenset())
    return Profile(
        organization_id=org.pk,
        sectors=frozenset(org.sectors.values_list("pk", flat=True)),
        countries=frozenset(org.operating_countries.values_list("code", flat=True)),
        offers=frozenset(o for o in org.offers or [] if o in Offer.values),
    )


def score(listing: Listing, profile: Profile) -> Suggestion:
    """Score one listing for one organization, with the reasons in the reader's language."""
    reasons = []
    points = 0
    if listing.sector_id in profile.sectors:
        points += 1
        reasons.append(_("same sector"))
    code = listing.host_country.code
    if code in profile.countries:
        points += 1
        reasons.append(_("you operate in %(country)s") % {"country": code})
    labels = dict(Offer.choices)
    sought = [value for value in listing.seeks if value in profile.offers]
    if sought:
        points += len(sought)
        reasons.append(
            _("they seek %(things)s") % {"things": ", ".join(str(labels[v]) for v in sought)}
        )
    return Suggestion(listing=listing, score=points, reasons=reasons)


def candidates(member: Member, profile: Profile):
    """Published listings `member` may see, minus the exclusions."""
    listings = visible_listings(member).filter(state=ListingState.PUBLISHED)
    if profile.organization_id is not None:
        listings = listings.exclude(organization=profile.organization_id).exclude(
            Exists(
                Docking.objects.filter(
                    listing=OuterRef("pk"),
                    organization=profile.organization_id,
                    state__in=OPEN_DOCKING_STATES,
                )
            )
        )
    listings = listings.exclude(author=member).exclude(
        Exists(NotInterested.objects.filter(listing=OuterRef("pk"), member=member))
    )
    if profile.sectors or profile.countries or profile.offers:
        # Only listings that can score at all (the offers part is checked in Python:
        # `seeks` is a JSON list and its containment test differs between databases).
        matching = Q(sector__in=sorted(profile.sectors)) | Q(
            host_country__in=sorted(profile.countries)
        )
        if not profile.offers:
            listings = listings.filter(matching)
    return listings.select_related("sector", "organization").order_by("-published_at", "-pk")


def suggestions_for(member: Member, *, limit: int | None = LIMIT, scan: int = 200) -> list:
    """Return up to `limit` suggestions, best first (newest among equals); only listings
    that score at least one point. A constant number of queries."""
    if not (member and member.is_authenticated):
        return []
    profile = profile_of(member)
    scored = [score(listing, profile) for listing in candidates(member, profile)[:scan]]
    scored = [s for s in scored if s.score > 0]
    scored.sort(key=lambda s: -s.score)  # stable: newest first among equal scores
    return scored if limit is None else scored[:limit]


def suggestions_for_many(members, *, limit: int = 3, scan: int = 500) -> dict[int, list]:
    """Return {member id: suggestions} for many members in a constant number of queries
    (the weekly digest). The same rule as `suggestions_for`, decided in memory with the
    forum's Scope: tests hold the two equal."""
    from accounts.models import Organization
    from countries.models import Country  # noqa: F401  (the through table's target)
    from forum import visibility
    from projects.models import ListingCountry
    from projects.visibility import listing_scope_from

    members = [m for m in members if m.is_active]
    if not members:
        return {}
    listings = list(
        Listing.objects.filter(state=ListingState.PUBLISHED)
        .select_related("sector", "organization")
        .order_by("-published_at", "-pk")[:scan]
    )
    if not listings:
        return {}
    countries: dict[int, set[str]] = {}
    for listing_id, code in ListingCountry.objects.filter(
        listing__in=[listing.pk for listing in listings]
    ).values_list("listing_id", "country"):
        countries.setdefault(listing_id, set()).add(code)
    scopes = {listing.pk: listing_scope_from(listing, countries) for listing in listings}
    readers = visibility.readers_by_group(members)
    org_ids = {m.organization_id for m in members if m.organization_id}
    sectors: dict[int, set[int]] = {}
    for org_id, sector_id in Organization.sectors.through.objects.filter(
        organization__in=org_ids
    ).values_list("organization_id", "sector_id"):
        sectors.setdefault(org_id, set()).add(sector_id)
    operating: dict[int, set[str]] = {}
    for org_id, code in Organization.operating_countries.through.objects.filter(
        organization__in=org_ids
    ).values_list("organization_id", "country_id"):
        operating.setdefault(org_id, set()).add(code)
    offers = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "offers"))
    docking = set(
        Docking.objects.filter(organization__in=org_ids, state__in=OPEN_DOCKING_STATES).values_list(
            "organization_id", "listing_id"
        )
    )
    refused = set(
        NotInterested.objects.filter(member__in=[m.pk for m in members]).values_list(
            "member_id", "listing_id"
        )
    )
    found: dict[int, list] = {}
    for member in members:
        org = member.organization_id
        profile = Profile(
            organization_id=org,
            sectors=frozenset(sectors.get(org, ())),
            countries=frozenset(operating.get(org, ())),
            offers=frozenset(o for o in (offers.get(org) or []) if o in Offer.values),
        )
        scored = []
        for listing in listings:
            if org is not None and (listing.organization_id == org or (org, listing.pk) in docking):
                continue
            if listing.author_id == member.pk or (member.pk, listing.pk) in refused:
                continue
            reader = readers.get((member.pk, listing.group_id))
            if reader is None or not scopes[listing.pk].admits(reader):
                continue
            suggestion = score(listing, profile)
            if suggestion.score > 0:
                scored.append(suggestion)
        scored.sort(key=lambda s: -s.score)
        if scored:
            found[member.pk] = scored[:limit]
    return found
