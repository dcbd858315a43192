"""Fixtures of the docking platform: organizations in CN, ZM and KE, a moderator from
another country, and listings in each state, all made through the actions."""

from __future__ import annotations

import itertools

import pytest

from accounts.models import Organization
from forum.models import ModerationPolicy, Role
from projects.actions import listings as listing_actions
from projects.models import Listing, ListingReview, Offer, Sector
from tests.conftest import create_member, working_group

_numbers = itertools.count(500)


@pytest.fixture
def promo(db):
    """Project promotion, reviewing cross-border listings first (its default)."""
    return working_group("project-promotion", ModerationPolicy.CROSS_BORDER)


@pytest.fixture
def person(promo):
    def make(country: str, *, role: str = Role.MEMBER, groups=None, **fields):
        return create_member(
            next(_numbers),
            country=country,
            groups=[promo] if groups is None else groups,
            role=role,
            **fields,
        )

    return make


@pytest.fixture
def owner(person):
    """A CN member who lists projects (organization "Org CN")."""
    return person("CN")


@pytest.fixture
def zm_member(person):
    """A ZM member whose organization works in security equipment in ZM and offers
    equipment."""
    member = person("ZM")
    org = member.organization
    org.sectors.set([sector("security-equipment")])
    operating_in(org, "ZM")
    org.offers = [Offer.EQUIPMENT]
    org.save(update_fields=["offers"])
    return member


@pytest.fixture
def ke_member(person):
    return person("KE")


@pytest.fixture
def facilitator(person):
    """A moderator of project promotion from KE, with MFA."""
    return person("KE", role=Role.MODERATOR, mfa=True, handle=f"fac-{next(_numbers)}")


@pytest.fixture
def outsider_ng(db, legal):
    """A member of legal policy only."""
    return create_member(next(_numbers), country="NG", groups=[legal])


def operating_in(org: Organization, *codes: str) -> None:
    """Set an organization's countries of operation; the country rows are recreated if a
    flush emptied them."""
    from countries.models import Country
    from countries.reference import FOUNDING_PARTNERS

    Country.objects.bulk_create(
        [Country(code=code, partner=code in FOUNDING_PARTNERS) for code in codes],
        ignore_conflicts=True,
    )
    org.operating_countries.set(codes)


def sector(slug: str) -> Sector:
    """Return a seeded sector; recreated after a flush (transactional tests empty the
    tables that the data migration filled)."""
    from projects.models import BUILT_IN_SECTORS

    if not Sector.objects.exists():
        Sector.objects.bulk_create(
            [
                Sector(slug=s, name=name, position=position)
                for position, (s, name) in enumerate(BUILT_IN_SECTORS)
            ],
            ignore_conflicts=True,
        )
    return Sector.objects.get(slug=slug)


def listing_data(**overrides) -> dict:
    data = {
        "kind": "project",
        "title": "Border surveillance equipment for Lusaka",
        "summary": "Cameras and **control rooms** for three border posts.",
        "sector": sector("security-equipment").pk,
        "host_country": "ZM",
        "size": "10m_50m",
        "stage": "procurement",
        "seeks": ["equipment", "financing"],
        "contact_name": "Li Wei",
        "contact_email": "li.wei@example.cn",
        "contact_phone": "+86 10 5555 0101",
    }
    data.update(overrides)
    return data


def publish(author, moderator, *, audience="group", countries=(), **overrides) -> Listing:
    """Write, submit and approve a listing."""
    listing = listing_actions.create_listing(
        author=author,
        data=listing_data(**overrides),
        audience=audience,
        countries=countries,
        submit=True,
    )
    review = ListingReview.objects.filter(listing=listing, state="open").first()
    if review is not None:
        listing_actions.approve_review(moderator=moderator, review=review)
    listing.refresh_from_db()
    return listing


@pytest.fixture
def listing(owner, facilitator, zm_member) -> Listing:
    """A published listing by the CN organization, for the whole group."""
    return publish(owner, facilitator)


def org_of(member) -> Organization:
    return member.organization
