"""Who sees what, per role and country: listings (pages and the QuerySet), contact
details, dockings, and the in-memory Scope agreeing with the SQL rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import visibility
from projects import visibility as rules
from projects.actions import dockings as docking_actions
from projects.actions import listings as listing_actions
from projects.models import Listing
from tests.access import normalized
from tests.conftest import client_for, create_member
from tests.projects.conftest import listing_data, publish

ROLES = (
    "owner",  # CN, in project promotion, the listings' organization
    "colleague",  # CN, same organization, not in project promotion
    "zm",  # ZM member of project promotion
    "ke",  # KE member of project promotion
    "zm_mod",  # ZM moderator of project promotion
    "ke_mod",  # KE moderator of project promotion
    "non_member",  # NG, legal policy only
    "staff",
)

# listing state -> roles that see it (everyone else: 404, like a missing listing).
SEES = {
    "published": {"owner", "colleague", "zm", "ke", "zm_mod", "ke_mod", "staff"},
    "zm_only": {"owner", "colleague", "zm", "zm_mod", "staff"},
    "pending": {"owner", "colleague", "zm_mod", "ke_mod", "staff"},
    "pending_zm": {"owner", "colleague", "zm_mod", "staff"},
    "draft": {"owner", "colleague", "staff"},
    "closed": {"owner", "colleague", "zm", "ke", "zm_mod", "ke_mod", "staff"},
}
# Contact details, on a published listing, before any introduction.
CONTACT = {"owner", "colleague", "zm_mod", "ke_mod", "staff"}
# A docking between the ZM organization and the group-wide listing.
DOCKING = {"owner", "colleague", "zm", "zm_mod", "ke_mod", "staff"}


@pytest.fixture
def world(promo, person, legal):
    people = {
        "owner": person("CN"),
        "colleague": person("CN", groups=[]),
        "zm": person("ZM"),
        "ke": person("KE"),
        "zm_mod": person("ZM", role="moderator", mfa=True),
        "ke_mod": person("KE", role="moderator", mfa=True),
        "non_member": create_member(900, country="NG", groups=[legal]),
        "staff": create_member(901, country="EG", staff=True, mfa=True),
    }
    owner, moderator = people["owner"], people["zm_mod"]
    listings = {
        "published": publish(owner, moderator, title="Published listing marker"),
        "zm_only": publish(
            owner,
            moderator,
            title="ZM only listing marker",
            audience="countries",
            countries=["ZM"],
        ),
        "pending": listing_actions.create_listing(
            author=owner, data=listing_data(title="Pending listing marker"), submit=True
        ),
        "pending_zm": listing_actions.create_listing(
            author=owner,
            data=listing_data(title="Pending ZM listing marker"),
            audience="countries",
            countries=["ZM"],
            submit=True,
        ),
        "draft": listing_actions.create_listing(
            author=owner, data=listing_data(title="Draft listing marker")
        ),
        "closed": publish(owner, moderator, title="Closed listing marker"),
    }
    listings["closed"] = listing_actions.close_listing(
        member=owner, listing=listings["closed"], outcome="cancelled"
    )
    docking = docking_actions.express_interest(
        member=people["zm"], listing=listings["published"], message="Docking marker text"
    )
    return people, listings, docking


CASES = [(state, role) for state in SEES for role in ROLES]


@pytest.mark.parametrize(("state", "role"), CASES, ids=[f"{s}-{r}" for s, r in CASES])
def test_listing_page_and_queryset_agree_and_hide_like_missing(world, state, role):
    people, listings, _docking = world
    listing = listings[state]
    viewer = people[role]
    sees = role in SEES[state]
    assert rules.visible_listings(viewer).filter(pk=listing.pk).exists() == sees
    client = client_for(viewer)
    response = client.get(reverse("projects:listing", kwargs={"pk": listing.pk}))
    assert response.status_code == (200 if sees else 404)
    if not sees:
        missing_url = reverse("projects:listing", kwargs={"pk": 999_999})
        missing = client.get(missing_url)
        assert normalized(response.content, response.request["PATH_INFO"]) == normalized(
            missing.content, missing_url
        )
    page = client.get(reverse("projects:listings"), {"state": listing.state}).content.decode()
    assert (listing.title in page) == sees
    if state == "published" and sees:
        shows_contact = listing.contact_email in response.content.decode()
        assert shows_contact == (role in CONTACT)


@pytest.mark.parametrize("role", ROLES)
def test_a_docking_is_seen_by_the_two_organizations_and_the_facilitators(world, role):
    people, _listings, docking = world
    viewer = people[role]
    sees = role in DOCKING
    assert rules.visible_dockings(viewer).filter(pk=docking.pk).exists() == sees
    client = client_for(viewer)
    response = client.get(reverse("projects:docking", kwargs={"pk": docking.pk}))
    assert response.status_code == (200 if sees else 404)
    listed = client.get(reverse("projects:dockings")).content.decode()
    assert ("Published listing marker" in listed) == sees
    if not sees:
        missing_url = reverse("projects:docking", kwargs={"pk": 999_999})
        missing = client.get(missing_url)
        assert normalized(response.content, response.request["PATH_INFO"]) == normalized(
            missing.content, missing_url
        )


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    _people, listings, docking = world
    for url in (
        reverse("projects:listings"),
        reverse("projects:listing", kwargs={"pk": listings["published"].pk}),
        reverse("projects:docking", kwargs={"pk": docking.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert (
        not rules.visible_listings(client).exists() if hasattr(client, "is_authenticated") else True
    )


def test_the_scope_in_memory_agrees_with_the_sql_rule(world):
    """For everyone outside the owner organization, `listing_scope(...).admits(reader)`
    (digests, live delivery) decides exactly as `visible_listings` (pages)."""
    people, _listings, _docking = world
    for listing in Listing.objects.all():
        scope = rules.listing_scope(listing)
        for role, member in people.items():
            if rules.is_owner(member, listing):
                continue
            in_group = member.is_staff or visibility.role_in(member, listing.group) is not None
            shown = listing.state in rules.PUBLIC_STATES or listing.state == "pending"
            in_memory = member.is_staff or (
                in_group and shown and scope.admits(visibility.reader_for(member, listing.group))
            )
            assert in_memory == rules.visible_listings(member).filter(pk=listing.pk).exists(), (
                role,
                listing.title,
            )


def test_counts_never_reveal_hidden_listings(world):
    people, _listings, _docking = world
    page = client_for(people["ke"]).get(reverse("projects:listings")).content.decode()
    assert "ZM only listing marker" not in page
    assert "Pending listing marker" not in page
    assert rules.visible_listings(people["ke"]).count() == 2  # published and closed


def test_the_countries_app_can_list_listings_hosted_in_a_country(world):
    people, listings, _docking = world
    hosted = rules.visible_listings(people["ke"]).filter(host_country="ZM", state="published")
    assert list(hosted) == [listings["published"]]
